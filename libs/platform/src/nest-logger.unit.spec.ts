import { Writable } from 'node:stream';
import pino from 'pino';
import { nestLogger } from './nest-logger';

describe('nestLogger', () => {
  it("writes Nest's messages as structured lines with their context; its log level is debug", () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const logger = nestLogger(pino({ level: 'debug', base: { service: 'replicator' } }, sink));
    logger.log('Nest application successfully started', 'NestApplication');
    logger.error('boom', 'Error: boom\n    at x', 'ExceptionHandler');
    logger.warn('careful', 'RoutesResolver');
    logger.verbose?.('hidden at debug', 'X');

    expect(lines).toEqual([
      expect.objectContaining({
        level: 20,
        service: 'replicator',
        context: 'NestApplication',
        msg: 'Nest application successfully started',
      }),
      expect.objectContaining({
        level: 50,
        context: 'ExceptionHandler',
        trace: 'Error: boom\n    at x',
        msg: 'boom',
      }),
      expect.objectContaining({ level: 40, context: 'RoutesResolver', msg: 'careful' }),
    ]);
  });
});
