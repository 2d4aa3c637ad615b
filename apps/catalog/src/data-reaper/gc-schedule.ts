/**
 * When to collect a region's garbage: soon after its snapshots were deleted, but at most once
 * per `minIntervalMs` (a burst of deletes costs one sweep, not one per batch), and once more
 * after the grace period, when the chunks that were too young at the first sweep may go.
 */
export class GcSchedule {
  private readonly dueAt = new Map<string, number>();
  private readonly lastRun = new Map<string, number>();
  private readonly followUp = new Set<string>();

  constructor(
    private readonly minIntervalMs: number,
    private readonly graceMs: number,
  ) {}

  deleted(region: string, now: number): void {
    const earliest = Math.max(now, (this.lastRun.get(region) ?? -Infinity) + this.minIntervalMs);
    this.dueAt.set(region, Math.min(this.dueAt.get(region) ?? Infinity, earliest));
    this.followUp.add(region);
  }

  /** Regions whose sweep is due at `now`. */
  due(now: number): string[] {
    return [...this.dueAt].filter(([, at]) => at <= now).map(([region]) => region);
  }

  /** When the next sweep is due (for sleeping until then), or undefined. */
  next(): number | undefined {
    const times = [...this.dueAt.values()];
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  ran(region: string, now: number): void {
    this.lastRun.set(region, now);
    this.dueAt.delete(region);
    if (this.followUp.delete(region)) this.dueAt.set(region, now + this.graceMs + 1_000);
  }
}
