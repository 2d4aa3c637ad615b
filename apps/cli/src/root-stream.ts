import { ManifestRootStream } from '@snapferry/storage';

/** Loaded on use by `data get` and `data verify` (through `import()`, like image-hash.ts). */
export const newRootStream = (chunkSize: number): ManifestRootStream =>
  new ManifestRootStream(chunkSize);
