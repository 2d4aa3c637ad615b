import { setTimeout as sleep } from 'node:timers/promises';
import type { request as undiciRequest } from 'undici';
import { sha256Hex, sha256HexAsync } from '../chunking';
import type { GcOptions, GcStats, ScrubReport } from '../region-maintenance';
import {
  CorruptChunkError,
  MissingChunkError,
  RegionAuthError,
  RegionUnreachableError,
  StorageFullError,
} from '../errors';
import { assertAccountId, assertDigest, assertRegionId, assertSnapshotId } from '../ids';
import { validateManifest, type Manifest } from '../manifest';
import type { ChunkWriter, GetChunkOptions, RegionStore } from '../region-store';
import { EMPTY_SHA256, REGION_SIGNATURE_REPLAYED, signRegionRequest } from './region-auth';
import { storeErrors } from './store-errors';

/**
 * undici, loaded on the first call: a process that only uses the library's other parts (the
 * CLI hashing an image, building a change stream) does not pay its ~0.1-0.2 s of loading.
 */
let undici: Promise<typeof undiciRequest> | undefined;
const loadRequest = () => (undici ??= import('undici').then((m) => m.request));

export interface HttpRegionStoreOptions {
  /** The region's store service, e.g. `http://10.0.0.2:3001` (its replicator). */
  baseUrl: string;
  /** SNAPFERRY_REGION_SECRET. */
  secret: string;
  /**
   * How long a call keeps retrying while the region does not answer (connection refused or
   * reset, timeouts, 502/503/504) before it fails with RegionUnreachableError.
   */
  retryForMs?: number;
  /** One attempt's timeout. */
  timeoutMs?: number;
}

interface Answer {
  status: number;
  body: Buffer;
  json<T>(): T;
}

const transientStatuses = new Set([502, 503, 504]);

interface CallOptions {
  /** The caller's: aborts the attempt in flight, and no attempt or retry follows. */
  signal?: AbortSignal | undefined;
  /**
   * GC and scrub run in the request for as long as the region's size takes: no per-attempt
   * timeout (the caller's signal ends them, TCP keepalive notices a dead peer). The store
   * service stops such a run when every caller's request has closed, and a call made while
   * it runs (a retry) joins it rather than starting another.
   */
  untimed?: boolean;
}

/** One attempt's signal: the caller's, and the attempt's own timeout. */
function withTimeout(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

/**
 * A region's store, reached over the network at its replicator's store service
 * (`/v1/store/<region>/…`), every call signed with the shared region secret. Network trouble
 * is retried with backoff for `retryForMs` (a region down for a while does not fail a copy);
 * past that, or when the region refuses the signature, the call fails with an error that
 * names the region.
 */
export class HttpRegionStore implements RegionStore {
  private readonly base: string;
  private readonly retryForMs: number;
  private readonly timeoutMs: number;

  constructor(
    readonly region: string,
    private readonly options: HttpRegionStoreOptions,
  ) {
    assertRegionId(region);
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.retryForMs = options.retryForMs ?? 10 * 60 * 1000;
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  private path(...parts: string[]): string {
    return `/v1/store/${this.region}/${parts.join('/')}`;
  }

  /** One call, retried while the region is unreachable (never once `signal` aborts); every attempt is signed anew (a new nonce). */
  private async call(
    method: string,
    path: string,
    body?: Buffer,
    contentSha256 = body ? sha256Hex(body) : EMPTY_SHA256,
    { signal, untimed = false }: CallOptions = {},
  ): Promise<Answer> {
    const started = Date.now();
    let delay = 200;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      let failure: unknown;
      try {
        // undici's request, not fetch: no WHATWG streams between the socket and the chunk's
        // bytes, which at link speed is CPU the copy needs for verifying and writing.
        const request = await loadRequest();
        const response = await request(`${this.base}${path}`, {
          method,
          headers: {
            ...signRegionRequest(this.options.secret, { method, path, contentSha256 }),
            ...(body ? { 'content-type': 'application/octet-stream' } : {}),
          },
          ...(body ? { body } : {}),
          ...(untimed
            ? { signal, headersTimeout: 0 }
            : { signal: withTimeout(signal, this.timeoutMs) }),
        });
        const bytes = Buffer.from(await response.body.arrayBuffer());
        const status = response.statusCode;
        // A replay refusal reaches this client only when something between resent a call the
        // store had already taken (a proxy retrying upstream): the next attempt signs anew.
        if (status === 401 && errorCode(bytes) !== REGION_SIGNATURE_REPLAYED)
          throw new RegionAuthError(this.region, this.base, errorMessage(bytes));
        if (status !== 401 && !transientStatuses.has(status))
          return {
            status,
            body: bytes,
            json: <T>() => JSON.parse(bytes.toString('utf8')) as T,
          };
        failure = new Error(`HTTP ${status}: ${errorMessage(bytes)}`);
      } catch (error) {
        if (error instanceof RegionAuthError) throw error;
        signal?.throwIfAborted();
        failure = error;
      }
      if (Date.now() - started + delay > this.retryForMs)
        throw new RegionUnreachableError(this.region, this.base, describe(failure), attempt);
      await sleep(delay, undefined, { signal }).catch(() => signal?.throwIfAborted());
      delay = Math.min(delay * 2, 5_000);
    }
  }

  private unexpected(what: string, answer: Answer): Error {
    if (answer.status === storeErrors.full.status)
      return new StorageFullError(this.region, what, fullReason(answer.body));
    return new Error(
      `region ${this.region}'s store answered ${answer.status} to ${what}: ${errorMessage(answer.body)}`,
    );
  }

  async missingChunks(digests: readonly string[], accountId: string): Promise<string[]> {
    digests.forEach(assertDigest);
    assertAccountId(accountId);
    const missing: string[] = [];
    // Batches keep each request small; 10,000 digests are 40 GiB of 4 MiB chunks.
    for (let i = 0; i < digests.length; i += 10_000) {
      const body = Buffer.from(
        JSON.stringify({ accountId, digests: digests.slice(i, i + 10_000) }),
      );
      const answer = await this.call('POST', this.path('chunks', 'missing'), body);
      if (answer.status !== 200) throw this.unexpected('the missing-chunks question', answer);
      missing.push(...answer.json<{ missing: string[] }>().missing);
    }
    return missing;
  }

  async putChunk(digest: string, bytes: Uint8Array, writer: ChunkWriter): Promise<boolean> {
    assertDigest(digest);
    assertAccountId(writer.accountId);
    assertSnapshotId(writer.snapshotId);
    const query = new URLSearchParams({
      accountId: writer.accountId,
      snapshotId: writer.snapshotId,
    });
    // The chunk's digest is its body's digest: the store verifies it, so it is signed as such.
    const answer = await this.call(
      'PUT',
      `${this.path('chunks', digest)}?${query.toString()}`,
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      digest,
    );
    if (
      answer.status === storeErrors.corruptChunk.status &&
      answer.json<ErrorBody>().error?.code === storeErrors.corruptChunk.code
    )
      throw new CorruptChunkError({ digest, region: this.region }, sha256Hex(bytes));
    if (answer.status !== 201 && answer.status !== 200)
      throw this.unexpected(`chunk ${digest}`, answer);
    return answer.status === 201;
  }

  async getChunk(digest: string, { verify = true }: GetChunkOptions = {}): Promise<Buffer> {
    assertDigest(digest);
    const answer = await this.call('GET', this.path('chunks', digest));
    if (answer.status === 404) throw new MissingChunkError({ digest, region: this.region });
    if (answer.status !== 200) throw this.unexpected(`chunk ${digest}`, answer);
    if (verify) {
      const actual = await sha256HexAsync(answer.body);
      if (actual !== digest) throw new CorruptChunkError({ digest, region: this.region }, actual);
    }
    return answer.body;
  }

  async putManifest(manifest: Manifest): Promise<void> {
    validateManifest(manifest, manifest.snapshotId);
    const answer = await this.call(
      'PUT',
      this.path('manifests', manifest.snapshotId),
      Buffer.from(JSON.stringify(manifest)),
    );
    if (answer.status === storeErrors.chunksMissing.status) {
      const missing = answer.json<{ error: { missing?: string[] } }>().error.missing ?? [];
      throw new MissingChunkError(
        {
          digest: missing[0] ?? '0'.repeat(64),
          region: this.region,
          snapshotId: manifest.snapshotId,
        },
        missing.length > 0 ? missing : undefined,
      );
    }
    if (answer.status !== 204)
      throw this.unexpected(`the manifest of ${manifest.snapshotId}`, answer);
  }

  async getManifest(snapshotId: string): Promise<Manifest | null> {
    assertSnapshotId(snapshotId);
    const answer = await this.call('GET', this.path('manifests', snapshotId));
    if (answer.status === 404) return null;
    if (answer.status !== 200) throw this.unexpected(`the manifest of ${snapshotId}`, answer);
    return validateManifest(answer.json(), snapshotId);
  }

  async deleteManifest(snapshotId: string): Promise<boolean> {
    assertSnapshotId(snapshotId);
    const answer = await this.call('DELETE', this.path('manifests', snapshotId));
    if (answer.status !== 200)
      throw this.unexpected(`deleting the manifest of ${snapshotId}`, answer);
    return answer.json<{ deleted: boolean }>().deleted;
  }

  async listManifests(): Promise<string[]> {
    const answer = await this.call('GET', this.path('manifests'));
    if (answer.status !== 200) throw this.unexpected('the list of manifests', answer);
    return answer.json<{ snapshotIds: string[] }>().snapshotIds;
  }

  async addPending(snapshotId: string, digests: readonly string[]): Promise<void> {
    assertSnapshotId(snapshotId);
    digests.forEach(assertDigest);
    const body = Buffer.from(JSON.stringify({ digests }));
    const answer = await this.call('POST', this.path('pending', snapshotId), body);
    if (answer.status !== 204) throw this.unexpected(`the pending record of ${snapshotId}`, answer);
  }

  async deletePending(snapshotId: string): Promise<boolean> {
    assertSnapshotId(snapshotId);
    const answer = await this.call('DELETE', this.path('pending', snapshotId));
    if (answer.status !== 200)
      throw this.unexpected(`deleting the pending record of ${snapshotId}`, answer);
    return answer.json<{ deleted: boolean }>().deleted;
  }

  async listPending(): Promise<string[]> {
    const answer = await this.call('GET', this.path('pending'));
    if (answer.status !== 200) throw this.unexpected('the list of pending records', answer);
    return answer.json<{ snapshotIds: string[] }>().snapshotIds;
  }

  async collectGarbage({ graceMs, signal }: GcOptions = {}): Promise<GcStats> {
    const body = Buffer.from(JSON.stringify({ graceMs }));
    const answer = await this.call('POST', this.path('gc'), body, undefined, {
      signal,
      untimed: true,
    });
    if (answer.status !== 200) throw this.unexpected('garbage collection', answer);
    return answer.json<GcStats>();
  }

  async scrub({ signal }: { signal?: AbortSignal } = {}): Promise<ScrubReport> {
    const answer = await this.call('POST', this.path('scrub'), Buffer.from('{}'), undefined, {
      signal,
      untimed: true,
    });
    if (answer.status !== 200) throw this.unexpected('the scrub', answer);
    return answer.json<ScrubReport>();
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string };
}

function errorCode(body: Buffer): string | undefined {
  try {
    return (JSON.parse(body.toString('utf8')) as ErrorBody).error?.code;
  } catch {
    return undefined;
  }
}

function errorMessage(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as ErrorBody;
    return parsed.error?.message ?? body.toString('utf8').slice(0, 200);
  } catch {
    return body.toString('utf8').slice(0, 200);
  }
}

/** Why the region's store is full, as its 507 says (a disk's ENOSPC, a bucket's quota). */
function fullReason(body: Buffer): string | undefined {
  try {
    const reason = (JSON.parse(body.toString('utf8')) as { error?: { reason?: unknown } }).error
      ?.reason;
    return typeof reason === 'string' && reason !== '' ? reason : undefined;
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ? `${error.message} (${cause.code})` : error.message;
}
