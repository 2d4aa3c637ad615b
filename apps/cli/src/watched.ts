/**
 * `source` as it is, remembering in `failed` the error it threw, if it did: after a pipeline
 * fails, says whether its source failed (a file cut short, a dropped connection) or what it
 * fed (a socket, a file being written).
 */
export async function* watched<T>(
  source: AsyncIterable<T>,
  failed: { error?: unknown },
): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (error) {
    failed.error = error;
    throw error;
  }
}
