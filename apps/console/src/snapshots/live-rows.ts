import { evolveSnapshotView, snapshotViewIds, type SnapshotViewEvent } from '@snapferry/domain';
import type { LoggedEvent, Snapshot } from '../api/types';
import { asCatalogEvent, regionsOf, snapshotIdsOf } from '../events/event-summary';

/** Does this event change what a region's list shows (its rows, or copies into or out of it)? */
export function touchesList(
  event: LoggedEvent,
  region: string,
  rows: readonly Snapshot[],
): boolean {
  if (regionsOf(event).includes(region)) return true;
  const ids = snapshotIdsOf(event);
  return rows.some((row) => ids.includes(row.snapshotId));
}

/** Progress moves a row forward only (percent never backwards, state only onwards): safe to replay. */
const appliedLocally = new Set(['ReplicationProgressed', 'ReplicationVerifying']);

/**
 * Applies a copy's progress to the rows at once, with the read model's own `evolve`, so a
 * percent moves as its event arrives; every other change comes from re-reading the list.
 */
export function applyProgress(
  rows: readonly Snapshot[],
  events: readonly LoggedEvent[],
): Snapshot[] {
  let next = [...rows];
  for (const logged of events) {
    if (!appliedLocally.has(logged.type)) continue;
    const event = asCatalogEvent(logged) as SnapshotViewEvent;
    const ids = snapshotViewIds(event);
    next = next.map((row) => {
      if (!ids.includes(row.snapshotId)) return row;
      const { baseSnapshotId, ...rest } = row;
      const view = { ...rest, accountId: '', ...(baseSnapshotId ? { baseSnapshotId } : {}) };
      const evolved = evolveSnapshotView(view, event, row.snapshotId);
      if (!evolved) return row;
      const { accountId: _accountId, ...shown } = evolved;
      // The answer's shape, with what the view moved: fields the view does not keep stay as read.
      return {
        ...row,
        ...shown,
        tags: shown.tags ?? row.tags,
        root: shown.root ?? row.root,
        baseSnapshotId: row.baseSnapshotId,
        deadline: shown.deadline ?? null,
        deadlineMissedAt: shown.deadlineMissedAt ?? null,
        copyingToRegions: shown.copyingToRegions.map((c) => ({
          ...c,
          deadline: c.deadline ?? null,
          deadlineMissedAt: c.deadlineMissedAt ?? null,
        })),
        updatedAt: row.updatedAt,
      };
    });
  }
  return next;
}
