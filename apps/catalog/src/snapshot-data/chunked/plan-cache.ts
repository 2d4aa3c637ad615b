/**
 * The chunk sizes of recently used upload plans, by snapshot, least recently used evicted first,
 * bounded by the number of digests held (a plan of 300,000 chunks is about 40 MB here).
 * A cache only: the table is the truth, and a miss reloads from it.
 */
export class PlanCache {
  private readonly plans = new Map<string, ReadonlyMap<string, number>>();
  private entries = 0;

  constructor(
    private readonly maxEntries = 300_000,
    private readonly maxPlans = 64,
  ) {}

  get(snapshotId: string): ReadonlyMap<string, number> | undefined {
    const sizes = this.plans.get(snapshotId);
    if (sizes) {
      this.plans.delete(snapshotId); // re-inserted: most recently used last
      this.plans.set(snapshotId, sizes);
    }
    return sizes;
  }

  set(snapshotId: string, sizes: ReadonlyMap<string, number>): void {
    this.delete(snapshotId);
    if (sizes.size > this.maxEntries) return; // larger than the whole cache: served from the table
    this.plans.set(snapshotId, sizes);
    this.entries += sizes.size;
    for (const [oldest, evicted] of this.plans) {
      if (this.entries <= this.maxEntries && this.plans.size <= this.maxPlans) break;
      this.plans.delete(oldest);
      this.entries -= evicted.size;
    }
  }

  delete(snapshotId: string): void {
    const sizes = this.plans.get(snapshotId);
    if (!sizes) return;
    this.plans.delete(snapshotId);
    this.entries -= sizes.size;
  }

  get size(): { plans: number; entries: number } {
    return { plans: this.plans.size, entries: this.entries };
  }
}
