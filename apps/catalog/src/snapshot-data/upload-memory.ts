import type { FactoryProvider } from '@nestjs/common';
import { Gauge, type Registry } from 'prom-client';
import type { CatalogConfig, UploadMemoryLimits } from '@snapferry/platform';
import { ApiError } from '../http/api-error';
import type { Caller } from '../http/api-keys';
import { CONFIG, METRICS } from '../tokens';

/** Bytes taken for one upload body; released once the body is stored or refused (twice is harmless). */
export interface Reservation {
  release(): void;
}

export const uploadMemoryCode = 'RequestLimitExceeded.UploadMemory';

const MiB = 1024 * 1024;
const mib = (bytes: number) => `${Math.ceil(bytes / MiB)} MiB`;

/**
 * The memory upload bodies hold at once (their chunk buffers), for the process and per API key
 * (SNAPFERRY_UPLOAD_MEMORY, …_PER_KEY). A body takes its bytes before a byte of it is read; a
 * key or a process without room is refused at once, so slow or many uploads cost a 429, not the
 * catalog's memory. A key holding nothing is let in whenever the process has room, and the
 * process when it holds nothing, so a limit below one chunk slows uploads, never stops them.
 */
export class UploadMemory {
  private used = 0;
  private readonly byKey = new Map<string, number>();

  constructor(readonly limits: UploadMemoryLimits) {}

  /** `bytes` for `key`, or whose limit is reached: `'key'` or `'process'`. */
  tryReserve(key: string, bytes: number): Reservation | 'key' | 'process' {
    const mine = this.byKey.get(key) ?? 0;
    if (mine > 0 && mine + bytes > this.limits.perKey) return 'key';
    if (this.used > 0 && this.used + bytes > this.limits.total) return 'process';
    this.used += bytes;
    this.byKey.set(key, mine + bytes);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.used -= bytes;
        const left = (this.byKey.get(key) ?? bytes) - bytes;
        if (left > 0) this.byKey.set(key, left);
        else this.byKey.delete(key);
      },
    };
  }

  /**
   * The caller's reservation, or the 429 to answer: with `Retry-After`, and closing the
   * connection, since the body is not read.
   */
  reserve(caller: Caller, bytes: number): Reservation {
    const taken = this.tryReserve(`${caller.accountId}/${caller.keyId}`, bytes);
    if (typeof taken !== 'string') return taken;
    throw new ApiError(
      429,
      uploadMemoryCode,
      taken === 'key'
        ? `this API key's uploads hold ${mib(this.limits.perKey)} in the catalog's memory already (SNAPFERRY_UPLOAD_MEMORY_PER_KEY); retry when one of them is done`
        : `uploads hold ${mib(this.limits.total)} in the catalog's memory already (SNAPFERRY_UPLOAD_MEMORY); retry shortly`,
      { 'retry-after': '1', connection: 'close' },
    );
  }

  /** Bytes reserved now: by everyone, or by one key (`accountId/keyId`). */
  usedBytes(key?: string): number {
    return key === undefined ? this.used : (this.byKey.get(key) ?? 0);
  }
}

/**
 * The process's UploadMemory (SNAPFERRY_UPLOAD_MEMORY…), with `snapferry_upload_memory_bytes`
 * (what it holds) for Prometheus.
 */
export const uploadMemoryProvider = {
  provide: UploadMemory,
  useFactory: (
    { uploadMemory: limits }: Pick<CatalogConfig, 'uploadMemory'>,
    metrics: Registry,
  ) => {
    const memory = new UploadMemory(limits);
    new Gauge({
      name: 'snapferry_upload_memory_bytes',
      help: `Bytes of upload bodies held in memory (limit ${limits.total}, ${limits.perKey} per API key)`,
      registers: [metrics],
      collect() {
        this.set(memory.usedBytes());
      },
    });
    return memory;
  },
  inject: [CONFIG, METRICS],
} satisfies FactoryProvider<UploadMemory>;
