import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { ManifestRootStream } from '@snapferry/storage';
import type { Context, ContextOf } from './context';
import {
  cannotRead,
  cannotWrite,
  CliError,
  ConnectionDroppedError,
  ExitCode,
  networkReason,
  UsageError,
} from './errors';
import { details, formatBytes, table } from './output';
import type { HttpAnswer } from './api-client';
import { watched } from './watched';

interface GetOptions {
  output: string;
  resume?: boolean;
}

export function dataCommands(program: Command, contextOf: ContextOf): void {
  const data = program.command('data').description("a snapshot's bytes");
  data
    .command('get <snapshotId>')
    .description("read a snapshot's bytes into a file, verified against the snapshot's digest")
    .requiredOption('-o, --output <file>', 'the file to write')
    .option('--resume', 'continue a partial file from where it stopped (HTTP Range)')
    .action((id: string, options: GetOptions, command: Command) =>
      getData(contextOf(command), id, options),
    );
  data
    .command('verify <snapshotId>')
    .description(
      "check that a local image holds exactly a snapshot's bytes (its manifest root, computed from the file); if not, which chunks differ. Exit 7 if they differ",
    )
    .requiredOption(
      '--file <image>',
      'the disk image to compare with, e.g. the disk the ranges came from',
    )
    .action((id: string, options: { file: string }, command: Command) =>
      verifyData(contextOf(command), id, options.file),
    );
}

export interface ReadBack {
  snapshotId: string;
  file: string;
  bytes: number;
  resumedFrom: number;
  digest: string | null;
}

async function getData(ctx: Context, id: string, options: GetOptions): Promise<void> {
  const hash = createHash('sha256');
  let have = options.resume ? await existingPrefix(options.output, hash) : 0;
  const response = await ctx.api.send('GET', `/v1/snapshots/${encodeURIComponent(id)}/data`, {
    headers: have > 0 ? { range: `bytes=${have}-` } : {},
    accept: [416], // asked to resume a file that is already complete
  });
  const digest = /^"?([0-9a-f]{64})"?$/.exec(response.headers.get('etag') ?? '')?.[1] ?? null;
  // Without a whole-image SHA-256 (a snapshot made from changed ranges) the root is checked.
  const rootCheck = digest ? undefined : await rootStreamOf(response);
  if (rootCheck && have > 0 && response.status !== 200)
    for await (const chunk of createReadStream(options.output))
      rootCheck.stream.update(chunk as Buffer);
  const total = totalLength(response);
  if (response.status === 416) {
    await response.body?.cancel();
    if (have !== total)
      throw new UsageError(
        `${options.output} holds ${have} bytes but the snapshot has ${total}; not a partial copy of it`,
      );
    return finish(
      ctx,
      { snapshotId: id, file: options.output, bytes: total, resumedFrom: have, digest },
      hash,
    );
  }
  let resumedHash: Hash = hash;
  if (response.status === 200 && have > 0) {
    have = 0; // the server sent everything: start over
    resumedHash = createHash('sha256');
  }
  const file = await open(options.output, have > 0 ? 'a' : 'w').catch(async (error: unknown) => {
    await response.body?.cancel();
    throw cannotWrite(options.output, error);
  });
  const bars = ctx.bars();
  const bar = bars.create(`read ${id}`, total, have, formatBytes(total));
  let written = have;
  async function* counted(source: AsyncIterable<Uint8Array>) {
    for await (const chunk of source) {
      resumedHash.update(chunk);
      rootCheck?.stream.update(chunk);
      written += chunk.length;
      bar.update(written);
      yield chunk;
    }
  }
  /** Set when the response body failed (the connection dropped), not the file. */
  const dropped: { error?: unknown } = {};
  try {
    if (response.body)
      await pipeline(watched(response.body, dropped), counted, file.createWriteStream());
  } catch (error) {
    if (!('error' in dropped)) throw cannotWrite(options.output, error);
    const reason = networkReason(dropped.error);
    throw new ConnectionDroppedError(ctx.api.config.url, reason, written, total);
  } finally {
    bars.stop();
    // The transfer's own outcome is what the user needs to see, not a failed close after it.
    await file.close().catch(() => undefined);
  }
  if (written !== total)
    throw new ConnectionDroppedError(ctx.api.config.url, 'the body ended', written, total);
  if (rootCheck && rootCheck.stream.root() !== rootCheck.root)
    throw new CliError(
      ExitCode.apiError,
      `${options.output} does not match the snapshot's manifest root (${rootCheck.stream.root()} != ${rootCheck.root}); delete it and read again`,
    );
  finish(
    ctx,
    { snapshotId: id, file: options.output, bytes: total, resumedFrom: have, digest },
    resumedHash,
  );
}

function finish(ctx: Context, result: ReadBack, hash: Hash): void {
  const actual = hash.digest('hex');
  if (result.digest && actual !== result.digest)
    throw new CliError(
      ExitCode.apiError,
      `${result.file} does not match the snapshot's digest (${actual} != ${result.digest}); delete it and read again`,
    );
  ctx.out.result(result, () =>
    details([
      ['snapshot', result.snapshotId],
      ['file', result.file],
      ['bytes', `${result.bytes} (${formatBytes(result.bytes)})`],
      ['resumed from', result.resumedFrom || null],
      ['sha256', result.digest ? `${result.digest} (verified)` : actual],
    ]),
  );
}

/** The whole image's length: from Content-Range when partial or refused, else Content-Length. */
export function totalLength(response: Pick<HttpAnswer, 'status' | 'headers'>): number {
  const range = /\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
  if (range) return Number(range[1]);
  return Number(response.headers.get('content-length') ?? 0);
}

/** How much of a previous read is on disk, hashing it so the final digest covers the whole file. */
async function existingPrefix(path: string, hash: Hash): Promise<number> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile() || info.size === 0) return 0;
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return info.size;
}

/** The root a read-back is checked against when the snapshot has no whole-image SHA-256. */
async function rootStreamOf(
  response: HttpAnswer,
): Promise<{ root: string; stream: ManifestRootStream } | undefined> {
  const root = response.headers.get('x-snapferry-root');
  const chunkSize = Number(response.headers.get('x-snapferry-chunk-size'));
  if (!root || !(chunkSize > 0)) return undefined;
  return { root, stream: await newRootStream(chunkSize) };
}

/** Loaded on use: @snapferry/storage is start-up time other commands need not pay. */
const newRootStream = async (chunkSize: number) =>
  (await import('./root-stream')).newRootStream(chunkSize);

export interface DataVerdict {
  snapshotId: string;
  file: string;
  root: string;
  identical: boolean;
  /** The chunks whose bytes differ (at most 100 listed), as byte ranges of the disk. */
  differing: { offset: number; length: number }[];
  chunksDiffering: number;
}

/**
 * `data verify`: the file's manifest root against the snapshot's (one local read, nothing
 * downloaded) and, only if they differ, a chunk-by-chunk compare with the snapshot's bytes to
 * say where. What catches a changed-range list that missed a write.
 */
async function verifyData(ctx: Context, id: string, path: string): Promise<void> {
  const probe = await ctx.api.send('GET', `/v1/snapshots/${encodeURIComponent(id)}/data`, {
    headers: { range: 'bytes=0-0' },
    accept: [416],
  });
  await probe.body?.cancel();
  const root = probe.headers.get('x-snapferry-root');
  const chunkSize = Number(probe.headers.get('x-snapferry-chunk-size'));
  if (!root || !(chunkSize > 0))
    throw new CliError(
      ExitCode.apiError,
      "the catalog did not say the snapshot's root and chunk size",
    );
  const info = await stat(path).catch((error: unknown) => {
    throw cannotRead(path, error);
  });
  if (!info.isFile()) throw new UsageError(`${path} is not a regular file`);
  const local = await newRootStream(chunkSize);
  const bars = ctx.bars();
  const bar = bars.create(`hash ${path}`, info.size, 0, formatBytes(info.size));
  let read = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
      local.update(chunk as Buffer);
      read += (chunk as Buffer).length;
      bar.update(read);
    }
  } finally {
    bars.stop();
  }
  const verdict: DataVerdict = {
    snapshotId: id,
    file: path,
    root,
    identical: true,
    differing: [],
    chunksDiffering: 0,
  };
  if (local.root() !== root) {
    verdict.identical = false;
    const remote = await newRootStream(chunkSize);
    const response = await ctx.api.send('GET', `/v1/snapshots/${encodeURIComponent(id)}/data`);
    if (response.body)
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) remote.update(chunk);
    remote.root();
    const count = Math.max(local.chunks.length, remote.chunks.length);
    for (let index = 0; index < count; index++) {
      const a = local.chunks[index];
      const b = remote.chunks[index];
      if (a && b && a.digest === b.digest && a.size === b.size) continue;
      verdict.chunksDiffering++;
      if (verdict.differing.length < 100)
        verdict.differing.push({
          offset: index * chunkSize,
          length: Math.max(a?.size ?? 0, b?.size ?? 0),
        });
    }
    ctx.exitWith(ExitCode.dataDiffers);
  }
  ctx.out.result(verdict, () =>
    verdict.identical
      ? `${path} holds exactly the bytes of ${id} (root ${root})`
      : `${path} differs from ${id} in ${verdict.chunksDiffering} chunks of ${formatBytes(chunkSize)}:\n${table(
          ['OFFSET', 'LENGTH'],
          verdict.differing.map((d) => [String(d.offset), String(d.length)]),
        )}`,
  );
}
