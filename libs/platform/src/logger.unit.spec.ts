import { Writable } from 'node:stream';
import { createLogger, credentialHeaders, looksLikeCredential, redacted } from './logger';
import { redactUrl } from './request-log';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => lines.join('') };
}

describe('logger redaction', () => {
  it('censors every credential header wherever a headers object is logged', () => {
    const out = capture();
    const logger = createLogger('test', 'info', out.stream);
    const headers = Object.fromEntries(credentialHeaders.map((name) => [name, `secret-${name}`]));
    logger.info({ headers }, 'top level');
    logger.info({ req: { headers, method: 'GET' } }, 'in a request');
    logger.info({ err: { config: { headers } } }, 'in an error');
    const text = out.text();
    expect(text).not.toContain('secret-');
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, any>);
    expect(lines[0]!['headers']['authorization']).toBe(redacted);
    expect(lines[1]!['req']).toMatchObject({ method: 'GET', headers: { cookie: redacted } });
    expect(lines[2]!['err']['config']['headers']['x-api-key']).toBe(redacted);
  });

  it('leaves other fields alone', () => {
    const out = capture();
    createLogger('test', 'info', out.stream).info(
      { headers: { 'user-agent': 'curl/8' }, url: '/v1/regions' },
      'hello',
    );
    expect(JSON.parse(out.text())).toMatchObject({
      service: 'test',
      msg: 'hello',
      url: '/v1/regions',
      headers: { 'user-agent': 'curl/8' },
    });
  });
});

describe('what looks like a credential', () => {
  it.each([
    'authorization',
    'Proxy-Authorization',
    'cookie',
    'x-api-key',
    'apikey',
    'api_key',
    'key',
    'token',
    'access_token',
    'x-snapferry-region-secret',
    'X-TC-Signature',
    'password',
  ])('%s does', (name) => expect(looksLikeCredential(name)).toBe(true));

  it.each(['user-agent', 'content-type', 'x-request-id', 'region', 'streamId', 'after', 'diskId'])(
    '%s does not',
    (name) => expect(looksLikeCredential(name)).toBe(false),
  );

  it('redacts such query parameters in logged URLs, and only those', () => {
    expect(redactUrl('/v1/snapshots?region=ap-guangzhou&limit=5')).toBe(
      '/v1/snapshots?region=ap-guangzhou&limit=5',
    );
    expect(redactUrl('/v1/events/stream?after=3&access_token=abc&api%5Fkey=def')).toBe(
      `/v1/events/stream?after=3&access_token=${redacted}&api%5Fkey=${redacted}`,
    );
    expect(redactUrl('/health')).toBe('/health');
  });
});
