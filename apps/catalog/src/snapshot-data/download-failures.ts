import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { StorageError } from '@snapferry/storage';
import { LOGGER, METRICS } from '../tokens';

/** How a stream ends when the client hung up: its doing, not a failure of ours. */
const clientGoneCodes = new Set([
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_STREAM_DESTROYED',
  'ECONNRESET',
  'EPIPE',
]);

/**
 * Downloads cut off after their headers went out (a chunk found corrupt or missing as it was
 * read, the region's store unreachable): the client only sees the connection close, so the
 * reason goes to the log and to `snapferry_download_failures_total{region,reason}`.
 */
@Injectable()
export class DownloadFailures {
  private readonly failures: Counter;

  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) metrics: Registry,
  ) {
    this.failures = new Counter({
      name: 'snapferry_download_failures_total',
      help: 'Snapshot data downloads cut off mid-stream by a fault on our side, by region and reason (the storage error code, such as Storage.CorruptChunk)',
      labelNames: ['region', 'reason'],
      registers: [metrics],
    });
  }

  record(error: unknown, where: { snapshotId: string; region: string }): void {
    if (clientGoneCodes.has(String((error as { code?: unknown } | undefined)?.code))) return;
    const reason = error instanceof StorageError ? error.code : 'Internal';
    this.failures.inc({ region: where.region, reason });
    this.logger.error(
      { err: error, ...where, reason },
      'a snapshot data download failed mid-stream; the response was cut off',
    );
  }
}
