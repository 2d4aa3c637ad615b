import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ChunkBuffers } from './chunk-buffers';

// Each worker's whole program: one digest per message, answered in the order they came.
const workerSource = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
parentPort.on('message', (bytes) => {
  parentPort.postMessage(createHash('sha256').update(bytes).digest('hex'));
});`;

/** Below this, handing bytes to a thread costs more than hashing them here. */
const SMALL = 64 * 1024;

interface Waiter {
  resolve(digest: string): void;
  reject(error: Error): void;
}

/** One hashing thread and the digests it owes, in order. */
class HashThread {
  readonly waiting: Waiter[] = [];
  private readonly worker = new Worker(workerSource, { eval: true });

  constructor(onGone: () => void) {
    this.worker.on('message', (digest: string) => {
      this.waiting.shift()?.resolve(digest);
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

  hex(bytes: Uint8Array): Promise<string> {
    const shared = isShared(bytes) ? null : scratch.borrow(bytes.byteLength);
    if (shared) shared.set(bytes);
    return new Promise<string>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.ref(); // held while it owes a digest, so an idle hasher never keeps a process alive
      this.worker.postMessage(shared ?? bytes);
    }).finally(() => shared && scratch.giveBack(shared));
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
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
  private threads: HashThread[] = [];

  constructor(readonly size = defaultThreads()) {}

  /** The hex SHA-256 of `bytes`; the caller must not change them until it resolves. */
  hex(bytes: Uint8Array): Promise<string> {
    if (bytes.byteLength < SMALL)
      return Promise.resolve(createHash('sha256').update(bytes).digest('hex'));
    return this.leastBusy().hex(bytes);
  }

  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((thread) => thread.terminate()));
  }

  private leastBusy(): HashThread {
    if (this.threads.length < this.size) {
      const idle = this.threads.find((thread) => thread.waiting.length === 0);
      if (idle) return idle;
      const thread: HashThread = new HashThread(() => {
        this.threads = this.threads.filter((t) => t !== thread);
      });
      this.threads.push(thread);
      return thread;
    }
    return this.threads.reduce((a, b) => (b.waiting.length < a.waiting.length ? b : a));
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
 * copy a plain buffer twice); reused, so steady hashing allocates nothing.
 */
const scratch = new ChunkBuffers(8);

let shared: Sha256Workers | undefined;

/** The process's hashing threads (one set for every store and upload in it). */
export const sha256Workers = (): Sha256Workers => (shared ??= new Sha256Workers());
