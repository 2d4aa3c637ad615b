import { UsageError } from './errors';

export interface CliConfig {
  url: string;
  apiKey: string;
}

export const defaultUrl = 'http://127.0.0.1:3000';

/** `SNAPFERRY_URL` (default: a catalog on this machine) and `SNAPFERRY_API_KEY` (required). */
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
  return { url: url.replace(/\/+$/, ''), apiKey };
}
