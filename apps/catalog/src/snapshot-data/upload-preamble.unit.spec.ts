import type { Caller } from '../http/api-keys';
import type { UploadLeases } from './upload-leases';
import type { UploadMemory } from './upload-memory';
import { assertOctetStream, leaseWithMemory } from './upload-preamble';

const caller = { accountId: 'alice' } as Caller;

/** Upload memory that counts what is held. */
function memory() {
  let held = 0;
  return {
    held: () => held,
    memory: {
      reserve: (_: Caller, bytes: number) => {
        held += bytes;
        return { release: () => void (held -= bytes) };
      },
    } as unknown as UploadMemory,
  };
}
const leases = (acquire: () => Promise<unknown>) => ({ acquire }) as unknown as UploadLeases;

describe('the upload preamble', () => {
  it('refuses a body that is not raw bytes with 415, naming what to send', () => {
    expect(() => assertOctetStream('application/json', 'the chunk')).toThrow(
      expect.objectContaining({ status: 415, code: 'InvalidParameter.ContentType' }),
    );
    expect(() => assertOctetStream(undefined, 'the chunk')).toThrow(/send the chunk as/);
    expect(() => assertOctetStream('application/octet-stream', 'the chunk')).not.toThrow();
  });

  it('holds the memory with the lease, and gives it back when the lease is held elsewhere or fails', async () => {
    const m = memory();
    const lease = { lost: new AbortController().signal };
    const got = await leaseWithMemory(
      leases(async () => lease),
      m.memory,
      caller,
      'snap-a',
      64,
    );
    expect(got.lease).toBe(lease);
    expect(m.held()).toBe(64);
    got.buffers.release();

    await expect(
      leaseWithMemory(
        leases(async () => undefined),
        m.memory,
        caller,
        'snap-a',
        64,
      ),
    ).rejects.toMatchObject({ status: 409, code: 'UnsupportedOperation.UploadInProgress' });
    expect(m.held()).toBe(0);

    await expect(
      leaseWithMemory(
        leases(async () => Promise.reject(new Error('database gone'))),
        m.memory,
        caller,
        'snap-a',
        64,
      ),
    ).rejects.toThrow('database gone');
    expect(m.held()).toBe(0);
  });
});
