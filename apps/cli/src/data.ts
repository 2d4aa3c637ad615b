import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { Context, ContextOf } from './context';
import { CliError, ExitCode, UsageError } from './errors';
import { details, formatBytes } from './output';

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
  const file = await open(options.output, have > 0 ? 'a' : 'w').catch(
    async (error: NodeJS.ErrnoException) => {
      await response.body?.cancel();
      throw new UsageError(`cannot write ${options.output}: ${error.code ?? error.message}`);
    },
  );
  const bars = ctx.bars();
  const bar = bars.create(`read ${id}`, total, have, formatBytes(total));
  let written = have;
  async function* counted(source: AsyncIterable<Uint8Array>) {
    for await (const chunk of source) {
      resumedHash.update(chunk);
      written += chunk.length;
      bar.update(written);
      yield chunk;
    }
  }
  try {
    if (response.body) await pipeline(response.body, counted, file.createWriteStream());
  } catch (error) {
    throw ctx.api.unreachable(error); // the connection dropped mid-body: --resume continues from here
  } finally {
    bars.stop();
    // The transfer's own outcome is what the user needs to see, not a failed close after it.
    await file.close().catch(() => undefined);
  }
  if (written !== total)
    throw ctx.api.unreachable(new Error(`the body ended after ${written} of ${total} bytes`));
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
export function totalLength(response: Pick<Response, 'status' | 'headers'>): number {
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
