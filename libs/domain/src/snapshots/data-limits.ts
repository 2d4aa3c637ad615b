/**
 * The most chunks one manifest may list (a 1 TiB disk at 4 MiB chunks lists 262,144): bounds
 * an incremental upload's declaration, which the catalog holds in memory while checking it.
 */
export const maxManifestChunks = 300_000;
