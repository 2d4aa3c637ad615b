import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { UploadMemory } from '../upload-memory';
import { ChunkBodies } from './chunk-body';

const alice = { accountId: 'alice', role: 'user' as const, keyId: 'key-2' };
const key = 'alice/key-2';

/** A request body as readChunkBody sees it: data, end, close. */
class FakeBody extends EventEmitter {
  constructor(readonly headers: Record<string, string> = {}) {
    super();
  }
  resume() {
    return this;
  }
}

const asRequest = (body: FakeBody) => body as unknown as IncomingMessage;
const settled = async <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

describe('ChunkBodies', () => {
  const setup = (limits = { total: 64, perKey: 32 }) => {
    const memory = new UploadMemory(limits);
    return { memory, bodies: new ChunkBodies(memory) };
  };

  it("holds a chunk's size of the key's share from before its first byte until it is given back", async () => {
    const { memory, bodies } = setup();
    const body = new FakeBody({ 'content-length': '16' });
    const reading = bodies.read(alice, asRequest(body), 16);
    expect(memory.usedBytes(key)).toBe(16);
    body.emit('data', Buffer.alloc(16, 1));
    body.emit('end');
    const bytes = await reading;
    expect(bytes.length).toBe(16);
    expect(memory.usedBytes(key)).toBe(16);
    bodies.giveBack(bytes);
    expect(memory.usedBytes(key)).toBe(0);
  });

  it('refuses a chunk beyond the share (429) without reading it, and takes nothing', async () => {
    const { memory, bodies } = setup();
    const first = new FakeBody();
    void bodies.read(alice, asRequest(first), 32);
    const second = new FakeBody();
    const refused = await settled(bodies.read(alice, asRequest(second), 1));
    expect(refused).toMatchObject({
      error: { status: 429, code: 'RequestLimitExceeded.UploadMemory' },
    });
    expect(second.listenerCount('data')).toBe(0);
    expect(memory.usedBytes(key)).toBe(32);
  });

  it('takes nothing for a declared length that is not the chunk size', async () => {
    const { memory, bodies } = setup();
    const answer = await settled(
      bodies.read(alice, asRequest(new FakeBody({ 'content-length': '15' })), 16),
    );
    expect(answer).toMatchObject({ error: { status: 400, code: 'InvalidParameter.ChunkLength' } });
    expect(memory.usedBytes()).toBe(0);
  });

  it.each([
    ['too long', (b: FakeBody) => b.emit('data', Buffer.alloc(17)), 'InvalidParameter.ChunkLength'],
    [
      'too short',
      (b: FakeBody) => {
        b.emit('data', Buffer.alloc(8));
        b.emit('end');
      },
      'InvalidParameter.ChunkLength',
    ],
    [
      'cut off (client gone, or too slow)',
      (b: FakeBody) => {
        b.emit('data', Buffer.alloc(8));
        b.emit('close');
      },
      'InvalidParameter.UploadAborted',
    ],
  ])('gives the share back when the body is %s', async (_, send, code) => {
    const { memory, bodies } = setup();
    const body = new FakeBody();
    const reading = settled(bodies.read(alice, asRequest(body), 16));
    send(body);
    expect(await reading).toMatchObject({ error: { code } });
    expect(memory.usedBytes()).toBe(0);
  });
});
