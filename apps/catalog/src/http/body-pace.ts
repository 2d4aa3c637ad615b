import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'express';
import type { BodyPace } from '@snapferry/platform';

export const bodyTooSlowCode = 'RequestTimeout.BodyTooSlow';

/** What a body must bring in one window: the minimum rate's worth, and at least one byte. */
export const bytesPerWindow = (pace: BodyPace): number =>
  Math.max(1, Math.ceil((pace.minBytesPerSec * pace.timeoutMs) / 1000));

/**
 * Judges a request body once per window (`pace.timeoutMs`) by what its connection brought in
 * that window, until the body has ended or the connection closed. A window that ends with
 * bytes of the body still unread by the catalog is not held against the client: the catalog
 * was the slow side (a streaming upload storing its chunks). Calls `onSlow` once, at the first
 * window that brought less than bytesPerWindow. Returns a function that stops watching.
 */
export function watchBodyPace(
  request: IncomingMessage,
  pace: BodyPace,
  onSlow: () => void,
): () => void {
  const need = bytesPerWindow(pace);
  const socket = request.socket;
  let mark = socket.bytesRead;
  const timer = setInterval(() => {
    const read = socket.bytesRead;
    const brought = read - mark;
    mark = read;
    if (brought >= need || request.readableLength > 0) return;
    stop();
    onSlow();
  }, pace.timeoutMs).unref();
  function stop(): void {
    clearInterval(timer);
    request.off('end', stop).off('close', stop);
  }
  request.once('end', stop).once('close', stop);
  return stop;
}

const hasBody = (request: IncomingMessage) =>
  request.headers['transfer-encoding'] !== undefined ||
  Number(request.headers['content-length'] ?? 0) > 0;

/**
 * Every request body arrives at `pace` or is cut off: `answer` says so (and should close the
 * connection), unless an answer was sent already (a body drained after a refusal); then the
 * request is destroyed, so that whoever still reads it learns (its 'close') that the rest will
 * not come and frees what it holds. This replaces Node's whole-request timeout, which also cut
 * off uploads that were merely long.
 */
export function paceBodies(pace: BodyPace, answer: (request: Request, response: Response) => void) {
  return (request: Request, response: Response, next: () => void): void => {
    if (hasBody(request))
      watchBodyPace(request, pace, () => {
        const cutOff = () => {
          request.destroy();
          request.socket.destroy();
        };
        if (response.headersSent) return cutOff();
        response.once('close', cutOff);
        answer(request, response);
      });
    next();
  };
}
