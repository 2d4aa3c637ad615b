/**
 * `tc` arguments (after `dev <name>`) for a token-bucket limit of `bytesPerSec` on one direction
 * of a link. The bucket holds at least 64 KiB (a whole GSO super-packet passes without being
 * split) or 5 ms at the rate; the queue behind it holds about 100 ms at the rate (at least
 * 256 KiB), so TCP fills the link without a burst of drops (no netem here: the queue is the
 * only "latency" tbf adds).
 */
export function tokenBucketArgs(bytesPerSec: number): string[] {
  if (!Number.isFinite(bytesPerSec) || bytesPerSec < 1024)
    throw new Error(`a rate limit needs at least 1024 bytes/s, got ${bytesPerSec}`);
  const rate = Math.round(bytesPerSec);
  const burst = Math.max(64 * 1024, Math.round(rate * 0.005));
  const limit = Math.max(256 * 1024, Math.round(rate * 0.1)) + burst;
  // tc reads a bare number after `rate` as bits/s and `burst`/`limit` as bytes.
  return ['root', 'tbf', 'rate', `${rate * 8}bit`, 'burst', String(burst), 'limit', String(limit)];
}
