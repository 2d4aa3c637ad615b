import { readFileSync } from 'node:fs';
import { UsageError } from './errors';

export interface CliConfig {
  url: string;
  apiKey: string;
  /** SNAPFERRY_CA_FILE: PEM certificates trusted for the API besides the system's. */
  ca?: string;
}

function readCa(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`SNAPFERRY_CA_FILE ${file} cannot be read: ${(error as Error).message}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new UsageError(`SNAPFERRY_CA_FILE ${file} holds no PEM certificate`);
  return pem;
}

export const defaultUrl = 'http://127.0.0.1:3000';

/**
 * `SNAPFERRY_URL` (default: a catalog on this machine), `SNAPFERRY_API_KEY` (required) and
 * `SNAPFERRY_CA_FILE` (an extra CA for an https:// API whose certificate the system does not trust).
 */
export function loadCliConfig(env: NodeJS.ProcessEnv): CliConfig {
  const url = (env['SNAPFERRY_URL'] ?? '').trim() || defaultUrl;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`SNAPFERRY_URL is not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new UsageError(`SNAPFERRY_URL must be http:// or https://, not ${parsed.protocol}`);
  const apiKey = (env['SNAPFERRY_API_KEY'] ?? '').trim();
  if (!apiKey) throw new UsageError('set SNAPFERRY_API_KEY to your API key');
  const caFile = (env['SNAPFERRY_CA_FILE'] ?? '').trim();
  return { url: url.replace(/\/+$/, ''), apiKey, ...(caFile ? { ca: readCa(caFile) } : {}) };
}
