/** A domain event: a past-tense type and its data (emmett's `Event<Type, Data>`). */
export type Event<Type extends string = string, Data extends object = object> = Readonly<{
  type: Type;
  data: Readonly<Data>;
}>;

/** A decision that refuses with an error code instead of producing events. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const ErrorCodes = [
  'InvalidParameter',
  'InvalidParameterValue',
  'InvalidParameterValue.Region',
  'InvalidParameterValue.SnapshotName',
  'InvalidParameterValue.DestinationRegions',
  'MissingParameter',
  'AuthFailure.MissingApiKey',
  'AuthFailure.InvalidApiKey',
  'UnauthorizedOperation.NotInBeta',
  'UnauthorizedOperation.OperatorOnly',
  'ResourceNotFound.Snapshot',
  'ResourceNotFound.Replication',
  'ResourceNotFound.Route',
  'ResourceNotFound.SnapshotData',
  'UnsupportedOperation.FinanceZoneRestricted',
  'UnsupportedOperation.GeoRestricted',
  'UnsupportedOperation.SystemDiskSnapshot',
  'UnsupportedOperation.SnapshotCopying',
  'UnsupportedOperation.SnapshotNotNormal',
  'UnsupportedOperation.SnapshotNotCreating',
  'UnsupportedOperation.SnapshotDataTooLarge',
  'UnsupportedOperation.DataAlreadyStored',
  'LimitExceeded.SnapshotQuota',
  'FailedOperation.ConcurrentModification',
  'InternalError',
  'ServiceUnavailable',
] as const;
export type ErrorCode = (typeof ErrorCodes)[number];

export const refuse = (code: ErrorCode, message: string): never => {
  throw new DomainError(code, message);
};
