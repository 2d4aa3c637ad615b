import type { ErrorCode } from '@snapferry/domain';

/**
 * Our error codes as the cloud's API 3.0 names them: the one table (README, "Use the cloud
 * SDK"). Where the cloud's block-storage API has a code for the same refusal, it is used;
 * where it has none (finance zones, geography, the beta), our code stays — it is already in
 * the cloud's `Family.Reason` form, under the cloud's common family, so code that checks the
 * family still works. Typed over every ErrorCode: a new code does not compile until mapped.
 */
export const cloudErrorCodes: Record<ErrorCode, string> = {
  InvalidParameter: 'InvalidParameter',
  InvalidParameterValue: 'InvalidParameterValue',
  'InvalidParameterValue.Region': 'InvalidParameterValue',
  'InvalidParameterValue.SnapshotName': 'InvalidParameterValue',
  'InvalidParameterValue.DestinationRegions': 'InvalidParameterValue',
  'InvalidParameterValue.Policy': 'InvalidParameterValue',
  'InvalidParameterValue.Tags': 'InvalidParameterValue',
  'InvalidParameterValue.TagKey': 'InvalidParameterValue',
  'InvalidParameterValue.TagValue': 'InvalidParameterValue',
  'InvalidParameterValue.TagKeyReserved': 'InvalidParameterValue',
  'InvalidParameterValue.Deadline': 'InvalidParameterValue',
  MissingParameter: 'MissingParameter',
  'AuthFailure.MissingApiKey': 'AuthFailure.InvalidAuthorization',
  'AuthFailure.InvalidApiKey': 'AuthFailure.SecretIdNotFound',
  'UnauthorizedOperation.NotInBeta': 'UnauthorizedOperation.NotInBeta',
  'UnauthorizedOperation.OperatorOnly': 'UnauthorizedOperation',
  'ResourceNotFound.Snapshot': 'InvalidSnapshotId.NotFound',
  'ResourceNotFound.Replication': 'ResourceNotFound.NotFound',
  'ResourceNotFound.Policy': 'ResourceNotFound.NotFound',
  'ResourceNotFound.Route': 'InvalidAction',
  'ResourceNotFound.SnapshotData': 'ResourceNotFound.NotFound',
  'ResourceNotFound.BaseSnapshot': 'InvalidSnapshotId.NotFound',
  'InvalidParameterValue.BaseSnapshot': 'InvalidParameterValue',
  'UnsupportedOperation.BaseSnapshotNotNormal': 'UnsupportedOperation.StateError',
  'UnsupportedOperation.BaseSnapshotDeleted': 'UnsupportedOperation.StateError',
  'UnsupportedOperation.NoBaseSnapshot': 'UnsupportedOperation.StateError',
  'UnsupportedOperation.FinanceZoneRestricted': 'UnsupportedOperation.FinanceZoneRestricted',
  'UnsupportedOperation.GeoRestricted': 'UnsupportedOperation.GeoRestricted',
  'UnsupportedOperation.SystemDiskSnapshot': 'UnsupportedOperation.SnapshotNotSupportCopy',
  'UnsupportedOperation.SnapshotCopying': 'ResourceInUse.CopySnapshotConflict',
  'UnsupportedOperation.SnapshotNotNormal': 'UnsupportedOperation.StateError',
  'UnsupportedOperation.SnapshotNotCreating': 'UnsupportedOperation.StateError',
  'UnsupportedOperation.SnapshotDataTooLarge': 'InvalidParameterValue',
  'UnsupportedOperation.DataAlreadyStored': 'UnsupportedOperation.StateError',
  'LimitExceeded.SnapshotQuota': 'InsufficientSnapshotQuota',
  'LimitExceeded.PolicyDestinations': 'LimitExceeded',
  'FailedOperation.ConcurrentModification': 'ResourceBusy',
  InternalError: 'InternalError',
  ServiceUnavailable: 'ServiceUnavailable',
};

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

/** Any code the catalog produces (a domain ErrorCode or an HTTP-level one) in the cloud's terms. */
export function cloudCodeOf(code: string): string {
  if (Object.hasOwn(cloudErrorCodes, code)) return cloudErrorCodes[code as ErrorCode];
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
