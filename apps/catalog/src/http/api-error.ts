/** One field's problem in an error answer (`error.fields`). */
export interface FieldError {
  /** The field's path in the request: `tags.2.key`, `deadline`, `tag:tier`. */
  field: string;
  code: string;
  message: string;
}

/** An error answer the API gives on purpose, with its documented code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** A documented `Family.Reason` code (the domain's ErrorCode or an HTTP-level one). */
    readonly code: string,
    message: string,
    /** Extra response headers, e.g. `Retry-After` on a 429 or 503. */
    readonly headers: Record<string, string> = {},
    /** Per-field problems of a refused request. */
    readonly fields?: FieldError[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
