export { createS3Client, type BucketRegion, type S3ClientOptions } from './s3-client';
export { checkBucket, probeKeyPrefix } from './check-bucket';
export { signPayloadAs } from './payload-sha256';
export { s3Failure, type S3Failure } from './s3-error-code';
export {
  credentialVariables,
  regionCredentials,
  ObjectStoreConfigError,
  type S3Credentials,
} from './region-credentials';
export { ObjectStoreUnusableError, type ObjectStoreProblem } from './object-store-errors';
export {
  ObjectStoreRegionStore,
  type ObjectStoreRegionStoreOptions,
} from './object-store-region-store';
export { ChunkIndex, indexSchemaFor } from './chunk-index';
export { ObjectStoreUnavailableError, ObjectStoreRefusedError } from './object-store-calls';
