import {
  evolveReplicationView,
  type ReplicationEvent,
  type ReplicationView,
  replicationEventTypes,
} from '@snapferry/domain';
import type { Projection } from './projection';
import { replicationViewsRepository as views } from './replication-views.repository';

const canHandle = new Set<string>(replicationEventTypes);

/** Copy jobs for `GET /v1/replications`. */
export const replicationViewProjection: Projection = {
  name: 'replication-view',
  async handle(events, tx) {
    const relevant = events.filter((e) => canHandle.has(e.type)) as unknown as ReplicationEvent[];
    if (relevant.length === 0) return;
    const ids = [...new Set(relevant.map((e) => e.data.replicationId))];
    const docs = new Map<string, ReplicationView | null>(await views.docs(tx, ids));
    for (const event of relevant)
      docs.set(
        event.data.replicationId,
        evolveReplicationView(docs.get(event.data.replicationId) ?? null, event),
      );
    await views.write(
      tx,
      [...docs.values()].filter((d): d is ReplicationView => d !== null),
    );
  },
  clear: (tx) => views.clear(tx),
};
