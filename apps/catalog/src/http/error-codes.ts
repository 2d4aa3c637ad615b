import type { ErrorCode } from '@snapferry/domain';

/** How the API answers one error code: its HTTP status, and its name in the cloud's API 3.0. */
export interface ErrorAnswer {
  status: number;
  /**
   * The cloud's code for the same refusal where its block-storage API has one; otherwise ours,
   * already in the cloud's `Family.Reason` form under one of its common families, so code that
   * checks the family still works (README, "Use the cloud SDK").
   */
  cloud: string;
}

/**
 * Every error code of the domain, answered the same way by `/v1` (the status) and by the cloud
 * API (`cloud`): the one table. Typed over every ErrorCode: a new code does not compile until
 * it has its row.
 */
export const errorAnswers: Record<ErrorCode, ErrorAnswer> = {
  InvalidParameter: { status: 400, cloud: 'InvalidParameter' },
  InvalidParameterValue: { status: 400, cloud: 'InvalidParameterValue' },
  'InvalidParameterValue.Region': { status: 400, cloud: 'InvalidParameterValue' },
  'InvalidParameterValue.SnapshotName': { status: 400, cloud: 'InvalidParameterValue' },
  'InvalidParameterValue.DestinationRegions': { status: 400, cloud: 'InvalidParameterValue' },
  'InvalidParameterValue.Policy': { status: 400, cloud: 'InvalidParameterValue' },
  'InvalidParameterValue.Tags': { status: 400, cloud: 'InvalidParameterValue' },
  'InvalidParameterValue.TagKey': { status: 400, cloud: 'InvalidParameterValue' },
  'InvalidParameterValue.TagValue': { status: 400, cloud: 'InvalidParameterValue' },
  'InvalidParameterValue.TagKeyReserved': { status: 400, cloud: 'InvalidParameterValue' },
  'InvalidParameterValue.Deadline': { status: 400, cloud: 'InvalidParameterValue' },
  MissingParameter: { status: 400, cloud: 'MissingParameter' },
  'AuthFailure.MissingApiKey': { status: 401, cloud: 'AuthFailure.InvalidAuthorization' },
  'AuthFailure.InvalidApiKey': { status: 401, cloud: 'AuthFailure.SecretIdNotFound' },
  'UnauthorizedOperation.NotInBeta': { status: 403, cloud: 'UnauthorizedOperation.NotInBeta' },
  'UnauthorizedOperation.OperatorOnly': { status: 403, cloud: 'UnauthorizedOperation' },
  'ResourceNotFound.Snapshot': { status: 404, cloud: 'InvalidSnapshotId.NotFound' },
  'ResourceNotFound.Replication': { status: 404, cloud: 'ResourceNotFound.NotFound' },
  'ResourceNotFound.Policy': { status: 404, cloud: 'ResourceNotFound.NotFound' },
  'ResourceNotFound.Route': { status: 404, cloud: 'InvalidAction' },
  'ResourceNotFound.SnapshotData': { status: 404, cloud: 'ResourceNotFound.NotFound' },
  'ResourceNotFound.BaseSnapshot': { status: 404, cloud: 'InvalidSnapshotId.NotFound' },
  'InvalidParameterValue.BaseSnapshot': { status: 400, cloud: 'InvalidParameterValue' },
  'UnsupportedOperation.BaseSnapshotNotNormal': {
    status: 409,
    cloud: 'UnsupportedOperation.StateError',
  },
  'UnsupportedOperation.BaseSnapshotDeleted': {
    status: 409,
    cloud: 'UnsupportedOperation.StateError',
  },
  'UnsupportedOperation.NoBaseSnapshot': { status: 409, cloud: 'UnsupportedOperation.StateError' },
  'UnsupportedOperation.FinanceZoneRestricted': {
    status: 409,
    cloud: 'UnsupportedOperation.FinanceZoneRestricted',
  },
  'UnsupportedOperation.GeoRestricted': {
    status: 409,
    cloud: 'UnsupportedOperation.GeoRestricted',
  },
  'UnsupportedOperation.SystemDiskSnapshot': {
    status: 400,
    cloud: 'UnsupportedOperation.SnapshotNotSupportCopy',
  },
  'UnsupportedOperation.SnapshotCopying': {
    status: 409,
    cloud: 'ResourceInUse.CopySnapshotConflict',
  },
  'UnsupportedOperation.SnapshotNotNormal': {
    status: 409,
    cloud: 'UnsupportedOperation.StateError',
  },
  'UnsupportedOperation.SnapshotNotCreating': {
    status: 409,
    cloud: 'UnsupportedOperation.StateError',
  },
  'UnsupportedOperation.SnapshotDataTooLarge': { status: 413, cloud: 'InvalidParameterValue' },
  'UnsupportedOperation.DataAlreadyStored': {
    status: 409,
    cloud: 'UnsupportedOperation.StateError',
  },
  'LimitExceeded.SnapshotQuota': { status: 429, cloud: 'InsufficientSnapshotQuota' },
  'LimitExceeded.PolicyDestinations': { status: 429, cloud: 'LimitExceeded' },
  'FailedOperation.ConcurrentModification': { status: 409, cloud: 'ResourceBusy' },
  InternalError: { status: 500, cloud: 'InternalError' },
  ServiceUnavailable: { status: 503, cloud: 'ServiceUnavailable' },
};

/** The status of a code's family, for the HTTP-level codes outside the table (`InvalidParameter.MalformedJson`…). */
const familyStatuses: [family: string, status: number][] = [
  ['AuthFailure', 401],
  ['UnauthorizedOperation', 403],
  ['ResourceNotFound', 404],
  ['LimitExceeded', 429],
  ['RequestLimitExceeded', 429],
  ['RequestTimeout', 408],
  ['UnsupportedOperation', 409],
  ['FailedOperation', 409],
  ['InvalidParameter', 400],
  ['InvalidParameterValue', 400],
  ['MissingParameter', 400],
];

export const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(errorAnswers, code);

/** The HTTP status for any code the catalog answers with: its row, else its family's. */
export function statusOf(code: string): number {
  if (isErrorCode(code)) return errorAnswers[code].status;
  const family = code.split('.')[0]!;
  return familyStatuses.find(([name]) => name === family)?.[1] ?? 500;
}
