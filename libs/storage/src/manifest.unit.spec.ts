import { sha256Hex } from './chunking';
import { InvalidManifestError } from './errors';
import {
  buildManifest,
  manifestRoot,
  parseManifest,
  validateManifest,
  type Manifest,
} from './manifest';

const d = (c: string): string => c.repeat(64);
const createdAt = new Date('2025-01-02T03:04:05Z');

function manifest(overrides: Partial<Manifest> = {}): Manifest {
  return {
    ...buildManifest({
      accountId: 'acme',
      snapshotId: 'snap-0000abcd',
      chunkSize: 10,
      chunks: [
        { digest: d('a'), size: 10 },
        { digest: d('b'), size: 10 },
        { digest: d('c'), size: 3 },
      ],
      imageDigest: d('f'),
      createdAt,
    }),
    ...overrides,
  };
}

describe('manifest building and validation', () => {
  it('builds a manifest that adds up its chunks', () => {
    const m = manifest();
    expect(m).toMatchObject({
      version: 2,
      totalLength: 23,
      chunkSize: 10,
      createdAt: '2025-01-02T03:04:05.000Z',
    });
    expect(validateManifest(JSON.parse(JSON.stringify(m)), 'snap-0000abcd')).toEqual(m);
  });

  it('builds the manifest of an empty image', () => {
    const m = buildManifest({
      accountId: 'acme',
      snapshotId: 'snap-0000abcd',
      chunkSize: 10,
      chunks: [],
      imageDigest: sha256Hex(Buffer.alloc(0)),
      createdAt,
    });
    expect(m.totalLength).toBe(0);
  });

  it.each<[string, Partial<Manifest>]>([
    [
      'a short chunk in the middle',
      {
        chunks: [
          { digest: d('a'), size: 10 },
          { digest: d('b'), size: 9 },
          { digest: d('c'), size: 4 },
        ],
      },
    ],
    [
      'a missing chunk',
      {
        chunks: [
          { digest: d('a'), size: 10 },
          { digest: d('b'), size: 10 },
        ],
      },
    ],
    ['a total that does not add up', { totalLength: 24 }],
    [
      'a bad chunk digest',
      {
        chunks: [
          { digest: 'zz', size: 10 },
          { digest: d('b'), size: 10 },
          { digest: d('c'), size: 3 },
        ],
      },
    ],
    ['a bad image digest', { imageDigest: 'nope' }],
    ['a bad snapshot id', { snapshotId: '../x' }],
    ['a zero chunk size', { chunkSize: 0 }],
    ['a bad date', { createdAt: 'yesterday' }],
    ['an unknown version', { version: 3 as 2 }],
    ['a root that does not match its chunks', { root: 'e'.repeat(64) }],
    ['a bad copiedFrom', { copiedFrom: { region: 'X', snapshotId: 'snap-0000abcd' } }],
  ])('refuses %s', (_, overrides) => {
    expect(() => validateManifest(manifest(overrides))).toThrow(InvalidManifestError);
  });

  it('refuses a manifest filed under another snapshot id', () => {
    expect(() => validateManifest(manifest(), 'snap-1111abcd')).toThrow('belongs to snap-0000abcd');
  });

  it("parses a stored manifest file, and refuses text that is not JSON or not its snapshot's", () => {
    expect(parseManifest(JSON.stringify(manifest()), 'snap-0000abcd')).toEqual(manifest());
    expect(() => parseManifest('{"snapshotId": "snap-0000abcd"', 'snap-0000abcd')).toThrow(
      InvalidManifestError,
    );
    expect(() => parseManifest(JSON.stringify(manifest()), 'snap-1111abcd')).toThrow(
      'belongs to snap-0000abcd',
    );
  });

  it('refuses what is not an object', () => {
    expect(() => validateManifest('{}')).toThrow(InvalidManifestError);
    expect(() => validateManifest(null)).toThrow(InvalidManifestError);
  });

  it('roots commit to every chunk digest, its size and its position', () => {
    const m = manifest();
    const root = (chunks: Manifest['chunks']) => manifestRoot(chunks);
    expect(m.root).toBe(root(m.chunks));
    expect(root([m.chunks[1]!, m.chunks[0]!, m.chunks[2]!])).not.toBe(m.root);
    expect(root([...m.chunks.slice(0, 2), { ...m.chunks[2]!, size: 4 }])).not.toBe(m.root);
    expect(root([...m.chunks.slice(0, 2), { digest: d('e'), size: 3 }])).not.toBe(m.root);
    // Fixed vector: one chunk of "abc" (digest of "abc", 3 bytes).
    expect(root([{ digest: sha256Hex(Buffer.from('abc')), size: 3 }])).toBe(
      sha256Hex(
        Buffer.concat([
          Buffer.from(sha256Hex(Buffer.from('abc')), 'hex'),
          Buffer.from([0, 0, 0, 0, 0, 0, 0, 3]),
        ]),
      ),
    );
  });

  it('reads a version 1 manifest (no root) and gives it its root', () => {
    const { root: _root, ...v1 } = { ...manifest(), version: 1 as const };
    const read = validateManifest(JSON.parse(JSON.stringify(v1)), 'snap-0000abcd');
    expect(read).toMatchObject({ version: 2, root: manifest().root });
  });
});
