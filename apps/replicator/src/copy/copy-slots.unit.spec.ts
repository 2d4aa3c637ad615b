import { CopySlots } from './copy-slots';

const settled = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('CopySlots', () => {
  it('gives out at most `limit` slots; the next takers wait and are served in order', async () => {
    const slots = new CopySlots(2);
    const signal = new AbortController().signal;
    const first = await slots.take(signal);
    await slots.take(signal);
    const order: string[] = [];
    const third = slots.take(signal).then((release) => (order.push('third'), release));
    const fourth = slots.take(signal).then((release) => (order.push('fourth'), release));
    await settled();
    expect(order).toEqual([]);

    first();
    first(); // a second release of the same slot frees nothing more
    await settled();
    expect(order).toEqual(['third']);
    (await third)();
    await fourth;
    expect(order).toEqual(['third', 'fourth']);
  });

  it("a taker whose signal aborts leaves the queue with the signal's reason", async () => {
    const slots = new CopySlots(1);
    const release = await slots.take(new AbortController().signal);
    const stopping = new AbortController();
    const waiting = slots.take(stopping.signal);
    const next = slots.take(new AbortController().signal);
    stopping.abort(new Error('stopping'));
    await expect(waiting).rejects.toThrow('stopping');
    release();
    await expect(next).resolves.toEqual(expect.any(Function)); // the aborted taker did not keep it
    await expect(slots.take(stopping.signal)).rejects.toThrow('stopping');
  });

  it('refuses a limit below one', () => {
    expect(() => new CopySlots(0)).toThrow(RangeError);
  });
});
