import { createLogger } from './logger';

describe('the structured logger', () => {
  it('never writes an API key or a cookie from a logged request', () => {
    const lines: string[] = [];
    const logger = createLogger('test', 'info', { write: (line: string) => lines.push(line) });
    logger.child({}).info(
      {
        req: {
          method: 'GET',
          url: '/v1/regions',
          headers: {
            authorization: 'Bearer secret-api-key-1',
            cookie: 'session=secret-cookie',
            accept: 'application/json',
          },
        },
      },
      'request completed',
    );
    const text = lines.join('');
    expect(text).not.toMatch(/secret/);
    expect(JSON.parse(lines[0]!).req.headers).toEqual({
      authorization: '[redacted]',
      cookie: '[redacted]',
      accept: 'application/json',
    });
  });
});
