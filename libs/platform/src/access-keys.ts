import {
  type ApiKey,
  type CloudKey,
  ConfigError,
  loadConfig,
  parseApiKeys,
  parseCloudKeys,
  type SnapferryConfig,
} from './config';
import { readVariable, serviceVariables } from './config-schema';

/**
 * Set to `1` by `npm start` (scripts/start.js all) and by nothing else: an unset
 * SNAPFERRY_API_KEYS or SNAPFERRY_CLOUD_KEYS then falls back to the built-in keys below.
 * Without it no start uses a built-in secret.
 */
export const developmentKeysVariable = 'SNAPFERRY_DEVELOPMENT_KEYS';
/** Public (they are in the README): for a developer machine only. */
export const developmentApiKeys = 'dev-operator-key=ops:operator,dev-user-key=acme:user';
export const developmentCloudKeys = 'dev-secret-id:dev-secret-key=ops:operator';

export type KeyVariable = 'SNAPFERRY_API_KEYS' | 'SNAPFERRY_CLOUD_KEYS';

/** Who may call the catalog: only the catalog reads these (a replicator needs no key). */
export interface AccessKeys {
  apiKeys: ApiKey[];
  /** Empty: the cloud API 3.0 endpoint is off. */
  cloudKeys: CloudKey[];
  /** The variables whose built-in development keys are in use (the catalog warns about them). */
  developmentKeys: KeyVariable[];
}

export type CatalogConfig = SnapferryConfig & AccessKeys;

export const missingApiKeysMessage =
  'SNAPFERRY_API_KEYS is not set, so no client could call the API: set it to comma-separated ' +
  '<key>=<accountId>:<role> entries (a key of at least 8 characters, role user or operator), or ' +
  "sha256:<hex>=<accountId>:<role> entries that hold only the key's SHA-256 (snapferry admin " +
  'hash-key prints one). Only npm start runs on built-in development keys';

/**
 * SNAPFERRY_API_KEYS (required: without it the catalog refuses to start) and
 * SNAPFERRY_CLOUD_KEYS (optional: unset or empty, the cloud endpoint is off). Only
 * SNAPFERRY_DEVELOPMENT_KEYS=1 lets an unset variable fall back to the development keys.
 */
export function loadAccessKeys(env: NodeJS.ProcessEnv): AccessKeys {
  const development = readVariable(serviceVariables.SNAPFERRY_DEVELOPMENT_KEYS, env);
  const developmentKeys: KeyVariable[] = [];
  let apiKeysText = readVariable(serviceVariables.SNAPFERRY_API_KEYS, env) ?? '';
  if (apiKeysText === '' && development) {
    apiKeysText = developmentApiKeys;
    developmentKeys.push('SNAPFERRY_API_KEYS');
  }
  const apiKeys = parseApiKeys(apiKeysText);
  // An empty value (or only commas) opens nothing: as much a mistake as no value.
  if (apiKeys.length === 0) throw new ConfigError(missingApiKeysMessage);
  // Set but empty means "off" even on a developer machine (compose passes it so).
  let cloudKeysText = readVariable(serviceVariables.SNAPFERRY_CLOUD_KEYS, env);
  if (cloudKeysText === undefined && development) {
    cloudKeysText = developmentCloudKeys;
    developmentKeys.push('SNAPFERRY_CLOUD_KEYS');
  }
  return { apiKeys, cloudKeys: parseCloudKeys(cloudKeysText ?? ''), developmentKeys };
}

/** The catalog's configuration: everything a service reads, plus its keys. */
export function loadCatalogConfig(env: NodeJS.ProcessEnv = process.env): CatalogConfig {
  return { ...loadConfig(env), ...loadAccessKeys(env) };
}
