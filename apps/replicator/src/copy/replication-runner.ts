import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
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
import { pause } from '@snapferry/platform';
import {
  abandonCopy,
  copySnapshot,
  type RegionStore,
  StorageError,
  type Throttle,
} from '@snapferry/storage';
import {
  type Claim,
  type Job,
  type JobsRepository,
  terminalJobStates,
} from '../jobs/jobs.repository';
import { CancelledError, ClaimLostError, startClaimHeartbeat } from './claim-heartbeat';
import type { CopySlots } from './copy-slots';
import { ProgressReporter } from './progress-reporter';

type ClaimedWithSlot = Extract<Claim, { outcome: 'claimed' }> & { releaseSlot: () => void };

export class ShuttingDownError extends Error {
  constructor() {
    super('replicator is stopping; the copy resumes on the next delivery');
    this.name = 'ShuttingDownError';
  }
}

/** A copy this process runs now (it holds the job's claim). */
interface RunningCopy {
  replicationId: string;
  controller: AbortController;
}

type ProgressType = Exclude<
  keyof ReplicationMessages,
  'ReplicationRequested' | 'ReplicationCancelRequested'
>;

export interface RegionContext {
  region: string;
  jobs: JobsRepository;
  target: RegionStore;
  sourceStore: (region: string) => RegionStore;
  /** This process's copies of the region: REPLICATOR_MAX_CONCURRENT_COPIES, also the region's limit of live claims. */
  slots: CopySlots;
  throttle?: Throttle;
}

/** How this process claims copies in the job rows its region's replicators share. */
export interface ClaimSettings {
  /** This process's instance id (`claimed_by`), unique per start. */
  owner: string;
  /** REPLICATOR_CLAIM_LEASE_MS: a claim lives this long without a heartbeat. */
  leaseMs: number;
}

/** `replicator-<host>-<pid>-<random>`: tells apart the processes of a region, and a restart. */
export const newInstanceId = (): string =>
  `replicator-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;

/**
 * Runs copies for the regions this process serves. A request's message stays unacked for
 * the whole copy (so a crash redelivers it and the copy resumes from what the target store
 * already holds); the job row makes a redelivered or duplicated request find its copy
 * instead of making a second target. The copy runs under the job's claim (see JobsRepository.claim),
 * which several replicators of a region share: a delivery whose job another live process runs
 * waits for it to end, and a region never runs more than its limit of copies, whatever
 * happened to the consumer channels. Outcomes end as Completed / Failed / Cancelled.
 */
export class ReplicationRunner implements BeforeApplicationShutdown {
  /** The copies running in this process (cancels and stop() reach them). */
  private readonly copies = new Set<RunningCopy>();
  /** Per replication, when the latest delivery of it in this process has ended: the next one waits for it. */
  private readonly turns = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  /** How often a waiting delivery looks at its job's claim and the region's live claims again. */
  private readonly pollMs: number;
  private readonly metrics: {
    copies: Counter;
    bytes: Counter;
    inFlight: Gauge;
    cancelCheckFailures: Counter;
  };

  constructor(
    private readonly regions: Map<string, RegionContext>,
    private readonly publisher: Pick<ConfirmPublisher, 'publish'>,
    private readonly logger: Logger,
    registry: Registry,
    private readonly claims: ClaimSettings,
  ) {
    this.pollMs = Math.min(1_000, claims.leaseMs / 3);
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

  /** Stops taking part: running copies abort, their claims are released, their messages go back to the queue. */
  stop(): void {
    this.stopping.abort(new ShuttingDownError());
    for (const { controller } of this.copies) controller.abort(new ShuttingDownError());
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
    const ctx = this.context(message.data.targetRegion);
    const log = this.logger.child({
      correlationId: message.correlationId,
      replicationId: message.data.replicationId,
      region: ctx.region,
    });
    this.stopping.signal.throwIfAborted();
    // Taken before the first await, so two deliveries of one request in this process (the relay
    // re-publishes a batch after a failure; a lost channel redelivers) take turns: the later one
    // finds the earlier one's outcome. Other processes are kept apart by the job's claim.
    const turn = this.takeTurn(message.data.replicationId);
    try {
      await turn.previous;
      await this.runWhenClaimed(ctx, message, log);
    } finally {
      turn.end();
    }
  }

  /**
   * Claims the job and runs it, or finds that it ended; meanwhile waits (the message stays
   * unacked) while another live replicator holds the claim or the region runs its limit of copies.
   */
  private async runWhenClaimed(
    ctx: RegionContext,
    message: ReplicationMessage<'ReplicationRequested'>,
    log: Logger,
  ): Promise<void> {
    const request = message.data;
    let waitingFor: 'held' | 'full' | undefined;
    for (;;) {
      this.stopping.signal.throwIfAborted();
      if (await ctx.jobs.seen(message.eventId)) return log.info('request already handled');
      const claim = await this.claimWithSlot(ctx, request);
      if (claim.outcome === 'claimed') {
        const { job, takenOverFrom, releaseSlot } = claim;
        if (takenOverFrom)
          log.warn(
            { takenOverFrom },
            'took over a copy whose replicator stopped renewing its claim',
          );
        if ((await this.runClaimed(ctx, message, job, releaseSlot, log)) === 'done') return;
        log.warn('another replicator took this copy over; waiting for it to end');
        waitingFor = 'held';
      } else if (claim.outcome === 'ended') {
        await ctx.jobs.remember(message.eventId, message.type);
        return log.info(
          { state: claim.job.state },
          'request redelivered after its copy ended; nothing to do',
        );
      } else if (claim.outcome !== waitingFor) {
        waitingFor = claim.outcome;
        if (claim.outcome === 'held')
          log.info({ claimedBy: claim.claimedBy }, 'the copy runs in another replicator; waiting');
        else log.info({ limit: ctx.slots.limit }, 'the region runs its limit of copies; waiting');
      }
      await pause(this.pollMs, this.stopping.signal);
    }
  }

  /**
   * The job's claim, with one of this process's slots for its copy. When no slot is free, a job
   * that ended or that another live replicator holds is answered without waiting for one.
   */
  private async claimWithSlot(
    ctx: RegionContext,
    request: ReplicationRequested['data'],
  ): Promise<Exclude<Claim, { outcome: 'claimed' }> | ClaimedWithSlot> {
    let releaseSlot = ctx.slots.tryTake();
    if (!releaseSlot) {
      const job = await ctx.jobs.get(request.replicationId);
      if (job && terminalJobStates.includes(job.state)) return { outcome: 'ended', job };
      if (job?.claimedBy && job.claimedBy !== this.claims.owner)
        return { outcome: 'held', claimedBy: job.claimedBy };
      releaseSlot = await ctx.slots.take(this.stopping.signal);
    }
    try {
      const claim = await ctx.jobs.claim(request, { ...this.claims, limit: ctx.slots.limit });
      if (claim.outcome === 'claimed') return { ...claim, releaseSlot };
      releaseSlot();
      return claim;
    } catch (error) {
      releaseSlot();
      throw error;
    }
  }

  /**
   * Runs a claimed job while a heartbeat keeps the claim (and watches the cancel flag). Its
   * terminal state ends the claim; a failure that requeues the message releases it at once
   * (also when stopping), so another replicator need not wait out the lease. 'lost': another
   * replicator took the claim over and runs the copy now.
   */
  private async runClaimed(
    ctx: RegionContext,
    message: ReplicationMessage<'ReplicationRequested'>,
    job: Job,
    releaseSlot: () => void,
    log: Logger,
  ): Promise<'done' | 'lost'> {
    const { replicationId } = message.data;
    const running: RunningCopy = { replicationId, controller: new AbortController() };
    const { controller } = running;
    this.copies.add(running);
    if (this.stopping.signal.aborted) controller.abort(new ShuttingDownError());
    const { owner, leaseMs } = this.claims;
    const stopHeartbeat = startClaimHeartbeat(
      {
        renew: () => ctx.jobs.renewClaim(replicationId, owner, leaseMs),
        cancelRequested: () => ctx.jobs.cancelRequested(replicationId),
        checkFailed: (what, error) => {
          this.metrics.cancelCheckFailures.inc({ region: ctx.region });
          log.warn(
            { err: error, what },
            "could not renew the copy's claim or check whether it was cancelled; it goes on and tries again",
          );
        },
        abort: (reason) => controller.abort(reason),
      },
      { leaseMs },
    );
    try {
      return await this.runToItsEnd(ctx, message, job, controller, log);
    } catch (error) {
      await ctx.jobs
        .releaseClaim(replicationId, owner)
        .catch((failure: unknown) =>
          log.warn({ err: failure }, 'could not release the claim; it expires with its lease'),
        );
      throw error;
    } finally {
      stopHeartbeat();
      this.copies.delete(running);
      releaseSlot();
    }
  }

  /** The copy, or the cancel that was asked for: ends in a terminal state, or throws to requeue. */
  private async runToItsEnd(
    ctx: RegionContext,
    message: ReplicationMessage<'ReplicationRequested'>,
    job: Job,
    controller: AbortController,
    log: Logger,
  ): Promise<'done' | 'lost'> {
    const request = message.data;
    try {
      if (job.cancelRequested) await this.finishCancelled(ctx, request, message);
      else {
        this.metrics.inFlight.inc({ region: ctx.region });
        try {
          await this.copy(ctx, request, job, message.correlationId, controller, log);
        } finally {
          this.metrics.inFlight.dec({ region: ctx.region });
        }
        await ctx.jobs.remember(message.eventId, message.type);
      }
      return 'done';
    } catch (error) {
      const reason: unknown = controller.signal.reason;
      if (reason instanceof ClaimLostError) return 'lost';
      if (reason instanceof ShuttingDownError) throw reason;
      if (error instanceof CancelledError || reason instanceof CancelledError) {
        await this.finishCancelled(ctx, request, message);
        return 'done';
      }
      if (error instanceof StorageError) {
        // The data itself is wrong (corrupt or missing source chunk): retrying cannot help.
        log.warn({ err: error }, 'copy failed');
        await this.fail(ctx, request, message.correlationId, error.message);
        await ctx.jobs.remember(message.eventId, message.type);
        return 'done';
      }
      throw error; // infrastructure trouble: requeue; the delivery limit ends a message that keeps failing
    }
  }

  /**
   * Registers a delivery of `replicationId` synchronously; `previous` settles when the delivery
   * registered before it (in this process) has ended.
   */
  private takeTurn(replicationId: string) {
    const previous = this.turns.get(replicationId);
    let end!: () => void;
    const done = new Promise<void>((resolve) => (end = resolve));
    this.turns.set(replicationId, done);
    return {
      previous,
      end: () => {
        if (this.turns.get(replicationId) === done) this.turns.delete(replicationId);
        end();
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
      ...(result.manifest.imageDigest ? { digest: result.manifest.imageDigest } : {}),
      root: result.manifest.root,
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
    const running = [...this.copies].filter((c) => c.replicationId === replicationId);
    for (const copy of running) copy.controller.abort(new CancelledError());
    this.logger.info(
      { replicationId, region: ctx.region, copyRunsHere: running.length > 0, state: job.state },
      'cancel requested',
    );
    // The copy finished before the cancel arrived: the target was deleted, so drop its data.
    // (A copy running in another replicator of the region sees the flag within a second.)
    if (running.length === 0 && job.state === 'COMPLETED')
      await ctx.target.deleteManifest(message.data.targetSnapshotId);
    await ctx.jobs.remember(message.eventId, message.type);
  }

  /**
   * A request that exhausted its delivery limit: the copy fails, visibly, instead of looping;
   * unless a replicator still runs it (its claim lives), which then ends it itself.
   */
  async onDeadLettered(
    message: ReplicationMessage<'ReplicationRequested'>,
    deliveries: number,
  ): Promise<void> {
    const ctx = this.context(message.data.targetRegion);
    this.stopping.signal.throwIfAborted();
    const turn = this.takeTurn(message.data.replicationId);
    try {
      await turn.previous;
      for (;;) {
        this.stopping.signal.throwIfAborted();
        // Claimed (no slot: failing is not copying) so that no replicator starts it meanwhile.
        const claim = await ctx.jobs.claim(message.data, this.claims);
        if (claim.outcome === 'ended') return;
        if (claim.outcome === 'claimed') return await this.failClaimed(ctx, message, deliveries);
        await pause(this.pollMs, this.stopping.signal);
      }
    } finally {
      turn.end();
    }
  }

  /** Fails a job claimed for that (FAILED ends the claim; a failure to fail releases it). */
  private async failClaimed(
    ctx: RegionContext,
    message: ReplicationMessage<'ReplicationRequested'>,
    deliveries: number,
  ): Promise<void> {
    const reason = `gave up after ${deliveries} failed deliveries of the request`;
    try {
      await this.fail(ctx, message.data, message.correlationId, reason);
    } catch (error) {
      await ctx.jobs
        .releaseClaim(message.data.replicationId, this.claims.owner)
        .catch(() => undefined);
      throw error;
    }
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
