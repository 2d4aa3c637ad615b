import { readFile } from 'node:fs/promises';
import type { Context } from './context';
import { cannotRead, UsageError } from './errors';
import type { TagOption } from './parse';

/** The flags of `policy create`; each one given replaces that field of `--file`'s policy. */
export interface PolicyCreateOptions {
  file?: string;
  name?: string;
  sourceRegion?: string;
  disk?: string[];
  tag?: TagOption[];
  to?: string[];
  keep?: number;
  keepDays?: number;
  sourceKeep?: number;
  sourceKeepDays?: number;
  minInterval?: number;
  rpo?: number;
  disabled?: boolean;
}

export type PolicyBody = Record<string, unknown>;

/** `--file`: one JSON object from a file or (`-`) stdin; anything else is a usage error. */
export async function policyFile(ctx: Context, path: string): Promise<PolicyBody> {
  let text: string;
  try {
    text = path === '-' ? await readAll(ctx.stdin) : await readFile(path, 'utf8');
  } catch (error) {
    throw cannotRead(path, error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError(`${path} must hold one JSON object (a policy)`);
  return parsed as PolicyBody;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The body of `POST /v1/policies`: `base` (from `--file`, or empty) with each given flag in
 * place of its field. The catalog judges the whole (and names the field that is wrong); here
 * only what flags cannot say alone is a usage error.
 */
export function policyBody(options: PolicyCreateOptions, base: PolicyBody = {}): PolicyBody {
  const body: PolicyBody = { ...base };
  if (options.name !== undefined) body['name'] = options.name;
  if (options.sourceRegion !== undefined) body['sourceRegion'] = options.sourceRegion;
  if (options.disk !== undefined || options.tag !== undefined) {
    const selector = { ...(isObject(base['selector']) ? base['selector'] : {}) };
    if (options.disk !== undefined) selector['diskIds'] = options.disk;
    if (options.tag !== undefined) selector['tags'] = options.tag;
    body['selector'] = selector;
  }
  const retain = rule(options.keep, options.keepDays);
  if (options.to !== undefined) {
    if (!retain && !Array.isArray(base['destinations']))
      throw new UsageError(
        '--to needs --keep <n> and/or --keep-days <days> (what each destination keeps)',
      );
    body['destinations'] = options.to.map((region) => ({
      region,
      retain: retain ?? sameRegionRetain(base, region) ?? {},
    }));
  } else if (retain) {
    if (!Array.isArray(base['destinations']))
      throw new UsageError('--keep and --keep-days need --to <regions>');
    body['destinations'] = (base['destinations'] as unknown[]).map((d) =>
      isObject(d) ? { ...d, retain } : d,
    );
  }
  const sourceRetain = rule(options.sourceKeep, options.sourceKeepDays);
  if (sourceRetain) body['sourceRetain'] = sourceRetain;
  if (options.minInterval !== undefined) body['minIntervalMinutes'] = options.minInterval;
  if (options.rpo !== undefined) body['rpoMinutes'] = options.rpo;
  if (options.disabled) body['enabled'] = false;
  for (const [field, flag] of [
    ['name', '--name'],
    ['sourceRegion', '--source-region'],
    ['selector', '--disk or --tag'],
    ['destinations', '--to'],
    ['rpoMinutes', '--rpo'],
  ] as const)
    if (body[field] === undefined)
      throw new UsageError(`a policy needs ${flag} (or a --file that has ${field})`);
  return body;
}

function rule(count: number | undefined, maxAgeDays: number | undefined) {
  if (count === undefined && maxAgeDays === undefined) return undefined;
  return {
    ...(count !== undefined ? { count } : {}),
    ...(maxAgeDays !== undefined ? { maxAgeDays } : {}),
  };
}

/** With `--to` over a file, a region the file already lists keeps the file's retention. */
function sameRegionRetain(base: PolicyBody, region: string): unknown {
  const destinations = Array.isArray(base['destinations'])
    ? (base['destinations'] as unknown[])
    : [];
  const same = destinations.find((d) => isObject(d) && d['region'] === region);
  return isObject(same) ? same['retain'] : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
