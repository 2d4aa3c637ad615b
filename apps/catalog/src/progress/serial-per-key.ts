/**
 * Runs work for one key strictly after the work queued before it for that key, while
 * different keys run concurrently. The catalog's consumer takes several deliveries at once;
 * one replication's events must still be decided in the order the replicator sent them
 * (a Verifying ingested after its Completed would be dropped from the timeline).
 */
export class SerialPerKey {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  get size(): number {
    return this.tails.size;
  }
}
