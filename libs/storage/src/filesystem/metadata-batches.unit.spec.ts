import { forEachMetadata } from './metadata-batches';

describe('forEachMetadata', () => {
  it('answers every item in order, synchronously while batches are fast', async () => {
    const items = Array.from({ length: 300 }, (_, i) => i);
    const slow = jest.fn(async (i: number) => i * 2);
    expect(await forEachMetadata(items, (i) => i * 2, slow)).toEqual(items.map((i) => i * 2));
    expect(slow).not.toHaveBeenCalled();
  });

  it('lets the event loop turn between batches', async () => {
    let turned = false;
    setImmediate(() => (turned = true));
    const seen = await forEachMetadata(
      Array.from({ length: 1000 }, (_, i) => i),
      () => turned,
      async () => turned,
    );
    expect(seen[0]).toBe(false); // the first batch ran before anything else
    expect(seen[999]).toBe(true); // the last one after the loop had a turn
  });

  it('moves the rest to the asynchronous call once a batch is slow (a cold cache)', async () => {
    const items = Array.from({ length: 400 }, (_, i) => i);
    const busyWait = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    const slow = jest.fn(async (i: number) => -i);
    const fast = (i: number) => {
      busyWait(0.2); // 128 lookups of 0.2 ms: a 25 ms batch
      return -i;
    };
    expect(await forEachMetadata(items, fast, slow)).toEqual(items.map((i) => -i));
    expect(slow).toHaveBeenCalledTimes(400 - 128);
  });

  it('passes errors on', async () => {
    await expect(
      forEachMetadata(
        [1, 2],
        () => {
          throw new Error('EIO');
        },
        async () => 0,
      ),
    ).rejects.toThrow('EIO');
  });
});
