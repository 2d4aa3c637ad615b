import {
  evolvePolicyView,
  type PolicyView,
  type PolicyViewEvent,
  policyViewEventTypes,
} from '@snapferry/domain';
import type { Projection } from './projection';
import { policyViewsRepository as views } from './policy-views.repository';

const canHandle = new Set<string>(policyViewEventTypes);

/** The account's policies for `GET /v1/policies`, with each policy's latest refusals. */
export const policyViewProjection: Projection = {
  name: 'policy-view',
  async handle(events, tx) {
    const relevant = events.filter((e) => canHandle.has(e.type)) as unknown as PolicyViewEvent[];
    if (relevant.length === 0) return;
    const ids = [...new Set(relevant.map((e) => e.data.policyId))];
    const docs = new Map<string, PolicyView | null>(await views.docs(tx, ids));
    for (const event of relevant)
      docs.set(event.data.policyId, evolvePolicyView(docs.get(event.data.policyId) ?? null, event));
    const upserts = [...docs.values()].filter((d): d is PolicyView => d !== null);
    const deletes = [...docs.entries()].filter(([, d]) => d === null).map(([id]) => id);
    await views.write(tx, upserts, deletes);
  },
  clear: (tx) => views.clear(tx),
};
