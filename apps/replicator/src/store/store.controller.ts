import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
  Req,
  Res,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  type GcStats,
  MissingChunkError,
  type RegionStores,
  storeAnswerOf,
  storeErrors,
  type ChunkWriter,
  type ServedRegionStore,
  type ScrubReport,
} from '@snapferry/storage';
import { SharedRuns } from './shared-runs';
import { type StoreRequest, storeError } from './store-auth';

export const STORE_REGIONS = Symbol('STORE_REGIONS');
export const STORE_METRICS = Symbol('STORE_METRICS');
export const STORE_LOGGER = Symbol('STORE_LOGGER');

export interface StoreRegions {
  stores: RegionStores;
  served: ReadonlySet<string>;
}

class NotServedError extends Error {}
class InvalidBodyError extends Error {}
/** The caller's request closed before its answer: there is nobody to answer. */
class CallerGoneError extends Error {}

/** The `{"digests": [...]}` body of the chunk-list calls (missing chunks, pending records). */
function digestsIn(request: StoreRequest): string[] {
  const { digests } = JSON.parse(request.storeBody.toString('utf8')) as { digests?: unknown };
  if (!Array.isArray(digests) || digests.some((d) => typeof d !== 'string'))
    throw new InvalidBodyError('send {"digests": [...]}');
  return digests as string[];
}

/** The account a chunk question is for (`accountId` in the body); checked by the store. */
function accountIn(request: StoreRequest): string {
  const { accountId } = JSON.parse(request.storeBody.toString('utf8')) as { accountId?: unknown };
  if (typeof accountId !== 'string') throw new InvalidBodyError('send {"accountId": "…", …}');
  return accountId;
}

/** The writer of a chunk PUT: `?accountId=…&snapshotId=…` (signed with the path). */
function writerIn(request: StoreRequest): ChunkWriter {
  const { accountId, snapshotId } = request.query as Record<string, unknown>;
  if (typeof accountId !== 'string' || typeof snapshotId !== 'string')
    throw new InvalidBodyError('a chunk is written for ?accountId=…&snapshotId=…');
  return { accountId, snapshotId };
}

/**
 * A region's store over HTTP (`/v1/store/<region>/…`), for the catalog and the other regions'
 * replicators: manifests, chunks by digest (immutable: cacheable, and Range for resuming), the
 * "which of these do you lack" question, pending records, garbage collection and scrubbing.
 * Only the regions this replicator serves answer; every call was authenticated by storeAuth.
 * The routes only translate: the port (`ServedRegionStore`) does the work.
 */
@ApiExcludeController() // documented in its own OpenAPI document (store-openapi.ts)
@Controller('v1/store/:region')
export class StoreController {
  private readonly served: Counter;
  private readonly received: Counter;
  private readonly runsActive: Gauge;
  private readonly runsTotal: Counter;
  /** One GC and one scrub per region at a time; a call while one runs joins it. */
  private readonly gcRuns = new SharedRuns<GcStats>();
  private readonly scrubRuns = new SharedRuns<ScrubReport>();

  constructor(
    @Inject(STORE_REGIONS) private readonly regions: StoreRegions,
    @Inject(STORE_LOGGER) private readonly logger: Logger,
    @Inject(STORE_METRICS) metrics: Registry,
  ) {
    this.served = new Counter({
      name: 'snapferry_store_chunks_served_total',
      help: 'Chunks this store served to other services, by region',
      labelNames: ['region'],
      registers: [metrics],
    });
    this.received = new Counter({
      name: 'snapferry_store_chunks_received_total',
      help: 'Chunks other services wrote into this store, by region and whether they were new',
      labelNames: ['region', 'new'],
      registers: [metrics],
    });
    this.runsActive = new Gauge({
      name: 'snapferry_store_runs_active',
      help: 'Garbage collections (kind="gc") and scrubs (kind="scrub") running, by region',
      labelNames: ['region', 'kind'],
      registers: [metrics],
    });
    this.runsTotal = new Counter({
      name: 'snapferry_store_runs_total',
      help: 'Garbage collections and scrubs run, by region, kind and outcome (completed, stopped: every caller went away, failed)',
      labelNames: ['region', 'kind', 'outcome'],
      registers: [metrics],
    });
  }

  private store(region: string): ServedRegionStore {
    if (!this.regions.served.has(region)) throw new NotServedError(region);
    return this.regions.stores.localStore(region);
  }

  /** Runs a route, mapping the storage errors to answers in the API's error shape. */
  private async answer(
    request: StoreRequest,
    response: Response,
    work: (store: ServedRegionStore) => Promise<void>,
  ): Promise<void> {
    const { region } = request.params as { region: string };
    const fail = (status: number, code: string, message: string, extra = {}) =>
      storeError(response, request.requestId, status, code, message, extra);
    try {
      await work(this.store(region));
    } catch (error) {
      if (error instanceof CallerGoneError) return;
      if (error instanceof NotServedError)
        return fail(
          storeErrors.notServed.status,
          storeErrors.notServed.code,
          `this replicator does not serve ${region}`,
        );
      const known = storeAnswerOf(error);
      if (known) return fail(known.status, known.code, known.message, known.extra);
      if (error instanceof SyntaxError)
        return fail(
          storeErrors.malformedJson.status,
          storeErrors.malformedJson.code,
          'the body is not valid JSON',
        );
      if (error instanceof InvalidBodyError)
        return fail(storeErrors.invalid.status, storeErrors.invalid.code, error.message);
      this.logger.error({ err: error, requestId: request.requestId }, 'store call failed');
      return fail(500, 'InternalError', 'an internal error occurred; quote the request id');
    }
  }

  @Get('manifests')
  listManifests(@Req() request: StoreRequest, @Res() response: Response) {
    return this.answer(request, response, async (store) => {
      response.json({ snapshotIds: await store.listManifests() });
    });
  }

  @Get('manifests/:id')
  getManifest(@Req() request: StoreRequest, @Res() response: Response, @Param('id') id: string) {
    return this.answer(request, response, async (store) => {
      const manifest = await store.getManifest(id);
      if (!manifest)
        return storeError(
          response,
          request.requestId,
          404,
          'ResourceNotFound.Manifest',
          `${id} has no data here`,
        );
      response.json(manifest);
    });
  }

  @Put('manifests/:id')
  putManifest(@Req() request: StoreRequest, @Res() response: Response, @Param('id') id: string) {
    return this.answer(request, response, async (store) => {
      const manifest = JSON.parse(request.storeBody.toString('utf8')) as { snapshotId?: unknown };
      if (manifest.snapshotId !== id)
        return storeError(
          response,
          request.requestId,
          400,
          'InvalidParameter',
          'the manifest is for another snapshot',
        );
      await store.putManifest(manifest as Parameters<ServedRegionStore['putManifest']>[0]);
      response.status(204).end();
    });
  }

  @Delete('manifests/:id')
  deleteManifest(@Req() request: StoreRequest, @Res() response: Response, @Param('id') id: string) {
    return this.answer(request, response, async (store) => {
      response.json({ deleted: await store.deleteManifest(id) });
    });
  }

  @Post('chunks/missing')
  @HttpCode(200) // an answer, not a creation: Nest would answer a POST 201
  missingChunks(@Req() request: StoreRequest, @Res() response: Response) {
    return this.answer(request, response, async (store) => {
      const digests = digestsIn(request);
      response.json({ missing: await store.missingChunks(digests, accountIn(request)) });
    });
  }

  @Get('chunks/:digest')
  getChunk(
    @Req() request: StoreRequest,
    @Res() response: Response,
    @Param('digest') digest: string,
  ) {
    return this.answer(request, response, async (store) => {
      // Served as stored: the reader verifies the digest (a copy's target does as it writes).
      const bytes = await store.getChunk(digest, { verify: false }).catch((error: unknown) => {
        if (error instanceof MissingChunkError) return null;
        throw error;
      });
      if (!bytes)
        return storeError(
          response,
          request.requestId,
          404,
          'ResourceNotFound.Chunk',
          `no chunk ${digest} here`,
        );
      this.served.inc({ region: store.region });
      response.setHeader('etag', `"${digest}"`);
      response.setHeader('cache-control', 'public, max-age=31536000, immutable');
      response.setHeader('accept-ranges', 'bytes');
      response.setHeader('content-type', 'application/octet-stream');
      const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
      if (range) {
        const start = Number(range[1]);
        const end = range[2] ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
        if (start > end)
          return void response
            .status(416)
            .setHeader('content-range', `bytes */${bytes.length}`)
            .end();
        response.status(206).setHeader('content-range', `bytes ${start}-${end}/${bytes.length}`);
        return void response.end(bytes.subarray(start, end + 1));
      }
      response.status(200).end(bytes);
    });
  }

  @Put('chunks/:digest')
  putChunk(
    @Req() request: StoreRequest,
    @Res() response: Response,
    @Param('digest') digest: string,
  ) {
    return this.answer(request, response, async (store) => {
      // storeAuth checked that the body hashes to the signed digest; that digest must be this one.
      const signed = request.headers['x-snapferry-content-sha256'];
      const writer = writerIn(request);
      const created =
        signed === digest
          ? await store.putVerifiedChunk(digest, request.storeBody, writer)
          : await store.putChunk(digest, request.storeBody, writer);
      this.received.inc({ region: store.region, new: String(created) });
      response.status(created ? 201 : 200).json({ created });
    });
  }

  @Get('pending')
  listPending(@Req() request: StoreRequest, @Res() response: Response) {
    return this.answer(request, response, async (store) => {
      response.json({ snapshotIds: await store.listPending() });
    });
  }

  @Post('pending/:id')
  addPending(@Req() request: StoreRequest, @Res() response: Response, @Param('id') id: string) {
    return this.answer(request, response, async (store) => {
      const digests = digestsIn(request);
      await store.addPending(id, digests);
      response.status(204).end();
    });
  }

  @Delete('pending/:id')
  deletePending(@Req() request: StoreRequest, @Res() response: Response, @Param('id') id: string) {
    return this.answer(request, response, async (store) => {
      response.json({ deleted: await store.deletePending(id) });
    });
  }

  /**
   * Runs the region's `kind` run for this call, or joins the one under way (its result, for
   * every caller); it stops once every caller's request has closed.
   */
  private shared<T>(
    runs: SharedRuns<T>,
    kind: 'gc' | 'scrub',
    store: ServedRegionStore,
    response: Response,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const gone = new AbortController();
    response.on('close', () => response.writableFinished || gone.abort(new CallerGoneError()));
    const labels = { region: store.region, kind };
    return runs.join(store.region, gone.signal, async (signal) => {
      this.runsActive.inc(labels);
      try {
        const result = await work(signal);
        this.runsTotal.inc({ ...labels, outcome: 'completed' });
        return result;
      } catch (error) {
        this.runsTotal.inc({ ...labels, outcome: signal.aborted ? 'stopped' : 'failed' });
        if (signal.aborted) this.logger.info(labels, 'stopped: every caller went away');
        throw error;
      } finally {
        this.runsActive.dec(labels);
      }
    });
  }

  @Post('gc')
  @HttpCode(200) // the statistics; Nest would answer a POST 201
  collectGarbage(@Req() request: StoreRequest, @Res() response: Response) {
    return this.answer(request, response, async (store) => {
      const { graceMs } = JSON.parse(request.storeBody.toString('utf8') || '{}') as {
        graceMs?: unknown;
      };
      const grace =
        typeof graceMs === 'number' && Number.isSafeInteger(graceMs) && graceMs >= 0
          ? { graceMs }
          : {};
      const stats = await this.shared(this.gcRuns, 'gc', store, response, async (signal) => {
        const stats = await store.collectGarbage({ ...grace, signal });
        this.logger.info({ region: store.region, ...stats }, 'collected garbage');
        return stats;
      });
      response.json(stats);
    });
  }

  @Post('scrub')
  @HttpCode(200) // the report
  scrub(@Req() request: StoreRequest, @Res() response: Response) {
    return this.answer(request, response, async (store) => {
      const report = await this.shared(this.scrubRuns, 'scrub', store, response, async (signal) => {
        const report = await store.scrub({ signal });
        this.logger.info(
          { region: store.region, corrupt: report.corrupt.length, missing: report.missing.length },
          'scrubbed',
        );
        return report;
      });
      response.json(report);
    });
  }
}
