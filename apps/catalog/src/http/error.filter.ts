import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { DomainError } from '@snapferry/domain';
import { WrongExpectedVersionError } from '@snapferry/event-store';
import { ApiError, type FieldError } from './api-error';
import { statusOf } from './error-codes';
import { contextOf, type CatalogRequest } from './request-context';

export interface Answer {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
  fields?: FieldError[];
}

const httpCodes: Record<number, string> = {
  400: 'InvalidParameter',
  404: 'ResourceNotFound.Route',
  405: 'UnsupportedOperation.Method',
  413: 'InvalidParameter.BodyTooLarge',
  415: 'InvalidParameter.ContentType',
};

/**
 * Writes `{"error": {"code", "message", "requestId"}}` with the answer's status and headers,
 * and `fields` (each field's problem) when the request's fields were refused.
 */
export function sendError(response: Response, requestId: string, answer: Answer): void {
  for (const [name, value] of Object.entries(answer.headers ?? {})) response.setHeader(name, value);
  const { code, message, fields } = answer;
  response
    .status(answer.status)
    .setHeader('x-request-id', requestId)
    .json({ error: { code, message, requestId, ...(fields?.length ? { fields } : {}) } });
}

/** Every error leaves as `{"error": {"code", "message", "requestId"}}` with a fitting status. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<CatalogRequest>();
    const response = http.getResponse<Response>();
    const { requestId } = contextOf(request);
    const answer = this.answer(exception);
    if (answer.status >= 500) this.logger.error({ err: exception, requestId }, 'request failed');
    if (response.headersSent) {
      response.destroy();
      return;
    }
    sendError(response, requestId, answer);
  }

  private answer(exception: unknown): Answer {
    if (exception instanceof ApiError)
      return {
        status: exception.status,
        code: exception.code,
        message: exception.message,
        headers: exception.headers,
        ...(exception.fields ? { fields: exception.fields } : {}),
      };
    if (exception instanceof DomainError)
      return {
        status: statusOf(exception.code),
        code: exception.code,
        message: exception.message,
        ...(exception.fields ? { fields: exception.fields } : {}),
      };
    if (exception instanceof WrongExpectedVersionError)
      return {
        status: 409,
        code: 'FailedOperation.ConcurrentModification',
        message: 'the snapshot changed meanwhile; retry the request',
      };
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const raw: unknown = typeof body === 'object' && 'message' in body ? body.message : body;
      const message = Array.isArray(raw) ? raw.join('; ') : String(raw);
      return {
        status,
        code: httpCodes[status] ?? (status >= 500 ? 'InternalError' : 'InvalidParameter'),
        message,
      };
    }
    const typed = exception as { type?: string; status?: number; message?: string };
    if (typed?.type === 'entity.parse.failed')
      return {
        status: 400,
        code: 'InvalidParameter.MalformedJson',
        message: 'the body is not valid JSON',
      };
    if (typed?.type === 'entity.too.large')
      return {
        status: 413,
        code: 'InvalidParameter.BodyTooLarge',
        message: 'the body is too large',
      };
    if (typeof typed?.status === 'number' && typed.status >= 400 && typed.status < 500)
      return {
        status: typed.status,
        code: 'InvalidParameter',
        message: typed.message ?? 'bad request',
      };
    return {
      status: 500,
      code: 'InternalError',
      message: 'an internal error occurred; quote the request id when reporting it',
    };
  }
}
