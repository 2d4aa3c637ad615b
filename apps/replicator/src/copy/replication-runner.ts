import { randomUUID } from 'node:crypto';
import type { BeforeApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  messageVersions,
  type ReplicationMessage,
  type ReplicationMessages,
  routingKeyOf,
} from '@snapferry/contracts';
import type { ReplicationRef, ReplicationRequested } from '@snapferry/domain';
import { type ConfirmPublisher, REPLICATION_EXCHANGE } from '@snapferry/messaging';
import {
  abandonCopy,
  copySnapshot,
  type RegionStore,
  StorageError,
  type Throttle,
} from '@snapferry/storage';
import { type Job, type JobStore, terminalJobStates } from '../jobs/job-store';
import { CancelledError, ProgressReporter } from './progress-reporter';

export class ShuttingDownError extends Error {
  constructor() {
    super('replicator is stopping; the copy resumes on the next delivery');
    this.name = 'ShuttingDownError';
  }
}

interface RunningCopy {
  replicationId: string;
  controller: AbortController;
  /** Settles (never rejects) when the attempt has ended, whatever its outcome. */
  done: Promise<void>;
}

type ProgressType = Exclude<
  keyof ReplicationMessages,
  'ReplicationRequested' | 'ReplicationCancelRequested'
>;

export interface RegionContext {
  region: string;
  jobs: JobStore;
  target: RegionStore;
  sourceStore: (region: string) => RegionStore;
  throttle?: Throttle;
}

/**
 * Runs copies for the regions this process serves. A request's message stays unacked for
 * the whole copy (so a crash redelivers it and the copy resumes from what the target store
 * already holds); the job row makes a redelivered or duplicated request find its copy
 * instead of making a second target. Outcomes end as Completed / Failed / Cancelled.
 */
export class ReplicationRunner implements BeforeApplicationShutdown {
  /** Every attempt running or waiting in this process. */
  private readonly attempts = new Set<RunningCopy>();
  /** The newest attempt per replication: the next delivery of it waits for this one. */
  private readonly latest = new Map<string, RunningCopy>();
  private readonly stopping = new AbortController();
  private readonly metrics: {
    copies: Counter;
    bytes: Counter;
    inFlight: Gauge;
    cancelCheckFailures: Counter;
  };

  constructor(
    private readonly regions: Map<string, RegionContext>,
    private readonly publisher: ConfirmPublisher,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.metrics = {
      copies: new Counter({
        name: 'snapferry_replications_total',
        help: 'Replications by outcome',
        labelNames: ['region', 'outcome'],
        registers: [registry],
      }),
      bytes: new Counter({
        name: 'snapferry_bytes_copied_total',
        help: 'Bytes transferred between regions',
        labelNames: ['region'],
        registers: [registry],
      }),
      inFlight: new Gauge({
        name: 'snapferry_copies_in_flight',
        help: 'Copies running now',
        labelNames: ['region'],
        registers: [registry],
      }),
      cancelCheckFailures: new Counter({
        name: 'snapferry_cancel_check_failures_total',
        help: "Failed checks of a running copy's cancel flag in the replicator's database (the copy goes on; a cancel is noticed at a later check)",
        labelNames: ['region'],
        registers: [registry],
      }),
    };
  }

  /** Stops taking part: running copies abort and their messages go back to the queue. */
  stop(): void {
    this.stopping.abort();
    for (const { controller } of this.attempts) controller.abort(new ShuttingDownError());
  }

  /** The application stops: copies abort before the consumer and the connections close (they resume later). */
  beforeApplicationShutdown(): void {
    this.stop();
  }

  private context(region: string): RegionContext {
    const context = this.regions.get(region);
    if (!context) throw new Error(`this replicator does not serve ${region}`);
    return context;
  }

  async onRequested(message: ReplicationMessage<'ReplicationRequested'>): Promise<void> {
    const request = message.data;
    const ctx = this.context(request.targetRegion);
    const log = this.logger.child({
      correlationId: message.correlationId,
      replicationId: request.replicationId,
      region: ctx.region,
    });
    if (this.stopping.signal.aborted) throw new ShuttingDownError();
    // Claimed before the first await, so two deliveries of one request (the relay re-publishes a
    // batch after a failure; a lost channel redelivers) can never both pass this point unseen:
    // the later one waits for the earlier attempt, then finds its outcome in the inbox.
    const attempt = this.claim(request.replicationId);
    try {
      await attempt.previous;
      attempt.controller.signal.throwIfAborted();
      if (await ctx.jobs.seen(message.eventId)) return log.info('request already handled');
      const job = await ctx.jobs.beginAttempt(request);
      if (terminalJobStates.includes(job.state)) {
        await ctx.jobs.remember(message.eventId, message.type);
        return log.info(
          { state: job.state },
          'request redelivered after its copy ended; nothing to do',
        );
      }
      if (job.cancelRequested) return await this.finishCancelled(ctx, request, message);
      this.metrics.inFlight.inc({ region: ctx.region });
      try {
        await this.copy(ctx, request, job, message.correlationId, attempt.controller, log);
        await ctx.jobs.remember(message.eventId, message.type);
      } finally {
        this.metrics.inFlight.dec({ region: ctx.region });
      }
    } catch (error) {
      const reason: unknown = attempt.controller.signal.reason;
      if (reason instanceof ShuttingDownError) throw reason;
      if (error instanceof CancelledError || reason instanceof CancelledError)
        return this.finishCancelled(ctx, request, message);
      if (error instanceof StorageError) {
        // The data itself is wrong (corrupt or missing source chunk): retrying cannot help.
        log.warn({ err: error }, 'copy failed');
        await this.fail(ctx, request, message.correlationId, error.message);
        await ctx.jobs.remember(message.eventId, message.type);
        return;
      }
      throw error; // infrastructure trouble: requeue; the delivery limit ends a message that keeps failing
    } finally {
      attempt.release();
    }
  }

  /**
   * Registers an attempt for `replicationId` synchronously; `previous` settles when the attempt
   * registered before it (in this process) has ended. Every attempt is tracked, so stop() and
   * cancels reach all of them.
   */
  private claim(replicationId: string) {
    const previous = this.latest.get(replicationId)?.done;
    const controller = new AbortController();
    let release!: () => void;
    const attempt: RunningCopy = {
      replicationId,
      controller,
      done: new Promise<void>((resolve) => (release = resolve)),
    };
    this.latest.set(replicationId, attempt);
    this.attempts.add(attempt);
    return {
      controller,
      previous,
      release: () => {
        this.attempts.delete(attempt);
        if (this.latest.get(replicationId) === attempt) this.latest.delete(replicationId);
        release();
      },
    };
  }

  private async copy(
    ctx: RegionContext,
    request: ReplicationRequested['data'],
    job: Job,
    correlationId: string,
    controller: AbortController,
    log: Logger,
  ): Promise<void> {
    const ref = refOf(request);
    const source = ctx.sourceStore(request.sourceRegion);
    const manifest = await source.getManifest(request.sourceSnapshotId);
    const chunksTotal = manifest?.chunks.length ?? 0;
    const reporter = new ProgressReporter({
      publishProgressed: async (progress, percent) =>
        this.publish('ReplicationProgressed', correlationId, {
          ...ref,
          sequence: await ctx.jobs.nextSequence(request.replicationId),
          bytesTotal: progress.bytesTotal,
          bytesDone: progress.bytesDone,
          bytesTransferred: progress.bytesCopied,
          chunksCopied: progress.chunksCopied,
          chunksSkipped: progress.chunksSkipped,
          percent,
          progressedAt: now(),
        }),
      publishVerifying: async () => {
        await ctx.jobs.setState(request.replicationId, 'VERIFYING');
        await this.publish('ReplicationVerifying', correlationId, { ...ref, verifyingAt: now() });
      },
      cancelRequested: () => ctx.jobs.cancelRequested(request.replicationId),
      cancelCheckFailed: (error) => {
        this.metrics.cancelCheckFailures.inc({ region: ctx.region });
        log.warn(
          { err: error },
          'could not check whether the copy was cancelled; it goes on and checks again in a second',
        );
      },
      abort: (reason) => controller.abort(reason),
    });
    // Started goes out first, in the background: the copy does not wait for the confirm.
    const started = { ...ref, attempt: job.attempts, bytesTotal: request.sizeBytes, chunksTotal };
    reporter.inOrder(() =>
      this.publish('ReplicationStarted', correlationId, { ...started, startedAt: now() }),
    );
    log.info({ attempt: job.attempts }, 'copy started');
    let result;
    try {
      result = await copySnapshot({
        accountId: request.accountId,
        source,
        ...(manifest ? { sourceManifest: manifest } : {}),
        target: ctx.target,
        sourceSnapshotId: request.sourceSnapshotId,
        targetSnapshotId: request.targetSnapshotId,
        onProgress: reporter.onProgress,
        throttle: ctx.throttle,
        signal: controller.signal,
      });
    } catch (error) {
      // Whatever was reported (Started first) goes out before the failure that follows.
      await reporter.drain();
      throw error;
    }
    await reporter.settle();
    if (await ctx.jobs.cancelRequested(request.replicationId)) throw new CancelledError();
    await this.publish('ReplicationCompleted', correlationId, {
      ...ref,
      sizeBytes: result.manifest.totalLength,
      digest: result.manifest.imageDigest,
      chunkCount: result.manifest.chunks.length,
      bytesTransferred: result.bytesCopied,
      chunksCopied: result.chunksCopied,
      chunksSkipped: result.chunksSkipped,
      completedAt: now(),
    });
    await ctx.jobs.setState(request.replicationId, 'COMPLETED');
    this.metrics.copies.inc({ region: ctx.region, outcome: 'completed' });
    this.metrics.bytes.inc({ region: ctx.region }, result.bytesCopied);
    log.info(
      {
        bytesTransferred: result.bytesCopied,
        chunksCopied: result.chunksCopied,
        chunksSkipped: result.chunksSkipped,
      },
      'copy completed',
    );
  }

  async onCancelRequested(
    message: ReplicationMessage<'ReplicationCancelRequested'>,
  ): Promise<void> {
    const { replicationId } = message.data;
    const ctx = this.context(message.data.targetRegion);
    const job = await ctx.jobs.requestCancel(replicationId);
    const running = [...this.attempts].filter((a) => a.replicationId === replicationId);
    for (const attempt of running) attempt.controller.abort(new CancelledError());
    // The copy finished before the cancel arrived: the target was deleted, so drop its data.
    // (A job known but not running here may be copying in another replicator: it polls the flag.)
    if (running.length === 0 && job.state === 'COMPLETED')
      await ctx.target.deleteManifest(message.data.targetSnapshotId);
    await ctx.jobs.remember(message.eventId, message.type);
  }

  /** A request that exhausted its delivery limit: the copy fails, visibly, instead of looping. */
  async onDeadLettered(
    message: ReplicationMessage<'ReplicationRequested'>,
    deliveries: number,
  ): Promise<void> {
    const ctx = this.context(message.data.targetRegion);
    const job = await ctx.jobs.get(message.data.replicationId);
    if (job && terminalJobStates.includes(job.state)) return;
    await this.fail(
      ctx,
      message.data,
      message.correlationId,
      `gave up after ${deliveries} failed deliveries of the request`,
    );
  }

  private async finishCancelled(
    ctx: RegionContext,
    request: ReplicationRequested['data'],
    message: ReplicationMessage,
  ): Promise<void> {
    // A failed cleanup throws: the message is redelivered and the cancel is finished then.
    await abandonCopy(ctx.target, request.targetSnapshotId);
    await ctx.target.deleteManifest(request.targetSnapshotId);
    await this.publish('ReplicationCancelled', message.correlationId, {
      ...refOf(request),
      cancelledAt: now(),
    });
    await ctx.jobs.setState(request.replicationId, 'CANCELLED');
    await ctx.jobs.remember(message.eventId, message.type);
    this.metrics.copies.inc({ region: ctx.region, outcome: 'cancelled' });
  }

  private async fail(
    ctx: RegionContext,
    request: ReplicationRequested['data'],
    correlationId: string,
    reason: string,
  ): Promise<void> {
    // A failed cleanup throws: the message is redelivered and the failure is recorded then.
    await abandonCopy(ctx.target, request.targetSnapshotId);
    await this.publish('ReplicationFailed', correlationId, {
      ...refOf(request),
      reason,
      failedAt: now(),
    });
    await ctx.jobs.setState(request.replicationId, 'FAILED', reason);
    this.metrics.copies.inc({ region: ctx.region, outcome: 'failed' });
  }

  private async publish<T extends ProgressType>(
    type: T,
    correlationId: string,
    data: ReplicationMessages[T],
  ): Promise<void> {
    const message = {
      eventId: randomUUID(),
      type,
      version: messageVersions[type],
      occurredAt: now(),
      correlationId,
      data,
    } as ReplicationMessage;
    await this.publisher.publish(REPLICATION_EXCHANGE, routingKeyOf(message), message);
  }
}

const now = () => new Date().toISOString();
const refOf = (r: ReplicationRef): ReplicationRef => ({
  replicationId: r.replicationId,
  sourceSnapshotId: r.sourceSnapshotId,
  targetSnapshotId: r.targetSnapshotId,
  targetRegion: r.targetRegion,
});
