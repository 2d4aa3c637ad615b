import type { Tag } from '../snapshots/tags';
import { maxTagKeyLength, maxTagsPerSnapshot, maxTagValueLength } from '../snapshots/tags';

/** A tag a policy selects snapshots by: every listed tag must be on the snapshot. */
export type PolicyTag = Tag;

/** Which snapshots of the source region a policy takes: on one of `diskIds`, or carrying every tag. */
export interface PolicySelector {
  diskIds?: string[];
  tags?: PolicyTag[];
}

/**
 * How many copies (or source snapshots) of a disk a policy keeps: the newest `count` and/or
 * those younger than `maxAgeDays`. Each rule given is a limit (a snapshot goes when any of them
 * lets it go), and the newest NORMAL one of a disk always stays.
 */
export interface RetentionRule {
  count?: number;
  maxAgeDays?: number;
}

export interface PolicyDestination {
  region: string;
  retain: RetentionRule;
}

/** What a user writes: the body of `POST /v1/policies`, complete once parsed. */
export interface PolicyDefinition {
  name: string;
  sourceRegion: string;
  selector: PolicySelector;
  destinations: PolicyDestination[];
  sourceRetain?: RetentionRule;
  /** The least time between two copies of one disk to one destination (0: every snapshot). */
  minIntervalMinutes: number;
  /** The recovery-point objective: the age a disk's newest copy in a destination may reach. */
  rpoMinutes: number;
  enabled: boolean;
}

export const policyLimits = {
  nameLength: 60,
  diskIds: 100,
  tags: maxTagsPerSnapshot,
  tagKeyLength: maxTagKeyLength,
  tagValueLength: maxTagValueLength,
  count: 1000,
  maxAgeDays: 3650,
  /** A year, in minutes: the longest interval or objective a policy may name. */
  minutes: 525_600,
} as const;
