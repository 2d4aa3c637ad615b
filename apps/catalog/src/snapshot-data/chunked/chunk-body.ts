import type { IncomingMessage } from 'node:http';
import type { ChunkBuffers } from '@snapferry/storage';
import { ApiError } from '../../http/api-error';

// The rest of a refused body is not read: the answer closes the connection instead.
const refuse = (code: string, message: string) =>
  new ApiError(400, code, message, { connection: 'close' });

/**
 * Reads a request body that must be exactly `size` bytes into one buffer of that size, borrowed
 * from `buffers` (the caller gives it back once the chunk is stored): a
 * longer body is refused at the first byte too many (nothing more is kept), a shorter one when
 * it ends, and a client that goes away mid-body gets `InvalidParameter.UploadAborted`.
 */
export function readChunkBody(
  request: IncomingMessage,
  size: number,
  buffers: ChunkBuffers,
): Promise<Buffer> {
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) !== size)
    return Promise.reject(
      refuse('InvalidParameter.ChunkLength', `this chunk is ${size} bytes, not ${declared}`),
    );
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
