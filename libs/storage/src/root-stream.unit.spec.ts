import { createHash, randomBytes } from 'node:crypto';
import { manifestRoot } from './manifest';
import { ManifestRootStream } from './root-stream';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('ManifestRootStream (a root from bytes as they stream)', () => {
  it.each([0, 1, 1000, 1024, 1025, 5 * 1024 + 7])(
    'a %d-byte image fed in odd pieces: the root of its 1 KiB chunks',
    (length) => {
      const image = randomBytes(length);
      const chunks = [];
      for (let at = 0; at < length; at += 1024) {
        const bytes = image.subarray(at, at + 1024);
        chunks.push({ digest: sha256(bytes), size: bytes.length });
      }
      const stream = new ManifestRootStream(1024);
      for (let at = 0; at < length; at += 333) stream.update(image.subarray(at, at + 333));
      expect(stream.root()).toBe(manifestRoot(chunks));
      expect(stream.chunks).toEqual(chunks);
    },
  );
});
