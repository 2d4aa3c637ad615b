import type { CatalogEvent } from '@snapferry/domain';
import type { LoggedEvent } from './api/types';

let position = 0;

/** A logged event as the API returns it, for the console's unit tests. */
export function logged<E extends CatalogEvent>(
  type: E['type'],
  data: E['data'],
  streamId = 'stream-test',
  streamPosition = 1,
): LoggedEvent {
  position += 1;
  return {
    globalPosition: String(position),
    eventId: `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`,
    streamId,
    streamPosition,
    type,
    version: 1,
    data,
    metadata: {},
    recordedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, position)).toISOString(),
  };
}

export const ref = {
  replicationId: 'repl-aaaa0001',
  sourceSnapshotId: 'snap-source01',
  targetSnapshotId: 'snap-target01',
  targetRegion: 'ap-shanghai',
};
