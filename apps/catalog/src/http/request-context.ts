import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import type { Caller } from './api-keys';

/** What the catalog attaches to each request: its id (also the correlation id) and the caller. */
export interface RequestContext {
  requestId: string;
  caller?: Caller;
}

export type CatalogRequest = Request & { context?: RequestContext };

const validId = /^[A-Za-z0-9._:-]{1,100}$/;

export function contextOf(request: CatalogRequest): RequestContext {
  if (!request.context) {
    const header = request.headers['x-request-id'];
    const requestId = typeof header === 'string' && validId.test(header) ? header : randomUUID();
    request.context = { requestId };
  }
  return request.context;
}
