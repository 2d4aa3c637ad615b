import { StorageError } from '../errors';

/** A bucket-backed region configured so that it cannot work (its keys half set). */
export class ObjectStoreConfigError extends StorageError {
  readonly code = 'Storage.ObjectStoreConfig';
}

/** Static keys for one region's bucket (the SDK's AwsCredentialIdentity). */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * The variables that give one region's bucket keys of its own, ahead of the AWS SDK's chain:
 * `SNAPFERRY_S3_ACCESS_KEY_ID_AP_GUANGZHOU` (the region id upper-cased, `-` as `_`; region ids
 * have only lower-case letters, digits and `-`, so no two regions share a name).
 */
export function credentialVariables(region: string): {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
} {
  const suffix = region.toUpperCase().replace(/-/g, '_');
  return {
    accessKeyId: `SNAPFERRY_S3_ACCESS_KEY_ID_${suffix}`,
    secretAccessKey: `SNAPFERRY_S3_SECRET_ACCESS_KEY_${suffix}`,
    sessionToken: `SNAPFERRY_S3_SESSION_TOKEN_${suffix}`,
  };
}

/**
 * The region's own keys from `env`, or undefined: the AWS SDK's standard chain then applies
 * (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws, SSO, instance roles).
 * One of the pair without the other is a mistake that must stop the start, not fall back
 * silently to other keys. Values never appear in an error.
 */
export function regionCredentials(
  region: string,
  env: NodeJS.ProcessEnv,
): S3Credentials | undefined {
  const names = credentialVariables(region);
  const accessKeyId = env[names.accessKeyId] ?? '';
  const secretAccessKey = env[names.secretAccessKey] ?? '';
  const sessionToken = env[names.sessionToken] ?? '';
  if (accessKeyId === '' && secretAccessKey === '') {
    if (sessionToken !== '')
      throw new ObjectStoreConfigError(
        `${names.sessionToken} is set without ${names.accessKeyId} and ${names.secretAccessKey}`,
      );
    return undefined;
  }
  if (accessKeyId === '' || secretAccessKey === '')
    throw new ObjectStoreConfigError(
      `region ${region}: set both ${names.accessKeyId} and ${names.secretAccessKey}, or neither (then the AWS SDK's chain applies); only ${accessKeyId === '' ? names.secretAccessKey : names.accessKeyId} is set`,
    );
  return { accessKeyId, secretAccessKey, ...(sessionToken !== '' ? { sessionToken } : {}) };
}
