/** What a batch run reports for each of its items, in the items' order. */
export type ItemResult<R> = { ok: true; value: R } | { ok: false; error: unknown };

interface Queued<T, R> {
  item: T;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs items in batches, one batch at a time, in arrival order: what arrives while a batch
 * runs becomes the next batch. Under load batches grow (one transaction for many messages);
 * when idle an item runs alone, at once. Arrival order is kept across batches, so one
 * replication's events are decided in the order the replicator sent them.
 */
export class SerialBatches<T, R> {
  private queue: Queued<T, R>[] = [];
  private draining = false;

  constructor(
    private readonly runBatch: (items: T[]) => Promise<ItemResult<R>[]>,
    private readonly maxBatch = 200,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      // The rest of a delivery burst arrives in the same turn: start on the next one.
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  get waiting(): number {
    return this.queue.length;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      let results: ItemResult<R>[];
      try {
        results = await this.runBatch(batch.map((q) => q.item));
      } catch (error) {
        results = batch.map(() => ({ ok: false, error }));
      }
      batch.forEach((queued, i) => {
        const result = results[i] ?? { ok: false, error: new Error('no result for a batch item') };
        if (result.ok) queued.resolve(result.value);
        else queued.reject(result.error);
      });
    }
    this.draining = false;
  }
}
