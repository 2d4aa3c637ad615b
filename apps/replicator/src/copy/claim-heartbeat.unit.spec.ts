import { CancelledError, ClaimLostError, startClaimHeartbeat } from './claim-heartbeat';

describe('startClaimHeartbeat', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const ports = (
    answers: { held?: boolean; cancel?: boolean; renewFails?: boolean; cancelFails?: boolean } = {},
  ) => {
    const calls: string[] = [];
    const aborted: Error[] = [];
    const failures: string[] = [];
    return {
      calls,
      aborted,
      failures,
      answers,
      renew: async () => {
        calls.push('renew');
        if (answers.renewFails) throw new Error('database unreachable');
        return { held: answers.held ?? true, cancelRequested: answers.cancel ?? false };
      },
      cancelRequested: async () => {
        calls.push('cancel?');
        if (answers.cancelFails) throw new Error('database unreachable');
        return answers.cancel ?? false;
      },
      checkFailed: (what: string, error: unknown) =>
        void failures.push(`${what}: ${(error as Error).message}`),
      abort: (reason: Error) => void aborted.push(reason),
    };
  };
  const options = { leaseMs: 30_000, now: () => Date.now() };

  it('reads the cancel flag every second and renews the claim every third of the lease', async () => {
    const p = ports();
    const stop = startClaimHeartbeat(p, options);
    await jest.advanceTimersByTimeAsync(20_500);
    expect(p.calls.filter((c) => c === 'cancel?')).toHaveLength(18);
    expect(p.calls.filter((c) => c === 'renew')).toHaveLength(2);
    expect(p.calls[9]).toBe('renew'); // the tenth second
    stop();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(p.calls).toHaveLength(20);
    expect(p.aborted).toEqual([]);
  });

  it('aborts the copy with CancelledError once the flag is set, whatever the copy is doing', async () => {
    const p = ports();
    const stop = startClaimHeartbeat(p, options);
    await jest.advanceTimersByTimeAsync(3_000);
    p.answers.cancel = true;
    await jest.advanceTimersByTimeAsync(1_000);
    expect(p.aborted).toEqual([expect.any(CancelledError)]);
    stop();
  });

  it('aborts with ClaimLostError when another replicator took the claim over', async () => {
    const p = ports({ held: false });
    const stop = startClaimHeartbeat(p, options);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(p.aborted).toEqual([expect.any(ClaimLostError)]);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(p.aborted).toHaveLength(1); // and stops there
    stop();
  });

  it('aborts with ClaimLostError when no renewal succeeded for a whole lease, not before', async () => {
    const p = ports({ renewFails: true });
    const stop = startClaimHeartbeat(p, options);
    await jest.advanceTimersByTimeAsync(29_000);
    expect(p.aborted).toEqual([]);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(p.aborted).toEqual([expect.any(ClaimLostError)]);
    expect(p.aborted[0]?.message).toBe('the claim could not be renewed for 30000 ms');
    stop();
  });

  it('a renewal that succeeds again keeps the claim alive after failures', async () => {
    const p = ports({ renewFails: true });
    const stop = startClaimHeartbeat(p, options);
    await jest.advanceTimersByTimeAsync(25_000);
    p.answers.renewFails = false;
    await jest.advanceTimersByTimeAsync(30_000);
    expect(p.aborted).toEqual([]);
    stop();
  });

  it('reports every failed renewal and cancel check (never silent), and goes on', async () => {
    const p = ports({ renewFails: true, cancelFails: true });
    const stop = startClaimHeartbeat(p, options);
    await jest.advanceTimersByTimeAsync(10_500);
    expect(p.failures).toContain('renew: database unreachable');
    expect(p.failures).toContain('cancel check: database unreachable');
    expect(p.failures.length).toBeGreaterThanOrEqual(10);
    expect(p.aborted).toEqual([]);
    stop();
  });
});
