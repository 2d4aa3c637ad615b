import type { IncomingMessage } from 'node:http';
import { Injectable } from '@nestjs/common';
import { chunkBuffers, type ChunkBuffers } from '@snapferry/storage';
import { ApiError } from '../../http/api-error';
import type { Caller } from '../../http/api-keys';
import { type Reservation, UploadMemory } from '../upload-memory';

// The rest of a refused body is not read: the answer closes the connection instead.
const refuse = (code: string, message: string) =>
  new ApiError(400, code, message, { connection: 'close' });

/**
 * Chunk bodies in memory, under the upload memory budget: a body's bytes are reserved for its
 * caller before a buffer is borrowed or a byte read (429 without room), and given back with
 * the buffer once the chunk is stored or refused.
 */
@Injectable()
export class ChunkBodies {
  private readonly held = new Map<ArrayBufferLike, Reservation>();

  constructor(private readonly memory: UploadMemory) {}

  /** The chunk's `size` bytes in a borrowed buffer; hand it to `giveBack` when done with it. */
  async read(caller: Caller, request: IncomingMessage, size: number): Promise<Buffer> {
    const declared = request.headers['content-length'];
    if (declared !== undefined && Number(declared) !== size)
      throw refuse('InvalidParameter.ChunkLength', `this chunk is ${size} bytes, not ${declared}`);
    const reservation = this.memory.reserve(caller, size);
    try {
      const bytes = await readChunkBody(request, size, chunkBuffers());
      this.held.set(bytes.buffer, reservation);
      return bytes;
    } catch (error) {
      reservation.release();
      throw error;
    }
  }

  giveBack(bytes: Buffer): void {
    chunkBuffers().giveBack(bytes); // stored (or refused): the store holds no reference to it
    this.held.get(bytes.buffer)?.release();
    this.held.delete(bytes.buffer);
  }
}

/**
 * Reads a request body that must be exactly `size` bytes into one buffer of that size, borrowed
 * from `buffers` (the caller gives it back once the chunk is stored): a
 * longer body is refused at the first byte too many (nothing more is kept), a shorter one when
 * it ends, and a client that goes away mid-body (or is cut off for sending too slowly: see
 * body-pace.ts) gets `InvalidParameter.UploadAborted`.
 */
export function readChunkBody(
  request: IncomingMessage,
  size: number,
  buffers: ChunkBuffers,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const buffer = buffers.borrow(size);
    let filled = 0;
    const settle = (error?: ApiError) => {
      request.off('data', onData).off('end', onEnd).off('close', onClose);
      if (!error) return resolve(buffer);
      buffers.giveBack(buffer);
      request.resume(); // drain what is in flight; the answer closes the connection
      reject(error);
    };
    const onData = (piece: Buffer) => {
      if (filled + piece.length > size)
        return settle(
          refuse('InvalidParameter.ChunkLength', `this chunk is ${size} bytes; the body is longer`),
        );
      piece.copy(buffer, filled);
      filled += piece.length;
    };
    const onEnd = () =>
      settle(
        filled === size
          ? undefined
          : refuse('InvalidParameter.ChunkLength', `this chunk is ${size} bytes, not ${filled}`),
      );
    const onClose = () =>
      settle(
        refuse(
          'InvalidParameter.UploadAborted',
          'the chunk ended before its body was complete; retry it',
        ),
      );
    request.on('data', onData).on('end', onEnd).on('close', onClose);
  });
}
