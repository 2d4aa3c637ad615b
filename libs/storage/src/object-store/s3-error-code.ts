/** What an S3 call's failure was, in the words an operator searches for. */
export interface S3Failure {
  /** `NoSuchBucket`, `SignatureDoesNotMatch`… or the network's `ECONNREFUSED`, `ENOTFOUND`… */
  code: string;
  /** The HTTP status, when the store answered at all. */
  httpStatus?: number;
  detail: string;
}

/** S3 error names that carry no code: a HEAD's answer has no body to name the error. */
const bodiless = new Set(['NotFound', 'Unknown', 'UnknownError', 'Forbidden']);

const statusCodes: Record<number, string> = {
  400: 'BadRequest',
  403: 'AccessDenied',
  404: 'NotFound',
};

/**
 * Classifies an error thrown by the AWS SDK: an S3 answer (its `Code`/name and status), a
 * network error (Node's `code`, also found in the cause or, when the SDK wrapped an error of
 * another realm under Jest, in the message), or whatever else it is by name.
 */
export function s3Failure(error: unknown): S3Failure {
  const e = (error ?? {}) as {
    name?: string;
    Code?: string;
    code?: unknown;
    message?: string;
    cause?: { code?: unknown };
    $metadata?: { httpStatusCode?: number };
  };
  const message = typeof e.message === 'string' ? e.message : String(error);
  const httpStatus = e.$metadata?.httpStatusCode;
  if (httpStatus !== undefined) {
    const named = e.Code ?? (e.name && !bodiless.has(e.name) ? e.name : undefined);
    const code = named ?? statusCodes[httpStatus] ?? `HTTP${httpStatus}`;
    // RGW's S3 errors often say only "UnknownError": the code is the information then.
    const detail = message && message !== 'UnknownError' && message !== code ? message : code;
    return { code, httpStatus, detail };
  }
  const networkCode =
    (typeof e.code === 'string' && e.code) ||
    (typeof e.cause?.code === 'string' && e.cause.code) ||
    /\b(E[A-Z][A-Z_]{2,}|EAI_[A-Z]+)\b/.exec(message)?.[1];
  if (networkCode) return { code: networkCode, detail: message };
  // The SDK's wrapper of what is not an Error of its realm (under Jest: Node's own errors)
  // keeps only `${name}: ${message}`: the name is the code (TimeoutError for a reset socket).
  const wrapped = /^AWS SDK error wrapper for ([A-Za-z]+): /.exec(message)?.[1];
  if (wrapped && wrapped !== 'Error') return { code: wrapped, detail: message };
  return { code: e.name && e.name !== 'Error' ? e.name : 'Error', detail: message };
}
