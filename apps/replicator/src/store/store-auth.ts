import { createHash, randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { REGION_SIGNATURE_REPLAYED, verifyRegionRequest } from '@snapferry/storage';
import type { StoreSignatures } from './store-signatures';

/** A store request whose signature and body digest were checked; `body` holds its bytes. */
export type StoreRequest = Request & { storeBody: Buffer; requestId: string };

/** The largest body a store call may carry: a chunk (64 MiB at most) or a big JSON list. */
export const MAX_STORE_BODY = 64 * 1024 * 1024;

export const storeError = (
  response: Response,
  requestId: string,
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): void => {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.status(status).json({ error: { code, message, requestId, ...extra } });
};

/**
 * The store routes' door: every call must carry the regions' HMAC signature (an API key opens
 * nothing here), within five minutes of this clock, over exactly the bytes that arrive, and a
 * signature no replicator of this database has seen before (a replayed call is refused). The
 * body is read whole (bounded), hashed once, and kept for the route; nothing is read from or
 * written to the store before all of that holds. The signature is recorded while the body
 * arrives, so a chunk's upload hides the database's round trip.
 */
export function storeAuth(secret: string | null, signatures: StoreSignatures, logger: Logger) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const requestId = randomUUID();
    response.setHeader('x-request-id', requestId);
    const refuse = (reason: string, code = 'AuthFailure.RegionSignature') => {
      logger.warn(
        { requestId, method: request.method, path: request.path, reason },
        'store call refused',
      );
      request.resume(); // drain, so the client reads the answer instead of a reset
      storeError(response, requestId, 401, code, `refused: ${reason}`);
    };
    if (!secret)
      return refuse('this replicator has no SNAPFERRY_REGION_SECRET, so its store is closed');
    const verdict = verifyRegionRequest(
      secret,
      { method: request.method, path: request.originalUrl },
      request.headers,
    );
    if (!verdict.ok) return refuse(verdict.reason);
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > MAX_STORE_BODY) {
      request.resume();
      return storeError(
        response,
        requestId,
        413,
        'InvalidParameter.BodyTooLarge',
        'the body is too large',
      );
    }
    // Never rejects: a database that cannot tell is answered below, not thrown.
    const firstUse = signatures
      .firstUse(verdict.signature, verdict.dateMs)
      .catch((err: unknown) => {
        logger.error({ err, requestId }, 'could not record a store signature');
        return undefined;
      });
    const parts: Buffer[] = [];
    let length = 0;
    const hash = createHash('sha256');
    request.on('data', (part: Buffer) => {
      length += part.length;
      if (length > MAX_STORE_BODY) return request.destroy();
      hash.update(part);
      parts.push(part);
    });
    request.on('error', () => undefined); // the client went away: nothing to answer
    request.on('end', () => {
      const digest = hash.digest('hex');
      void firstUse.then((first) => {
        if (first === undefined)
          // Unknown whether it is a replay: refused for now; HttpRegionStore retries a 503.
          return storeError(
            response,
            requestId,
            503,
            'ServiceUnavailable',
            'the store cannot check signatures right now; retry',
          );
        if (!first)
          return refuse(
            'this signature was used before (a replayed call); every call is signed anew',
            REGION_SIGNATURE_REPLAYED,
          );
        if (digest !== verdict.contentSha256) {
          // For a chunk the declared digest is the chunk's: bytes that do not match are refused here.
          const chunk = /\/chunks\/[0-9a-f]{64}$/.test(request.path) && request.method === 'PUT';
          return chunk
            ? storeError(
                response,
                requestId,
                400,
                'InvalidParameter.ChunkDigestMismatch',
                'the bytes do not hash to the chunk digest',
              )
            : refuse('the body does not match its signed digest');
        }
        Object.assign(request, { storeBody: Buffer.concat(parts, length), requestId });
        next();
      });
    });
  };
}
