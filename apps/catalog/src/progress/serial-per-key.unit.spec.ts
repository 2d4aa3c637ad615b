import { SerialPerKey } from './serial-per-key';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SerialPerKey', () => {
  it('runs one key in order, even when an earlier job is slower or fails', async () => {
    const serial = new SerialPerKey();
    const order: string[] = [];
    const results = await Promise.allSettled([
      serial.run('a', async () => {
        await tick(30);
        order.push('a1');
        throw new Error('a1 failed');
      }),
      serial.run('a', async () => {
        order.push('a2');
        return 2;
      }),
      serial.run('b', async () => {
        order.push('b1');
      }),
    ]);
    expect(order).toEqual(['b1', 'a1', 'a2']);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
  });

  it('forgets a key once its queue is empty', async () => {
    const serial = new SerialPerKey();
    await serial.run('a', async () => undefined);
    await tick(0);
    expect(serial.size).toBe(0);
  });
});
