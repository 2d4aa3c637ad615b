import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { type Command, Option } from 'commander';
import { maxManifestChunks, reservedTagPrefix, snapshotViewStates } from '@snapferry/domain';
import type { RegionsResponse, SnapshotListResponse, SnapshotResponse } from '@snapferry/contracts';
import { uploadChunked, uploadProgressText, type UploadStats } from './chunked-upload';
import type { Context, ContextOf } from './context';
import { cannotRead, UsageError } from './errors';
import type { HashedImage } from './image-hash';
import { details, formatBytes, show, table } from './output';
import { diskSizeFor, nonNegativeInt, positiveInt, tag, type TagOption } from './parse';
import type { FromBaseOptions } from './changes/create-from-base';

export function snapshotCommands(program: Command, contextOf: ContextOf): void {
  const snapshot = program
    .command('snapshot')
    .description('register, upload, list, show, rename and delete snapshots');

  snapshot
    .command('create')
    .description(
      'register a snapshot and upload a local disk image into it, or (with --base) only what changed since a base snapshot',
    )
    .option(
      '--region <region>',
      "the region the snapshot lives in, e.g. ap-guangzhou (required; with --base: the base's)",
    )
    .option(
      '--disk <diskId>',
      "the disk it was taken from, e.g. disk-3k9d0x2a (required; with --base: the base's)",
    )
    .option('--file <path>', 'the disk image to upload (with --changed-ranges: read only there)')
    .option(
      '--base <snapshotId>',
      'a NORMAL snapshot of the same disk in the region: send only the changes since it',
    )
    .option(
      '--changed-ranges <path>',
      'with --base and --file: a JSON list of the changed ranges, [{"offset", "length"}] or qemu-img map --output=json of an overlay',
    )
    .option(
      '--rbd-diff <path|->',
      'with --base: a Ceph `rbd export-diff` stream (v1 or v2; - reads stdin) of the changes since the base',
    )
    .option('--name <name>', 'a name (at most 60 characters)')
    .option('--tag <key=value>', 'a tag, e.g. tier=gold (repeatable, at most 50)', tag)
    .addOption(
      new Option('--disk-usage <usage>', 'the kind of disk')
        .choices(['DATA_DISK', 'SYSTEM_DISK'])
        .default('DATA_DISK'),
    )
    .option(
      '--disk-size <GiB>',
      'the disk size (default: the file size rounded up to a GiB)',
      positiveInt,
    )
    .action((options: CreateOptions, command: Command) =>
      createSnapshot(contextOf(command), options),
    );

  snapshot
    .command('upload <snapshotId>')
    .description(
      'upload the disk image of a snapshot still CREATING (e.g. after an interrupted create: only what the region still lacks is sent)',
    )
    .requiredOption('--file <path>', 'the disk image to upload')
    .action(async (id: string, options: { file: string }, command: Command) => {
      const ctx = contextOf(command);
      const file = await imageFile(options.file);
      const { region } = await ctx.api.get<SnapshotResponse>(
        `/v1/snapshots/${encodeURIComponent(id)}`,
      );
      const stored = await upload(ctx, id, file, await hashImage(ctx, file, region));
      ctx.out.result(stored, () => uploadedDetails(stored, file));
    });

  snapshot
    .command('list')
    .description("one region's snapshots (sources and arriving copies), newest first")
    .requiredOption('--region <region>', 'the region to list')
    .addOption(
      new Option('--state <state>', 'only snapshots in this state').choices(snapshotViewStates),
    )
    .option('--disk <diskId>', 'only snapshots of this disk')
    .option('--tag <key=value>', 'only snapshots carrying this tag (repeatable: all of them)', tag)
    .option('--offset <n>', 'skip this many', nonNegativeInt)
    .option('--limit <n>', 'at most this many (1-100, default 20)', positiveInt)
    .action(async (options: ListOptions, command: Command) => {
      const ctx = contextOf(command);
      const page = await ctx.api.get<SnapshotListResponse>('/v1/snapshots', {
        region: options.region,
        state: options.state,
        diskId: options.disk,
        ...tagFilters(options.tag),
        offset: options.offset,
        limit: options.limit,
      });
      ctx.out.result(page, () => snapshotTable(page));
    });

  snapshot
    .command('get <snapshotId>')
    .description('one snapshot, with the regions it is copying to')
    .action(async (id: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const found = await ctx.api.get<SnapshotResponse>(`/v1/snapshots/${encodeURIComponent(id)}`);
      ctx.out.result(found, () => snapshotDetails(found));
    });

  snapshot
    .command('rename <snapshotId> <name>')
    .description('give a snapshot a new name')
    .action(async (id: string, name: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const renamed = await ctx.api.json<SnapshotResponse>(
        'PATCH',
        `/v1/snapshots/${encodeURIComponent(id)}`,
        { json: { name } },
      );
      ctx.out.result(renamed, () => snapshotDetails(renamed));
    });

  snapshot
    .command('delete <snapshotId>')
    .description(
      'delete a snapshot (refused while copies from it are in flight; deleting a copy in flight cancels it)',
    )
    .action(async (id: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      await ctx.api.json('DELETE', `/v1/snapshots/${encodeURIComponent(id)}`);
      ctx.out.result({ snapshotId: id, deleted: true }, () => `deleted ${id}`);
    });
}

/** `snapshot create`'s options: those of a snapshot from a base, the base optional. */
type CreateOptions = Omit<FromBaseOptions, 'base'> & { base?: string };

interface ListOptions {
  region: string;
  state?: string;
  disk?: string;
  tag?: TagOption[];
  offset?: number;
  limit?: number;
}

async function createSnapshot(ctx: Context, options: CreateOptions): Promise<void> {
  const { base, region, disk, file: path } = options;
  if (options.changedRanges !== undefined && options.rbdDiff !== undefined)
    throw new UsageError('give --changed-ranges or --rbd-diff, not both');
  if (base !== undefined) {
    if (options.changedRanges === undefined && options.rbdDiff === undefined)
      throw new UsageError(
        '--base needs --changed-ranges <ranges.json> (with --file) or --rbd-diff <file|->',
      );
    // Loaded on use, like the hashing: @snapferry/storage is start-up time other commands skip.
    const { createFromBase } = await import('./changes/create-from-base');
    return createFromBase(ctx, { ...options, base });
  }
  if (options.changedRanges !== undefined || options.rbdDiff !== undefined)
    throw new UsageError('--changed-ranges and --rbd-diff need --base <snapshotId>');
  // Required unless --base gives them (commander's own words, so scripts see one message).
  const missing = [
    [region, '--region <region>'],
    [disk, '--disk <diskId>'],
    [path, '--file <path>'],
  ].find(([value]) => value === undefined);
  if (missing || region === undefined || disk === undefined || path === undefined)
    throw new UsageError(
      `required option '${missing?.[1] ?? '--file <path>'}' not specified (or give --base)`,
    );
  return createWhole(ctx, { ...options, region, disk, file: path });
}

async function createWhole(
  ctx: Context,
  options: CreateOptions & { region: string; disk: string; file: string },
): Promise<void> {
  const file = await imageFile(options.file);
  const image = await hashImage(ctx, file, options.region); // before registering: an unreadable file leaves nothing behind
  const registered = await ctx.api.json<SnapshotResponse>('POST', '/v1/snapshots', {
    json: {
      region: options.region,
      diskId: options.disk,
      diskUsage: options.diskUsage,
      diskSizeGiB: options.diskSize ?? diskSizeFor(file.size),
      ...(options.name !== undefined ? { name: options.name } : {}),
      ...(options.tag !== undefined ? { tags: options.tag } : {}),
    },
  });
  let stored: Uploaded;
  try {
    stored = await upload(ctx, registered.snapshotId, file, image);
  } catch (error) {
    // The snapshot exists (CREATING): say how to finish it rather than leave it a mystery.
    ctx.out.notice(
      `snapshot ${registered.snapshotId} was registered but its data was not stored; retry with: snapferry snapshot upload ${registered.snapshotId} --file ${options.file}`,
    );
    throw error;
  }
  ctx.out.result(stored, () => uploadedDetails(stored, file));
}

interface ImageFile {
  path: string;
  size: number;
}

async function imageFile(path: string): Promise<ImageFile> {
  const info = await stat(path).catch((error: unknown) => {
    throw cannotRead(path, error);
  });
  if (!info.isFile()) throw new UsageError(`${path} is not a regular file`);
  return { path, size: info.size };
}

/** The snapshot once its data is stored, and what the upload sent and skipped. */
type Uploaded = SnapshotResponse & UploadStats;

/** Hashes the file as the region chunks uploads (its chunkSize), with a progress bar. */
async function hashImage(ctx: Context, file: ImageFile, region: string): Promise<HashedImage> {
  const regions = await ctx.api.get<RegionsResponse>('/v1/regions');
  const chunkSize = regions.regions.find((r) => r.id === region)?.chunkSize ?? regions.chunkSize;
  const bars = ctx.bars();
  const bar = bars.create(`hash ${basename(file.path)}`, file.size, 0, formatBytes(file.size));
  try {
    // Loaded by the commands that hash: @snapferry/storage (and the domain it brings) is
    // start-up time every other command would pay.
    const { hashImageFile } = await import('./image-hash');
    return await hashImageFile(file.path, chunkSize, (bytes) => bar.update(bytes));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code) throw cannotRead(file.path, error);
    throw error;
  } finally {
    bars.stop();
  }
}

/**
 * The incremental upload (only the chunks the region lacks), with a bar over the whole image
 * that says how much was skipped; an image with more chunks than a manifest may list streams.
 */
async function upload(
  ctx: Context,
  snapshotId: string,
  file: ImageFile,
  image: HashedImage,
): Promise<Uploaded> {
  const bars = ctx.bars();
  const bar = bars.create(`upload ${snapshotId}`, file.size, 0, formatBytes(file.size));
  try {
    if (image.chunks.length > maxManifestChunks)
      return await streamUpload(ctx, snapshotId, file, image, bar);
    const { snapshot, stats } = await uploadChunked(ctx, snapshotId, file.path, image, { bar });
    return { ...snapshot, ...stats };
  } finally {
    bars.stop();
  }
}

/** The plain streaming upload: the whole file as the request body (Content-Length set). */
async function streamUpload(
  ctx: Context,
  snapshotId: string,
  file: ImageFile,
  image: HashedImage,
  bar: { update(value: number): void },
): Promise<Uploaded> {
  let sent = 0;
  async function* counted(source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      sent += chunk.length;
      bar.update(sent);
      yield chunk;
    }
  }
  const snapshot = await ctx.api.json<SnapshotResponse>(
    'PUT',
    `/v1/snapshots/${encodeURIComponent(snapshotId)}/data`,
    { stream: { body: counted(createReadStream(file.path)), length: file.size } },
  );
  const stats = { bytesUploaded: file.size, bytesSkipped: 0, chunksSkipped: 0 };
  return { ...snapshot, ...stats, chunksUploaded: image.chunks.length };
}

function uploadedDetails(stored: Uploaded, file: ImageFile): string {
  return `${snapshotDetails(stored)}\n${uploadProgressText(stored, file.size)}`;
}

/** The list's `tag:<key>=<value>` query parameters. */
export function tagFilters(tags: TagOption[] = []): Record<string, string> {
  return Object.fromEntries(tags.map((t) => [`tag:${t.key}`, t.value]));
}

/** `tier=gold, env=prod`: a snapshot's tags in one cell (the service's own included). */
export function tagsCell(tags: readonly { key: string; value: string }[] | undefined): string {
  return tags?.map((t) => `${t.key}=${t.value}`).join('\n') || '-';
}

/** Where a snapshot's copies stand, in one cell. */
export function copyCell(s: SnapshotResponse): string {
  if (s.copyFromRemote) return `from ${show(s.sourceRegion)}/${show(s.sourceSnapshotId)}`;
  return s.copyingToRegions.map((c) => `to ${c.region} ${c.state} ${c.percent}%`).join('\n') || '-';
}

export function snapshotTable(page: SnapshotListResponse): string {
  const rows = page.snapshots.map((s) => [
    s.snapshotId,
    show(s.name),
    s.state,
    `${s.percent}%`,
    formatBytes(s.sizeBytes),
    s.diskId,
    s.diskUsage,
    tagsCell(s.tags.filter((t) => !t.key.startsWith(reservedTagPrefix))),
    copyCell(s),
    s.createdAt,
  ]);
  const shown =
    page.snapshots.length === 0
      ? 'no snapshots'
      : `${page.offset + 1}-${page.offset + page.snapshots.length}`;
  return `${table(['SNAPSHOT', 'NAME', 'STATE', 'PROGRESS', 'DATA', 'DISK', 'USAGE', 'TAGS', 'COPIES', 'CREATED'], rows)}\n${page.region}: ${shown} of ${page.total}`;
}

export function snapshotDetails(s: SnapshotResponse): string {
  const main = details([
    ['snapshot', s.snapshotId],
    ['name', s.name],
    ['region', s.region],
    ['state', s.state],
    ['progress', `${s.percent}%`],
    ['disk', `${s.diskId} (${s.diskUsage}, ${s.diskSizeGiB} GiB)`],
    ['data', formatBytes(s.sizeBytes)],
    ['digest', s.digest],
    ['root', s.root],
    ['base', s.baseSnapshotId],
    ['encrypted', s.encrypted],
    ['tags', tagsCell(s.tags).replaceAll('\n', ', ')],
    [
      'copied from',
      s.copyFromRemote ? `${show(s.sourceSnapshotId)} in ${show(s.sourceRegion)}` : null,
    ],
    ['replication', s.replicationId],
    ['failure', s.failureReason],
    ['created', s.createdAt],
    ['updated', s.updatedAt],
  ]);
  if (s.copyingToRegions.length === 0) return main;
  const copies = table(
    ['COPYING TO', 'SNAPSHOT', 'REPLICATION', 'STATE', 'PROGRESS'],
    s.copyingToRegions.map((c) => [
      c.region,
      c.snapshotId,
      c.replicationId,
      c.state,
      `${c.percent}%`,
    ]),
  );
  return `${main}\n${copies}`;
}
