import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ChunkBuffers } from './chunk-buffers';

// Each worker's whole program: one answer per message, in the order they came: a digest of
// bytes, or [a, b, prefix]: the digests of two buffers whose first \`prefix\` bytes are the
// same, that part hashed once and the hash's state copied.
const digestSource = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
parentPort.on('message', (message) => {
  if (!Array.isArray(message))
    return parentPort.postMessage(createHash('sha256').update(message).digest('hex'));
  const [a, b, prefix] = message;
  const first = createHash('sha256').update(a.subarray(0, prefix));
  const second = first.copy();
  parentPort.postMessage([
    first.update(a.subarray(prefix)).digest('hex'),
    second.update(b.subarray(prefix)).digest('hex'),
  ]);
});`;

// A running SHA-256: each piece acknowledged (null), then the digest when sent null.
const streamSource = `
const { parentPort } = require('node:worker_threads');
const hash = require('node:crypto').createHash('sha256');
parentPort.on('message', (bytes) => {
  if (bytes === null) return parentPort.postMessage(hash.digest('hex'));
  hash.update(bytes);
  parentPort.postMessage(null);
});`;

/** Below this, handing bytes to a thread costs more than hashing them here. */
const SMALL = 64 * 1024;

interface Waiter<A> {
  resolve(answer: A): void;
  reject(error: Error): void;
}

/**
 * A worker thread that answers each message with one message, in order. It is referenced only
 * while it owes answers, so an idle one never keeps a process alive; if it dies, what it owed
 * fails.
 */
class OrderedWorker<A> {
  private readonly waiting: Waiter<A>[] = [];
  private readonly worker: Worker;

  constructor(source: string, onGone: () => void = () => undefined) {
    this.worker = new Worker(source, { eval: true });
    this.worker.on('message', (answer: A) => {
      this.waiting.shift()?.resolve(answer);
      if (this.waiting.length === 0) this.worker.unref();
    });
    const fail = (error: Error) => {
      onGone();
      for (const waiter of this.waiting.splice(0)) waiter.reject(error);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`a SHA-256 worker exited (${code})`)));
    this.worker.unref(); // after the listeners (adding one refs it again)
  }

  get owed(): number {
    return this.waiting.length;
  }

  /**
   * Sends bytes (on shared memory, so the thread reads them where they lie: others are copied
   * once into a shared scratch buffer) or null; the caller must not change them until it resolves.
   */
  call(bytes: Uint8Array | null): Promise<A> {
    return this.post((share) => bytes && share(bytes));
  }

  /**
   * Sends the message `build` makes, where `share` gives each buffer as the thread reads it
   * (a shared one as it is, another copied into shared scratch until the answer comes).
   */
  post(build: (share: (bytes: Uint8Array) => Uint8Array) => unknown): Promise<A> {
    const copies: Uint8Array[] = [];
    const share = (bytes: Uint8Array) => {
      if (isShared(bytes)) return bytes;
      const copy = scratch.borrow(bytes.byteLength);
      copy.set(bytes);
      copies.push(copy);
      return copy;
    };
    const message = build(share);
    return new Promise<A>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.ref();
      this.worker.postMessage(message);
    }).finally(() => copies.forEach((copy) => scratch.giveBack(copy)));
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * One running SHA-256 (a whole image's) on a thread of its own, fed its pieces in order: the
 * caller reads (and hashes chunks) meanwhile.
 */
export class Sha256Stream {
  private readonly thread = new OrderedWorker<string | null>(streamSource);

  /** Adds the next piece; the caller must not change it until this resolves. */
  async update(bytes: Uint8Array): Promise<void> {
    await this.thread.call(bytes);
  }

  /** The hex digest of every piece so far. */
  async digest(): Promise<string> {
    return (await this.thread.call(null))!;
  }

  async close(): Promise<void> {
    await this.thread.terminate();
  }
}

/**
 * SHA-256 of chunks on worker threads, so that hashing a 4 MiB chunk (~2.5 ms) neither blocks
 * the event loop nor waits for it, and several chunks hash at once on several cores. (Node's
 * WebCrypto `digest` looks asynchronous but hashes on the calling thread, at a fifth of
 * `createHash`'s speed.) Bytes on a SharedArrayBuffer are hashed where they lie; others are
 * copied once to the thread (a memcpy, a tenth of the hashing). Threads start on first use,
 * never keep the process alive, and a thread that dies is replaced on the next call.
 */
export class Sha256Workers {
  private threads: OrderedWorker<string | [string, string]>[] = [];

  constructor(readonly size = defaultThreads()) {}

  /** The hex SHA-256 of `bytes`; the caller must not change them until it resolves. */
  hex(bytes: Uint8Array): Promise<string> {
    if (bytes.byteLength < SMALL)
      return Promise.resolve(createHash('sha256').update(bytes).digest('hex'));
    return this.leastBusy().call(bytes) as Promise<string>;
  }

  /**
   * The hex SHA-256 of `a` and of `b`, whose first `prefix` bytes are the same (a rebuilt chunk
   * and its base up to the first change): that part is hashed once. Neither may change until
   * it resolves.
   */
  pair(a: Uint8Array, b: Uint8Array, prefix: number): Promise<[string, string]> {
    return this.leastBusy().post((share) => [share(a), share(b), prefix]) as Promise<
      [string, string]
    >;
  }

  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((thread) => thread.terminate()));
  }

  private leastBusy(): OrderedWorker<string | [string, string]> {
    if (this.threads.length < this.size) {
      const idle = this.threads.find((thread) => thread.owed === 0);
      if (idle) return idle;
      const thread: OrderedWorker<string | [string, string]> = new OrderedWorker(
        digestSource,
        () => {
          this.threads = this.threads.filter((t) => t !== thread);
        },
      );
      this.threads.push(thread);
      return thread;
    }
    return this.threads.reduce((a, b) => (b.owed < a.owed ? b : a));
  }
}

/**
 * A thread per core but one (the event loop's), at least two: on two cores the loop mostly
 * waits for I/O, and an incremental copy's three changed chunks hash at once (the library's
 * incremental copy: ~70 -> ~55 ms), at most four.
 */
const defaultThreads = () => Math.max(2, Math.min(4, availableParallelism() - 1));

const isShared = (bytes: Uint8Array) =>
  Object.prototype.toString.call(bytes.buffer) === '[object SharedArrayBuffer]';

/**
 * Shared buffers to hand bytes to a thread with one memcpy (postMessage would serialise and
 * copy a plain buffer twice); reused, so steady hashing allocates nothing (32 MiB kept idle:
 * eight 4 MiB chunks).
 */
const scratch = new ChunkBuffers(32 * 1024 * 1024);

let shared: Sha256Workers | undefined;

/** The process's hashing threads (one set for every store and upload in it). */
export const sha256Workers = (): Sha256Workers => (shared ??= new Sha256Workers());
