import { judgeDestination } from '../replications/judge-destination';
import type { RegionCatalog } from '../regions/region-catalog';
import { findRegion, maxPolicyDestinationsOf } from '../regions/region-catalog';
import type { ErrorCode, FieldProblem } from '../shared/event';
import { DomainError } from '../shared/event';
import { diskIdPattern } from '../shared/ids';
import { tagProblems } from '../snapshots/tags';
import type {
  PolicyDefinition,
  PolicyDestination,
  PolicySelector,
  PolicyTag,
  RetentionRule,
} from './policy-definition';
import { policyLimits } from './policy-definition';

/** A policy refused as a whole, with every field's problem (`error.fields`): nothing was changed. */
export class PolicyInvalidError extends DomainError {
  constructor(override readonly fields: FieldProblem[]) {
    super(
      'InvalidParameterValue.Policy',
      `the policy is invalid: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`,
      fields,
    );
    this.name = 'PolicyInvalidError';
  }
}

type Fields = Record<string, unknown>;
const isRecord = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const topLevel = [
  'name',
  'sourceRegion',
  'selector',
  'destinations',
  'sourceRetain',
  'minIntervalMinutes',
  'rpoMinutes',
  'enabled',
];

/** Collects reasons while reading one input; `refused()` is true once any was found. */
class Reasons {
  readonly list: FieldProblem[] = [];
  add(field: string, message: string, code: ErrorCode = 'InvalidParameterValue'): undefined {
    this.list.push({ field, code, message });
    return undefined;
  }
  unknownKeys(value: Fields, allowed: readonly string[], at: string): void {
    for (const key of Object.keys(value))
      if (!allowed.includes(key)) this.add(`${at}${key}`, 'is not a field of a policy');
  }
  integer(value: unknown, field: string, min: number, max: number): number | undefined {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      return this.add(field, `must be a whole number from ${min} to ${max}`);
    return value;
  }
}

/**
 * Reads a policy as a user wrote it (the parsed JSON body, or an existing definition with a
 * PATCH merged in) and returns it complete, or throws `PolicyInvalidError` with a reason for
 * every wrong field: unknown or refused regions, an empty selector, more destinations than the
 * regions file allows, a retention of zero, numbers out of range.
 */
export function parsePolicyDefinition(input: unknown, regions: RegionCatalog): PolicyDefinition {
  const reasons = new Reasons();
  if (!isRecord(input)) {
    reasons.add('$', 'must be an object');
    throw new PolicyInvalidError(reasons.list);
  }
  reasons.unknownKeys(input, topLevel, '');
  const name = parseName(input['name'], reasons);
  const sourceRegion = parseSourceRegion(input['sourceRegion'], regions, reasons);
  const selector = parseSelector(input['selector'], reasons);
  const destinations = parseDestinations(input['destinations'], sourceRegion, regions, reasons);
  const sourceRetain =
    input['sourceRetain'] === undefined
      ? undefined
      : parseRetention(input['sourceRetain'], 'sourceRetain', reasons);
  const minIntervalMinutes =
    input['minIntervalMinutes'] === undefined
      ? 0
      : reasons.integer(input['minIntervalMinutes'], 'minIntervalMinutes', 0, policyLimits.minutes);
  const rpoMinutes =
    input['rpoMinutes'] === undefined
      ? reasons.add('rpoMinutes', 'is required', 'MissingParameter')
      : reasons.integer(input['rpoMinutes'], 'rpoMinutes', 1, policyLimits.minutes);
  if (
    rpoMinutes !== undefined &&
    minIntervalMinutes !== undefined &&
    rpoMinutes < minIntervalMinutes
  )
    reasons.add(
      'rpoMinutes',
      `must be at least minIntervalMinutes (${minIntervalMinutes}): copies that far apart would always breach it`,
    );
  const enabled = input['enabled'] === undefined ? true : input['enabled'];
  if (typeof enabled !== 'boolean') reasons.add('enabled', 'must be true or false');
  if (reasons.list.length > 0) throw new PolicyInvalidError(reasons.list);
  return {
    name: name!,
    sourceRegion: sourceRegion!,
    selector: selector!,
    destinations: destinations!,
    ...(sourceRetain ? { sourceRetain } : {}),
    minIntervalMinutes: minIntervalMinutes!,
    rpoMinutes: rpoMinutes!,
    enabled: enabled as boolean,
  };
}

function parseName(value: unknown, reasons: Reasons): string | undefined {
  if (value === undefined) return reasons.add('name', 'is required', 'MissingParameter');
  if (
    typeof value !== 'string' ||
    value.trim() === '' ||
    [...value].length > policyLimits.nameLength
  )
    return reasons.add('name', `must be 1 to ${policyLimits.nameLength} characters`);
  return value;
}

function parseSourceRegion(
  value: unknown,
  regions: RegionCatalog,
  reasons: Reasons,
): string | undefined {
  if (value === undefined) return reasons.add('sourceRegion', 'is required', 'MissingParameter');
  if (typeof value !== 'string' || !findRegion(regions, value))
    return reasons.add(
      'sourceRegion',
      `${describe(value)} is unknown or not supported`,
      'InvalidParameterValue.Region',
    );
  return value;
}

function parseSelector(value: unknown, reasons: Reasons): PolicySelector | undefined {
  if (value === undefined) return reasons.add('selector', 'is required', 'MissingParameter');
  if (!isRecord(value)) return reasons.add('selector', 'must be an object {diskIds?, tags?}');
  reasons.unknownKeys(value, ['diskIds', 'tags'], 'selector.');
  const { diskIds, tags } = value;
  const selector: PolicySelector = {};
  if (diskIds !== undefined) {
    if (!Array.isArray(diskIds) || diskIds.length > policyLimits.diskIds)
      reasons.add('selector.diskIds', `must be a list of at most ${policyLimits.diskIds} disk ids`);
    else {
      diskIds.forEach((id: unknown, i) => {
        if (typeof id !== 'string' || !diskIdPattern.test(id))
          reasons.add(`selector.diskIds[${i}]`, 'must look like disk-xxxxxxxx');
      });
      if (new Set(diskIds).size !== diskIds.length)
        reasons.add('selector.diskIds', 'must not repeat a disk');
      if (diskIds.length > 0) selector.diskIds = diskIds as string[];
    }
  }
  if (tags !== undefined) {
    const parsed = parseTags(tags, reasons);
    if (parsed && parsed.length > 0) selector.tags = parsed;
  }
  if (
    !selector.diskIds &&
    !selector.tags &&
    reasons.list.every((r) => !r.field.startsWith('selector'))
  )
    reasons.add('selector', 'must name at least one disk id or one tag');
  return selector;
}

function parseTags(value: unknown, reasons: Reasons): PolicyTag[] | undefined {
  if (!Array.isArray(value) || value.length > policyLimits.tags)
    return reasons.add(
      'selector.tags',
      `must be a list of at most ${policyLimits.tags} {key, value}`,
    );
  const tags: PolicyTag[] = [];
  value.forEach((tag: unknown, i) => {
    const at = `selector.tags[${i}]`;
    if (!isRecord(tag)) return reasons.add(at, 'must be an object {key, value}');
    reasons.unknownKeys(tag, ['key', 'value'], `${at}.`);
    const { key, value: tagValue } = tag;
    if (typeof key !== 'string') return reasons.add(`${at}.key`, 'must be a string');
    if (typeof tagValue !== 'string') return reasons.add(`${at}.value`, 'must be a string');
    // The snapshot's own rules; a selector may name the service's tags (snapferry:policy, …).
    const problems = tagProblems({ key, value: tagValue }, at, true);
    reasons.list.push(...problems);
    if (problems.length === 0) tags.push({ key, value: tagValue });
    return undefined;
  });
  if (new Set(tags.map((t) => t.key)).size !== tags.length)
    reasons.add('selector.tags', 'must not name a key twice');
  return tags;
}

function parseDestinations(
  value: unknown,
  sourceRegion: string | undefined,
  regions: RegionCatalog,
  reasons: Reasons,
): PolicyDestination[] | undefined {
  if (value === undefined) return reasons.add('destinations', 'is required', 'MissingParameter');
  if (!Array.isArray(value) || value.length === 0)
    return reasons.add('destinations', 'must be a list of at least one {region, retain}');
  const limit = maxPolicyDestinationsOf(regions);
  if (value.length > limit)
    reasons.add(
      'destinations',
      `at most ${limit} destinations per policy (the regions file's maxPolicyDestinations)`,
      'LimitExceeded.PolicyDestinations',
    );
  const destinations: PolicyDestination[] = [];
  const seen = new Set<string>();
  value.forEach((destination: unknown, i) => {
    const at = `destinations[${i}]`;
    if (!isRecord(destination)) return reasons.add(at, 'must be an object {region, retain}');
    reasons.unknownKeys(destination, ['region', 'retain'], `${at}.`);
    const region = parseDestinationRegion(
      destination['region'],
      at,
      sourceRegion,
      regions,
      reasons,
    );
    if (region !== undefined && seen.has(region))
      reasons.add(`${at}.region`, `${region} is already a destination of this policy`);
    if (region !== undefined) seen.add(region);
    const retain =
      destination['retain'] === undefined
        ? reasons.add(`${at}.retain`, 'is required', 'MissingParameter')
        : parseRetention(destination['retain'], `${at}.retain`, reasons);
    if (region !== undefined && retain) destinations.push({ region, retain });
    return undefined;
  });
  return destinations;
}

/** A destination is judged as a manual copy from the source region would be (quota aside). */
function parseDestinationRegion(
  value: unknown,
  at: string,
  sourceRegion: string | undefined,
  regions: RegionCatalog,
  reasons: Reasons,
): string | undefined {
  if (value === undefined) return reasons.add(`${at}.region`, 'is required', 'MissingParameter');
  if (typeof value !== 'string' || !findRegion(regions, value))
    return reasons.add(
      `${at}.region`,
      `${describe(value)} is unknown or not supported`,
      'InvalidParameterValue.Region',
    );
  if (sourceRegion === undefined) return value;
  const refusal = judgeDestination(value, {
    sourceSnapshotId: 'the source snapshots',
    sourceRegion,
    regions,
    copyInFlightTo: () => false,
    snapshotsInRegion: () => Number.NEGATIVE_INFINITY, // quota is judged per copy, not here
  });
  if (refusal) return reasons.add(`${at}.region`, refusal[1], refusal[0]);
  return value;
}

function parseRetention(value: unknown, at: string, reasons: Reasons): RetentionRule | undefined {
  if (!isRecord(value)) return reasons.add(at, 'must be an object {count?, maxAgeDays?}');
  reasons.unknownKeys(value, ['count', 'maxAgeDays'], `${at}.`);
  const { count, maxAgeDays } = value;
  if (count === undefined && maxAgeDays === undefined)
    return reasons.add(at, 'must keep by count, by maxAgeDays or both');
  const rule: RetentionRule = {};
  if (count !== undefined) {
    const n = reasons.integer(count, `${at}.count`, 1, policyLimits.count);
    if (n !== undefined) rule.count = n;
  }
  if (maxAgeDays !== undefined) {
    const n = reasons.integer(maxAgeDays, `${at}.maxAgeDays`, 1, policyLimits.maxAgeDays);
    if (n !== undefined) rule.maxAgeDays = n;
  }
  return rule;
}

const describe = (value: unknown): string =>
  typeof value === 'string' ? `region ${value.slice(0, 40)}` : 'the region';
