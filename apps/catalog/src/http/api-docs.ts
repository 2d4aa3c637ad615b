import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorBody } from '@snapferry/contracts';

const meaning: Record<number, string> = {
  400: 'bad input',
  401: 'no or bad API key',
  403: 'not allowed',
  404: "unknown (or another account's)",
  408: 'the body arrived too slowly (SNAPFERRY_BODY_TIMEOUT_MS)',
  409: 'state conflict',
  413: 'too large',
  415: 'wrong content type',
  429: 'limit reached',
  507: "the region's store is full",
};

/** The error answers an operation may give, each `{"error": {code, message, requestId}}`. */
export const ApiErrors = (...statuses: number[]) =>
  applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, type: ErrorBody, description: meaning[status] }),
    ),
  );
