import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsInt, IsString, Matches, Min } from 'class-validator';
import { digestPattern, maxChunkSize, maxManifestChunks, minChunkSize } from '@snapferry/domain';
import { SnapshotResponse } from './snapshot-responses';

/**
 * Chunks one manifest may list: 1.1 TiB at the default 4 MiB chunks, within the route's 32 MiB
 * JSON body limit. Larger images use bigger chunks or the streaming upload.
 */
export { maxManifestChunks };
export const manifestBodyLimit = 32 * 1024 * 1024;

const digestMessage = (name: string) => `${name} must be a SHA-256 in lower-case hex (64 digits)`;

/** One chunk of the image, in order. */
export class ManifestChunkRequest {
  @ApiProperty({ pattern: digestPattern.source, description: "SHA-256 of the chunk's bytes" })
  digest!: string;

  @ApiProperty({ description: 'chunkSize for every chunk but the last (1..chunkSize)' })
  size!: number;
}

/**
 * `POST /v1/snapshots/{id}/data/manifest`: the image as the client chunked and hashed it. Each
 * chunk is checked in the handler (a manifest may list 300,000 of them; class-validator would
 * walk each one as an object, the handler checks them in one loop).
 */
export class UploadManifestRequest {
  @ApiProperty({
    example: 4 * 1024 * 1024,
    description: `bytes per chunk: ${minChunkSize} to ${maxChunkSize}, or the region's chunkSize (GET /v1/regions); use the region's, so chunks match those it already holds`,
  })
  @IsInt()
  @Min(1)
  chunkSize!: number;

  @ApiProperty({
    pattern: digestPattern.source,
    description:
      "SHA-256 of the whole image, as the client computed it while chunking (`sha256sum`); shown as the snapshot's digest. The server verifies every chunk and the root, not this",
  })
  @IsString()
  @Matches(digestPattern, { message: digestMessage('imageDigest') })
  imageDigest!: string;

  @ApiProperty({
    pattern: digestPattern.source,
    description:
      "the manifest root: SHA-256 over each chunk's 32-byte digest followed by its size as a 64-bit big-endian integer, in order",
  })
  @IsString()
  @Matches(digestPattern, { message: digestMessage('root') })
  root!: string;

  @ApiProperty({
    type: [ManifestChunkRequest],
    maxItems: maxManifestChunks,
    description: 'the chunks in order; the image is their concatenation',
  })
  @IsArray()
  @ArrayMaxSize(maxManifestChunks, {
    message: `chunks must list at most ${maxManifestChunks} chunks; use bigger chunks or the streaming upload`,
  })
  chunks!: ManifestChunkRequest[];
}

/** What the region still lacks of a declared manifest, or (when nothing) the committed snapshot. */
export class UploadPlanResponse {
  @ApiProperty({
    type: [String],
    description:
      'the digests the region lacks, each once: PUT each to /v1/snapshots/{id}/data/chunks/{digest}, then POST the manifest again to commit',
  })
  missing!: string[];

  @ApiProperty({ description: "the manifest's chunks (positions in the image)" })
  chunksTotal!: number;

  @ApiProperty({ description: 'distinct chunks still to upload (missing.length)' })
  chunksMissing!: number;

  @ApiProperty({ description: 'bytes still to upload (the sizes of the missing chunks)' })
  bytesMissing!: number;

  @ApiProperty({
    enum: ['CREATING', 'NORMAL'],
    description: 'CREATING while chunks are missing; NORMAL once committed',
  })
  state!: 'CREATING' | 'NORMAL';

  @ApiPropertyOptional({
    type: SnapshotResponse,
    description: 'the snapshot, once committed (state NORMAL)',
  })
  snapshot?: SnapshotResponse;
}

/** `PUT /v1/snapshots/{id}/data/chunks/{digest}`: 201 stored for this account, 200 it already had it there. */
export class ChunkStoredResponse {
  @ApiProperty({ pattern: digestPattern.source }) digest!: string;
  @ApiProperty() size!: number;
  @ApiProperty({
    description: 'false if this account had already sent this chunk to the region',
  })
  created!: boolean;
}

/**
 * `POST /v1/snapshots/{id}/data/changes`: the snapshot, NORMAL, built from its base's chunks
 * and the changed ranges; and what that cost.
 */
export class ChangesStoredResponse {
  @ApiProperty({ type: SnapshotResponse }) snapshot!: SnapshotResponse;
  @ApiProperty({ description: "'w' ranges received" }) rangesWritten!: number;
  @ApiProperty({ description: "'z' ranges received (zeros: no bytes sent)" })
  rangesZeroed!: number;
  @ApiProperty({ description: 'bytes of new data received (the sum of the w ranges)' })
  bytesWritten!: number;
  @ApiProperty({ description: 'bytes the z ranges cover' }) bytesZeroed!: number;
  @ApiProperty({
    description: 'chunks hashed and stored anew (every chunk a range touches, whole)',
  })
  chunksRebuilt!: number;
  @ApiProperty({ description: 'their bytes: what the region rebuilt' }) bytesRebuilt!: number;
  @ApiProperty({
    description:
      'bytes the region wrote for them: a filesystem region keeps a chunk whose changed parts are at most a quarter of it as those parts over the base chunk (a patch), others whole',
  })
  bytesStored!: number;
  @ApiProperty({
    description: "bytes of the base's chunks read to fill the rest of partly changed chunks",
  })
  bytesReadFromBase!: number;
  @ApiProperty({ description: 'chunks taken from the base as they are (not read)' })
  chunksReused!: number;
}
