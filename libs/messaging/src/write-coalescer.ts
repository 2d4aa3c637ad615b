import type { ChannelModel } from 'amqplib';

type Corkable = { cork(): void; uncork(): void };
type Muxer = { out?: Partial<Corkable>; _readIncoming?: () => void };

/**
 * amqplib's multiplexer moves every frame (a publish, an ack) from the channels to the socket
 * with its own `write`: a burst of a hundred acks or a relay batch of two hundred publishes
 * is a hundred or two hundred send syscalls, which on loopback or a virtual NIC cost more
 * than the frames. Corking the socket for each pass of the multiplexer sends what one pass
 * moves in one `writev` (a pass stops at the socket's high-water mark, as before).
 * Returns false, changing nothing, if amqplib's internals are not the expected ones.
 */
export function coalesceWrites(model: ChannelModel): boolean {
  const muxer = (model as unknown as { connection?: { muxer?: Muxer } }).connection?.muxer;
  const out = muxer?.out;
  const pass = muxer?._readIncoming;
  if (!muxer || typeof pass !== 'function' || typeof out?.cork !== 'function') return false;
  const socket = out as Corkable;
  muxer._readIncoming = function corkedPass(this: Muxer) {
    socket.cork();
    try {
      pass.call(this);
    } finally {
      socket.uncork();
    }
  };
  return true;
}
