import {
  evolveSnapshotView,
  type SnapshotView,
  type SnapshotViewEvent,
  snapshotViewIds,
  replicationEventTypes,
  snapshotEventTypes,
} from '@snapferry/domain';
import type { Projection } from './projection';
import { snapshotViewsRepository as views } from './snapshot-views.repository';

const canHandle = new Set<string>([...snapshotEventTypes, ...replicationEventTypes]);

/**
 * The source and target status views: one document per snapshot, rows per region for the
 * lists. A batch loads each touched document once, evolves it through the batch's events
 * and writes it once.
 */
export const snapshotViewProjection: Projection = {
  name: 'snapshot-view',
  async handle(events, tx) {
    const relevant = events.filter((e) => canHandle.has(e.type)) as unknown as SnapshotViewEvent[];
    if (relevant.length === 0) return;
    const ids = [...new Set(relevant.flatMap(snapshotViewIds))];
    const docs = new Map<string, SnapshotView | null>(await views.docs(tx, ids));
    for (const event of relevant)
      for (const id of snapshotViewIds(event))
        docs.set(id, evolveSnapshotView(docs.get(id) ?? null, event, id));
    const upserts = [...docs.values()].filter((d): d is SnapshotView => d !== null);
    const deletes = [...docs.entries()].filter(([, d]) => d === null).map(([id]) => id);
    await views.write(tx, upserts, deletes);
  },
  clear: (tx) => views.clear(tx),
};
