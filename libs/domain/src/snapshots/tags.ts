import type { ErrorCode } from '../shared/event';
import { refuseFields, type FieldProblem } from '../shared/event';

/** A snapshot's tag: `key` unique per snapshot (case-sensitive), `value` possibly empty. */
export interface Tag {
  key: string;
  value: string;
}

export const maxTagsPerSnapshot = 50;
export const maxTagKeyLength = 127;
export const maxTagValueLength = 255;
/** Keys under this prefix are the service's own (a copy's origin, the policy that made it). */
export const reservedTagPrefix = 'snapferry:';
/**
 * The characters a key or value may hold: Unicode letters and digits, space and `_ . : / = + - @`
 * (the cloud's tag charset). Keys are 1-127 characters, values 0-255, counted in code points.
 */
export const tagCharset = /^[\p{L}\p{N} _.:/=+\-@]*$/u;
export const tagCharsetDescription = 'letters, digits, spaces and _ . : / = + - @';

/** The tags the service itself sets on a copy. */
export const copyTagKeys = {
  sourceSnapshot: 'snapferry:source-snapshot',
  sourceRegion: 'snapferry:source-region',
  policy: 'snapferry:policy',
} as const;

const length = (s: string): number => [...s].length;
export const isReservedTagKey = (key: string): boolean => key.startsWith(reservedTagPrefix);

/** Every problem of one key/value pair, each named by its field (`<path>.key`, `<path>.value`). */
export function tagProblems(tag: Tag, path: string, allowReserved = false): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const keyProblem = (code: ErrorCode, message: string) =>
    problems.push({ field: `${path}.key`, code, message });
  if (length(tag.key) < 1)
    keyProblem('InvalidParameterValue.TagKey', 'a tag key must not be empty');
  else if (length(tag.key) > maxTagKeyLength)
    keyProblem(
      'InvalidParameterValue.TagKey',
      `a tag key must be at most ${maxTagKeyLength} characters`,
    );
  if (!tagCharset.test(tag.key))
    keyProblem('InvalidParameterValue.TagKey', `a tag key may hold only ${tagCharsetDescription}`);
  if (tag.key.trim() !== tag.key)
    keyProblem('InvalidParameterValue.TagKey', 'a tag key must not start or end with a space');
  if (!allowReserved && isReservedTagKey(tag.key))
    keyProblem(
      'InvalidParameterValue.TagKeyReserved',
      `tag keys starting with ${reservedTagPrefix} are reserved for the service`,
    );
  if (length(tag.value) > maxTagValueLength)
    problems.push({
      field: `${path}.value`,
      code: 'InvalidParameterValue.TagValue',
      message: `a tag value must be at most ${maxTagValueLength} characters`,
    });
  if (!tagCharset.test(tag.value))
    problems.push({
      field: `${path}.value`,
      code: 'InvalidParameterValue.TagValue',
      message: `a tag value may hold only ${tagCharsetDescription}`,
    });
  return problems;
}

/** Every problem of a set of tags a user gives (count, each pair, repeated keys, reserved keys). */
export function userTagProblems(tags: readonly Tag[], field = 'tags'): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (tags.length > maxTagsPerSnapshot)
    problems.push({
      field,
      code: 'InvalidParameterValue.Tags',
      message: `a snapshot carries at most ${maxTagsPerSnapshot} tags (${tags.length} given)`,
    });
  const seen = new Set<string>();
  tags.forEach((tag, i) => {
    problems.push(...tagProblems(tag, `${field}.${i}`));
    if (seen.has(tag.key))
      problems.push({
        field: `${field}.${i}.key`,
        code: 'InvalidParameterValue.TagKey',
        message: `tag key ${JSON.stringify(tag.key)} is given twice`,
      });
    seen.add(tag.key);
  });
  return problems;
}

/** Refuses (with every problem, per field) the tags a user may not set. */
export function assertUserTags(tags: readonly Tag[], field = 'tags'): Tag[] {
  const problems = userTagProblems(tags, field);
  if (problems.length > 0) refuseFields(problems);
  return tags.map(({ key, value }) => ({ key, value }));
}

/**
 * A snapshot's tags after a user changes them: the user's set, with the service's own
 * (`snapferry:`) tags kept as they were, first. Users can neither set nor remove those.
 */
export function withReservedTags(current: readonly Tag[], user: readonly Tag[]): Tag[] {
  return [...current.filter((t) => isReservedTagKey(t.key)), ...user];
}

export interface CopyTagOrigin {
  sourceSnapshotId: string;
  sourceRegion: string;
  /** The replication policy that made the copy, when one did. */
  policyId?: string;
}

/**
 * The tags a copy carries: its source's own (user) tags, then where it came from. A copy of a
 * copy names its nearest source; the source's `snapferry:` tags are replaced, not repeated.
 */
export function copyTags(sourceTags: readonly Tag[], origin: CopyTagOrigin): Tag[] {
  return [
    ...sourceTags.filter((t) => !isReservedTagKey(t.key)),
    { key: copyTagKeys.sourceSnapshot, value: origin.sourceSnapshotId },
    { key: copyTagKeys.sourceRegion, value: origin.sourceRegion },
    ...(origin.policyId ? [{ key: copyTagKeys.policy, value: origin.policyId }] : []),
  ];
}

/** Tags as a key → value map (how the read model indexes them). */
export const tagMap = (tags: readonly Tag[]): Record<string, string> =>
  Object.fromEntries(tags.map((t) => [t.key, t.value]));

/** Whether a snapshot's tags hold every one of the filters (all must match). */
export const matchesTags = (tags: readonly Tag[], filters: readonly Tag[]): boolean =>
  filters.every((f) => tags.some((t) => t.key === f.key && t.value === f.value));

/** The same set of tags (order aside). */
export function sameTags(a: readonly Tag[], b: readonly Tag[]): boolean {
  if (a.length !== b.length) return false;
  const map = tagMap(b);
  return a.every((t) => map[t.key] === t.value);
}
