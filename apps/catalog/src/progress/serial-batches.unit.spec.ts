import { type ItemResult, SerialBatches } from './serial-batches';

const ok = <R>(value: R): ItemResult<R> => ({ ok: true, value });

describe('SerialBatches', () => {
  it('runs what arrives together as one batch, and what arrives meanwhile as the next, in order', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const batcher = new SerialBatches<number, string>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await new Promise<void>((r) => (release = r));
      return items.map((i) => ok(`done ${i}`));
    });

    const first = [1, 2, 3].map((i) => batcher.add(i));
    await new Promise((r) => setImmediate(r));
    const later = [4, 5].map((i) => batcher.add(i));
    release();

    expect(await Promise.all([...first, ...later])).toEqual([
      'done 1',
      'done 2',
      'done 3',
      'done 4',
      'done 5',
    ]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('never runs two batches at once', async () => {
    let running = 0;
    let most = 0;
    const batcher = new SerialBatches<number, number>(async (items) => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 2));
      running--;
      return items.map(ok);
    }, 3);
    await Promise.all(Array.from({ length: 20 }, (_, i) => batcher.add(i)));
    expect(most).toBe(1);
  });

  it('fails only the items the batch reports as failed; a thrown batch fails all of its items', async () => {
    const batcher = new SerialBatches<number, number>(async (items) => {
      if (items.includes(99)) throw new Error('database away');
      return items.map((i) => (i % 2 ? ok(i) : { ok: false, error: new Error(`bad ${i}`) }));
    });
    const results = await Promise.allSettled([1, 2, 3].map((i) => batcher.add(i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    await expect(batcher.add(99)).rejects.toThrow('database away');
  });
});
