import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { ChangesStoredResponse, SnapshotResponse } from '@snapferry/contracts';
import type { Context } from '../context';
import { cannotRead, UsageError } from '../errors';
import { formatBytes } from '../output';
import { diskSizeFor, type TagOption } from '../parse';
import { newCounters, rangesBody, rbdBody, rbdDiffStart, type BodyCounters } from './change-body';
import { parseRbdDiff } from './rbd-diff';
import { readRangesFile } from './ranges-file';

export interface FromBaseOptions {
  base: string;
  region?: string;
  disk?: string;
  file?: string;
  changedRanges?: string;
  rbdDiff?: string;
  name?: string;
  diskUsage: string;
  diskSize?: number;
  tag?: TagOption[];
}

/** The snapshot, and what making it cost beside what changed. */
export type CreatedFromBase = ChangesStoredResponse & {
  /** Bytes the CLI read: of the image file (the changed ranges), or of the rbd diff's data. */
  bytesRead: number;
  /** Bytes it sent (the change stream: the ranges' bytes plus 17 bytes a range). */
  bytesSent: number;
  rbd?: { fromSnapshot: string | null; toSnapshot: string | null };
};

/** A change stream ready to send, with what the registration needs to know first. */
interface Changes {
  body: AsyncIterable<Buffer>;
  length?: number;
  /** The new data size. */
  size: number;
  close(): Promise<void>;
  rbd?: CreatedFromBase['rbd'];
}

/**
 * `snapshot create --base snap-… --changed-ranges ranges.json --file disk.img` or
 * `--base snap-… --rbd-diff <file|->`: registers a snapshot on the base (its region, disk and
 * size unless given) and sends only the changes; the region builds the rest from the base.
 */
export async function createFromBase(ctx: Context, options: FromBaseOptions): Promise<void> {
  const counters = newCounters();
  // An rbd diff's first records are read while the base is asked for: a pipe's producer (rbd
  // connecting to its cluster) and the round trip to the API overlap. The base's refusal still
  // comes first.
  const rbd = options.rbdDiff !== undefined ? rbdSource(ctx, options.rbdDiff) : undefined;
  const rbdStarted = rbd && rbdChanges(rbd, counters);
  rbdStarted?.catch(() => undefined); // awaited below, after the base
  let base: SnapshotResponse & { sizeBytes: number };
  let changes: Changes;
  try {
    base = await normalBase(ctx, options.base);
    changes =
      rbdStarted !== undefined
        ? await rbdStarted
        : await rangeChanges(options.file, options.changedRanges, base.sizeBytes, counters);
  } catch (error) {
    rbd?.destroy();
    throw error;
  }
  if (changes.rbd?.fromSnapshot === null)
    ctx.out.notice(
      "the rbd diff has no from-snapshot (rbd export-diff without --from-snap): it lists every extent ever written; what it does not list keeps the base's bytes",
    );
  try {
    const registered = await ctx.api.json<SnapshotResponse>('POST', '/v1/snapshots', {
      json: {
        region: options.region ?? base.region,
        diskId: options.disk ?? base.diskId,
        diskUsage: options.diskUsage,
        diskSizeGiB: options.diskSize ?? Math.max(base.diskSizeGiB, diskSizeFor(changes.size)),
        baseSnapshotId: base.snapshotId,
        ...(options.name !== undefined ? { name: options.name } : {}),
        ...(options.tag !== undefined ? { tags: options.tag } : {}),
      },
    });
    const stored = await send(ctx, registered.snapshotId, changes, counters).catch(
      (error: unknown) => {
        ctx.out.notice(
          `snapshot ${registered.snapshotId} was registered but its changes were not stored; create it again (it stays CREATING until deleted)`,
        );
        throw error;
      },
    );
    const created: CreatedFromBase = {
      ...stored,
      bytesRead: counters.bytesRead,
      bytesSent: counters.bytesSent,
      ...(changes.rbd ? { rbd: changes.rbd } : {}),
    };
    ctx.out.result(created, () => createdText(created));
  } finally {
    await changes.close();
  }
}

/** The base snapshot, refused unless NORMAL with data. */
async function normalBase(
  ctx: Context,
  id: string,
): Promise<SnapshotResponse & { sizeBytes: number }> {
  const base = await ctx.api.get<SnapshotResponse>(`/v1/snapshots/${encodeURIComponent(id)}`);
  if (base.state !== 'NORMAL' || base.sizeBytes === null)
    throw new UsageError(
      `base snapshot ${base.snapshotId} is ${base.state}; a base must be NORMAL`,
    );
  return { ...base, sizeBytes: base.sizeBytes };
}

async function send(ctx: Context, snapshotId: string, changes: Changes, counters: BodyCounters) {
  const bars = ctx.bars();
  const bar = bars.create(`changes ${snapshotId}`, changes.size, 0, '');
  async function* shown(body: AsyncIterable<Buffer>) {
    for await (const piece of body) {
      yield piece;
      bar.update(
        Math.min(counters.position, changes.size),
        `sent ${formatBytes(counters.bytesSent)}`,
      );
    }
  }
  try {
    return await ctx.api.json<ChangesStoredResponse>(
      'POST',
      `/v1/snapshots/${encodeURIComponent(snapshotId)}/data/changes`,
      {
        stream: {
          body: shown(changes.body),
          ...(changes.length !== undefined ? { length: changes.length } : {}),
        },
      },
    );
  } finally {
    bars.stop();
  }
}

async function rangeChanges(
  file: string | undefined,
  rangesPath: string | undefined,
  baseSize: number,
  counters: BodyCounters,
): Promise<Changes> {
  if (!file || !rangesPath)
    throw new UsageError(
      '--base needs --rbd-diff <file|->, or --changed-ranges <ranges.json> with --file <image>',
    );
  const info = await stat(file).catch((error: unknown) => {
    throw cannotRead(file, error);
  });
  if (!info.isFile()) throw new UsageError(`${file} is not a regular file`);
  const size = info.size;
  const ranges = await readRangesFile(rangesPath, size);
  const handle = await open(file, 'r');
  const { body, length } = rangesBody(
    handle,
    file,
    ranges,
    size === baseSize ? undefined : size,
    counters,
  );
  return { body, length, size, close: () => handle.close() };
}

/** Where an rbd diff is read from: its file, or standard input for `-`. */
interface RbdSource {
  pieces: AsyncIterable<Buffer>;
  destroy(): void;
}

function rbdSource(ctx: Context, path: string): RbdSource {
  const stream =
    path === '-'
      ? (ctx.stdin as AsyncIterable<Buffer>)
      : createReadStream(path, { highWaterMark: 1024 * 1024 });
  return {
    pieces: readOrSay(stream, path === '-' ? 'standard input' : path),
    destroy: () => {
      if ('destroy' in stream && typeof stream.destroy === 'function') stream.destroy();
    },
  };
}

/** The pieces of `stream`; one it cannot read (missing, a directory, an I/O error) is a usage error. */
async function* readOrSay(stream: AsyncIterable<Buffer>, what: string): AsyncGenerator<Buffer> {
  try {
    yield* stream;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).syscall !== undefined) throw cannotRead(what, error);
    throw error;
  }
}

async function rbdChanges(source: RbdSource, counters: BodyCounters): Promise<Changes> {
  const start = await rbdDiffStart(parseRbdDiff(source.pieces));
  if (start.size === undefined)
    throw new UsageError('the rbd export-diff stream has no size record');
  return {
    body: rbdBody(start, counters),
    size: start.size,
    close: async () => source.destroy(),
    rbd: { fromSnapshot: start.from ?? null, toSnapshot: start.to ?? null },
  };
}

function createdText(c: CreatedFromBase): string {
  const s = c.snapshot;
  const lines = [
    `${s.snapshotId}  ${s.state}  ${formatBytes(s.sizeBytes)}  root ${s.root ?? '-'}`,
    `from base ${s.baseSnapshotId ?? '-'}: ${c.rangesWritten} changed ranges (${formatBytes(c.bytesWritten)}), ${c.rangesZeroed} zeroed (${formatBytes(c.bytesZeroed)})`,
    `read ${formatBytes(c.bytesRead)}, sent ${formatBytes(c.bytesSent)}; the region rebuilt ${c.chunksRebuilt} chunks (${formatBytes(c.bytesRebuilt)}, ${formatBytes(c.bytesStored)} stored) and kept ${c.chunksReused} of the base`,
  ];
  if (c.rbd)
    lines.push(
      `rbd diff from ${c.rbd.fromSnapshot ?? '(image creation)'} to ${c.rbd.toSnapshot ?? '(head)'}`,
    );
  return lines.join('\n');
}
