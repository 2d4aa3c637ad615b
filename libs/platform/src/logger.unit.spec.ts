import { Writable } from 'node:stream';
import {
  createLogger,
  credentialHeaders,
  looksLikeCredential,
  redactCredentials,
  redacted,
} from './logger';
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
  const lines = (text: string) =>
    text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, any>);
  const credentials = {
    ...Object.fromEntries(credentialHeaders.map((name) => [name, `secret-${name}`])),
    Authorization: 'Bearer secret-title-case',
    'X-Auth-Token': 'secret-auth-token',
    'x-snapferry-region-secret': 'secret-region',
    'x-amz-security-token': 'secret-amz',
  };

  it('censors credential headers wherever a headers object is logged', () => {
    const out = capture();
    const logger = createLogger('test', 'info', out.stream);
    const headers = { ...credentials, 'user-agent': 'curl/8' };
    logger.info({ headers }, 'top level');
    logger.info({ req: { method: 'GET', headers } }, 'a request');
    logger.info({ res: { statusCode: 200, headers } }, 'a response');
    logger.info({ response: { status: 401, headers } }, 'a client response');
    logger.info(
      { err: Object.assign(new Error('boom'), { config: { headers }, response: { headers } }) },
      'a client error',
    );
    const text = out.text();
    expect(text).not.toContain('secret-');
    const [top, req, res, response, err] = lines(text);
    expect(top!['headers']).toMatchObject({ authorization: redacted, 'user-agent': 'curl/8' });
    expect(req!['req']).toMatchObject({ method: 'GET', headers: { cookie: redacted } });
    expect(res!['res']['headers']['set-cookie']).toBe(redacted);
    expect(response!['response']['headers']['X-Auth-Token']).toBe(redacted);
    expect(err!['err']).toMatchObject({
      message: 'boom',
      config: { headers: { 'x-api-key': redacted, 'user-agent': 'curl/8' } },
      response: { headers: { Authorization: redacted } },
    });
  });

  it('leaves the logged objects themselves alone', () => {
    const out = capture();
    const headers = { authorization: 'Bearer kept-in-the-object' };
    const error = Object.assign(new Error('boom'), { config: { headers } });
    createLogger('test', 'info', out.stream).info({ err: error, headers }, 'x');
    expect(headers.authorization).toBe('Bearer kept-in-the-object');
    expect(error.config.headers.authorization).toBe('Bearer kept-in-the-object');
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

describe('credentials in free text (error messages)', () => {
  it('replaces the password of every URL and every password= setting, and nothing else', () => {
    expect(
      redactCredentials(
        'connect to postgres://snap:s3cr%40t@db.internal:5432/catalog failed; amqp://guest:guest@mq:5672 too',
      ),
    ).toBe(
      `connect to postgres://snap:${redacted}@db.internal:5432/catalog failed; amqp://guest:${redacted}@mq:5672 too`,
    );
    expect(redactCredentials('postgres://snap:p@ss@db:5432/x')).toBe(
      `postgres://snap:${redacted}@db:5432/x`,
    );
    expect(redactCredentials("host=db user=snap password='a b' dbname=x")).toBe(
      `host=db user=snap password=${redacted} dbname=x`,
    );
    expect(
      redactCredentials('postgres://db.internal:5432/x?password=hunter2&sslmode=require'),
    ).toBe(`postgres://db.internal:5432/x?password=${redacted}&sslmode=require`);
    const plain = 'connect ECONNREFUSED 127.0.0.1:5432; http://store:3001/v1/store; user@host';
    expect(redactCredentials(plain)).toBe(plain);
  });
});
