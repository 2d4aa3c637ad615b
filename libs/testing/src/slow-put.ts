import { request as httpRequest, type ClientRequest } from 'node:http';

export interface SlowPutAnswer {
  /** The HTTP status; 0 when the connection was reset or the answer broke off. */
  status: number;
  /** The answer's body as text ('' when there was none). */
  body: string;
  retryAfter?: string;
  /** When the answer settled (Date.now()). */
  at: number;
}

/**
 * A PUT of an octet stream that sends its headers and the first `sent` bytes of a `size`-byte
 * body, then nothing (a slow or stalled client): `answer` settles when the server answers.
 * `request` is left open for the caller to destroy.
 */
export function slowPut(
  base: string,
  key: string,
  path: string,
  size: number,
  sent: Buffer,
): { answer: Promise<SlowPutAnswer>; request: ClientRequest } {
  const { hostname, port } = new URL(base);
  let request!: ClientRequest;
  const answer = new Promise<SlowPutAnswer>((resolve) => {
    const broken = () => resolve({ status: 0, body: '', at: Date.now() });
    request = httpRequest(
      {
        host: hostname,
        port,
        method: 'PUT',
        path,
        agent: false,
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/octet-stream',
          'content-length': size,
        },
      },
      (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(parts).toString('utf8'),
            retryAfter: response.headers['retry-after'],
            at: Date.now(),
          }),
        );
        response.on('error', broken);
      },
    );
    request.on('error', broken);
  });
  request.write(sent);
  return { answer, request };
}
