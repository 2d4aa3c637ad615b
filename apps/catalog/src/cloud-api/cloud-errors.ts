import { errorAnswers, isErrorCode } from '../http/error-codes';

/** The cloud's common error families (API 3.0): a code of ours under one of them may pass as is. */
const commonFamilies = [
  'AuthFailure',
  'FailedOperation',
  'InvalidParameter',
  'InvalidParameterValue',
  'LimitExceeded',
  'MissingParameter',
  'ResourceInUse',
  'ResourceNotFound',
  'ResourceUnavailable',
  'UnauthorizedOperation',
  'UnsupportedOperation',
];

/** Any code the catalog produces in the cloud's terms: a domain ErrorCode by its row of the one table, an HTTP-level one by its family. */
export function cloudCodeOf(code: string): string {
  if (isErrorCode(code)) return errorAnswers[code].cloud;
  const family = code.split('.')[0]!;
  return commonFamilies.includes(family) ? code : 'InternalError';
}

/** A refusal of the cloud edge itself, already in the cloud's terms. */
export class CloudError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CloudError';
  }
}
