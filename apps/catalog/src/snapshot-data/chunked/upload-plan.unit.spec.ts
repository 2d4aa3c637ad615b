import { createHash } from 'node:crypto';
import type { UploadManifestRequest } from '@snapferry/contracts';
import { manifestRoot } from '@snapferry/storage';
import { ApiError } from '../../http/api-error';
import { samePlan, validateUploadPlan } from './upload-plan';

const KiB = 1024;
const digest = (text: string) => createHash('sha256').update(text).digest('hex');
const limits = { maxBytes: 1024 * KiB * KiB, regionChunkSize: 64 * KiB };

/** A manifest of chunks of the given sizes (distinct digests), with its true root. */
function manifest(sizes: number[], chunkSize = 64 * KiB): UploadManifestRequest {
  const chunks = sizes.map((size, i) => ({ digest: digest(`chunk ${i}`), size }));
  // A fractional size has no root; its refusal comes first anyway.
  const root = sizes.every(Number.isInteger) ? manifestRoot(chunks) : digest('no root');
  return { chunkSize, imageDigest: digest('image'), root, chunks };
}

/** The code a plan is refused with (or 'ok'). */
function verdict(body: UploadManifestRequest, over: Partial<typeof limits> = {}): string {
  try {
    validateUploadPlan(body, { ...limits, ...over });
    return 'ok';
  } catch (error) {
    if (error instanceof ApiError) return `${error.status} ${error.code}`;
    throw error;
  }
}

/** The same chunks under a root recomputed for them (so only the rule under test is broken). */
const rerooted = (body: UploadManifestRequest): UploadManifestRequest => ({
  ...body,
  root: manifestRoot(body.chunks),
});

describe('validateUploadPlan', () => {
  it('accepts full chunks and a shorter last one, and sums them up', () => {
    const body = manifest([64 * KiB, 64 * KiB, 10]);
    const plan = validateUploadPlan(body, limits);
    expect(plan).toMatchObject({ chunkSize: 64 * KiB, totalLength: 128 * KiB + 10 });
    expect(plan.chunks).toEqual(body.chunks);
    expect([...plan.sizes.values()]).toEqual([64 * KiB, 64 * KiB, 10]);
  });

  it('accepts an empty image and one repeated chunk (counted once in sizes)', () => {
    expect(verdict(manifest([]))).toBe('ok');
    const chunk = { digest: digest('zeros'), size: 64 * KiB };
    const plan = validateUploadPlan(
      rerooted({ ...manifest([]), chunks: [chunk, chunk, chunk] }),
      limits,
    );
    expect(plan.sizes.size).toBe(1);
    expect(plan.totalLength).toBe(192 * KiB);
  });

  it('refuses a root that is not the root of the chunks (order and sizes count)', () => {
    const body = manifest([64 * KiB, 64 * KiB]);
    expect(verdict({ ...body, root: digest('other') })).toBe('400 InvalidParameter.ManifestRoot');
    const swapped = { ...body, chunks: [body.chunks[1]!, body.chunks[0]!] };
    expect(verdict(swapped)).toBe('400 InvalidParameter.ManifestRoot');
  });

  it.each([
    ['a short chunk before the last', [10, 64 * KiB]],
    ['a chunk larger than chunkSize', [64 * KiB + 1]],
    ['an empty last chunk', [64 * KiB, 0]],
    ['a fractional size', [64 * KiB, 1.5]],
  ])('refuses %s', (_, sizes) =>
    expect(verdict(manifest(sizes))).toBe('400 InvalidParameter.Manifest'),
  );

  it.each([
    ['not an object', 'abc'],
    ['no digest', { size: 10 }],
    ['an upper-case digest', { digest: digest('x').toUpperCase(), size: 10 }],
    ['a size that is a string', { digest: digest('x'), size: '10' }],
    ['an extra field', { digest: digest('x'), size: 10, offset: 0 }],
  ])('refuses a chunk entry with %s', (_, entry) =>
    expect(verdict({ ...manifest([]), chunks: [entry as never] })).toBe(
      '400 InvalidParameter.Manifest',
    ),
  );

  it('refuses one digest with two sizes', () => {
    const chunk = { digest: digest('same'), size: 64 * KiB };
    expect(verdict(rerooted({ ...manifest([]), chunks: [chunk, { ...chunk, size: 5 }] }))).toBe(
      '400 InvalidParameter.Manifest',
    );
  });

  it('takes chunk sizes from 64 KiB to 64 MiB, and the region’s own whatever it is', () => {
    expect(verdict(manifest([10], 64 * KiB))).toBe('ok');
    expect(verdict(manifest([10], 64 * KiB * KiB))).toBe('ok');
    expect(verdict(manifest([10], 64 * KiB - 1))).toBe('400 InvalidParameter.ChunkSize');
    expect(verdict(manifest([10], 64 * KiB * KiB + 1))).toBe('400 InvalidParameter.ChunkSize');
    expect(verdict(manifest([10], 1024), { regionChunkSize: 1024 })).toBe('ok');
  });

  it('refuses more data than the disk holds, as the streaming upload does', () => {
    const body = manifest([64 * KiB, 64 * KiB]);
    expect(verdict(body, { maxBytes: 128 * KiB })).toBe('ok');
    expect(verdict(body, { maxBytes: 128 * KiB - 1 })).toBe(
      '413 UnsupportedOperation.SnapshotDataTooLarge',
    );
  });
});

describe('samePlan', () => {
  const a = { chunkSize: 64 * KiB, imageDigest: digest('i'), root: digest('r') };
  it('is the same root, image digest and chunk size', () => {
    expect(samePlan(a, { ...a })).toBe(true);
    expect(samePlan(a, { ...a, imageDigest: digest('j') })).toBe(false);
    expect(samePlan(a, { ...a, root: digest('s') })).toBe(false);
    expect(samePlan(a, { ...a, chunkSize: 128 * KiB })).toBe(false);
  });
});
