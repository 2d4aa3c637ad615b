import type { LoggedEvent } from '../api/types';
import { summarize } from '../events/event-summary';

export type TimelineEntry =
  | { kind: 'event'; key: string; type: string; at: string; text: string }
  | {
      kind: 'progress';
      key: string;
      updates: number;
      fromPercent: number;
      toPercent: number;
      from: string;
      to: string;
    };

/**
 * A replication's timeline from its stream's events (requested, started, progress, verifying,
 * completed …) in order, each event once; a run of progress updates is one entry with the
 * percent it went from and to, so a long copy stays one screen.
 */
export function timelineOf(events: readonly LoggedEvent[]): TimelineEntry[] {
  const unique = new Map(events.map((e) => [e.eventId, e]));
  const ordered = [...unique.values()].sort((a, b) => a.streamPosition - b.streamPosition);
  const entries: TimelineEntry[] = [];
  for (const event of ordered) {
    const last = entries[entries.length - 1];
    if (event.type === 'ReplicationProgressed') {
      const percent = Math.floor((event.data as { percent: number }).percent);
      if (last?.kind === 'progress') {
        entries[entries.length - 1] = {
          ...last,
          updates: last.updates + 1,
          toPercent: percent,
          to: event.recordedAt,
        };
      } else {
        entries.push({
          kind: 'progress',
          key: event.eventId,
          updates: 1,
          fromPercent: percent,
          toPercent: percent,
          from: event.recordedAt,
          to: event.recordedAt,
        });
      }
      continue;
    }
    entries.push({
      kind: 'event',
      key: event.eventId,
      type: event.type,
      at: event.recordedAt,
      text: summarize(event),
    });
  }
  return entries;
}
