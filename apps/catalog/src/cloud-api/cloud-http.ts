import type { NextFunction, Response } from 'express';
import { contextOf, type CatalogRequest } from '../http/request-context';

/** The cloud's answer: `{"Response": {..., "RequestId"}}`, errors under `Response.Error`. */
export interface CloudAnswer {
  Response: Record<string, unknown> & { RequestId: string };
}

export type CloudApiRequest = CatalogRequest & { rawBody?: Buffer };

/** The same limit as the v1 API's JSON bodies. */
export const cloudBodyLimit = 256 * 1024;

export const isCloudApiCall = (req: { method: string; path: string }) =>
  req.method === 'POST' && req.path === '/';

export const cloudError = (requestId: string, code: string, message: string): CloudAnswer => ({
  Response: { Error: { Code: code, Message: message }, RequestId: requestId },
});

/**
 * Always HTTP 200 and `Content-Type: application/json` without a charset: with any other
 * status the cloud's SDKs drop the body and lose the error code.
 */
export function sendCloudAnswer(res: Response, answer: CloudAnswer): void {
  const body = Buffer.from(JSON.stringify(answer));
  res.status(200);
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', body.length);
  res.end(body);
}

/**
 * Keeps the raw bytes of `POST /` (the TC3 signature covers them byte for byte) and marks the
 * body as read so that the JSON parser of the /v1 routes, registered after this, skips it.
 * Every other request passes untouched. A body over the limit is answered here, in the
 * cloud's shape, without buffering it.
 */
export function cloudApiBody(limit = cloudBodyLimit) {
  return (req: CloudApiRequest, res: Response, next: NextFunction): void => {
    if (!isCloudApiCall(req)) return next();
    (req as { _body?: boolean })._body = true;
    const tooLarge = () => {
      req.unpipe();
      req.resume();
      res.setHeader('connection', 'close');
      sendCloudAnswer(
        res,
        cloudError(
          contextOf(req).requestId,
          'RequestSizeLimitExceeded',
          `the request body is larger than ${limit} bytes`,
        ),
      );
    };
    if (Number(req.headers['content-length'] ?? 0) > limit) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      req.off('end', onEnd);
      tooLarge();
    };
    const onEnd = () => {
      req.rawBody = Buffer.concat(chunks);
      next();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.once('error', next);
  };
}
