/** A domain event: a past-tense type and its data (emmett's `Event<Type, Data>`). */
export type Event<Type extends string = string, Data extends object = object> = Readonly<{
  type: Type;
  data: Readonly<Data>;
}>;

/** One problem of one field of a request (`tags.2.key`), with its own code. */
export interface FieldProblem {
  field: string;
  code: ErrorCode;
  message: string;
}

/** A decision that refuses with an error code instead of producing events. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Per-field problems, when the refusal is about the request's fields. */
    readonly fields?: FieldProblem[],
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
  'InvalidParameterValue.Policy',
  'InvalidParameterValue.Tags',
  'InvalidParameterValue.TagKey',
  'InvalidParameterValue.TagValue',
  'InvalidParameterValue.TagKeyReserved',
  'InvalidParameterValue.Deadline',
  'MissingParameter',
  'AuthFailure.MissingApiKey',
  'AuthFailure.InvalidApiKey',
  'UnauthorizedOperation.NotInBeta',
  'UnauthorizedOperation.OperatorOnly',
  'ResourceNotFound.Snapshot',
  'ResourceNotFound.Replication',
  'ResourceNotFound.Policy',
  'ResourceNotFound.Route',
  'ResourceNotFound.SnapshotData',
  'ResourceNotFound.BaseSnapshot',
  'InvalidParameterValue.BaseSnapshot',
  'UnsupportedOperation.BaseSnapshotNotNormal',
  'UnsupportedOperation.BaseSnapshotDeleted',
  'UnsupportedOperation.NoBaseSnapshot',
  'UnsupportedOperation.FinanceZoneRestricted',
  'UnsupportedOperation.GeoRestricted',
  'UnsupportedOperation.SystemDiskSnapshot',
  'UnsupportedOperation.SnapshotCopying',
  'UnsupportedOperation.SnapshotNotNormal',
  'UnsupportedOperation.SnapshotNotCreating',
  'UnsupportedOperation.SnapshotDataTooLarge',
  'UnsupportedOperation.DataAlreadyStored',
  'LimitExceeded.SnapshotQuota',
  'LimitExceeded.PolicyDestinations',
  'FailedOperation.ConcurrentModification',
  'InternalError',
  'ServiceUnavailable',
] as const;
export type ErrorCode = (typeof ErrorCodes)[number];

export const refuse = (code: ErrorCode, message: string): never => {
  throw new DomainError(code, message);
};

/**
 * Refuses with every field's problem: the first problem's code (or, when the problems have
 * different codes, the family `InvalidParameterValue`) and all messages in one line.
 */
export const refuseFields = (problems: FieldProblem[]): never => {
  const codes = new Set(problems.map((p) => p.code));
  const code = codes.size === 1 ? problems[0]!.code : 'InvalidParameterValue';
  throw new DomainError(code, problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
};
