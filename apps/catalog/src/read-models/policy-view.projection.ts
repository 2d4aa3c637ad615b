import {
  evolvePolicyView,
  type PolicyView,
  type PolicyViewEvent,
  policyViewEventTypes,
} from '@snapferry/domain';
import type { Projection } from './projection';

const canHandle = new Set<string>(policyViewEventTypes);

/** The account's policies for `GET /v1/policies`, with each policy's latest refusals. */
export const policyViewProjection: Projection = {
  name: 'policy-view',
  tables: ['policy_view'],
  async handle(events, sql) {
    const relevant = events.filter((e) => canHandle.has(e.type)) as unknown as PolicyViewEvent[];
    if (relevant.length === 0) return;
    const ids = [...new Set(relevant.map((e) => e.data.policyId))];
    const { rows } = await sql<{ policy_id: string; doc: PolicyView }>(
      `SELECT policy_id, doc FROM policy_view WHERE policy_id = ANY($1)`,
      [ids],
    );
    const docs = new Map<string, PolicyView | null>(rows.map((r) => [r.policy_id, r.doc]));
    for (const event of relevant)
      docs.set(event.data.policyId, evolvePolicyView(docs.get(event.data.policyId) ?? null, event));
    const upserts = [...docs.values()].filter((d): d is PolicyView => d !== null);
    const deletes = [...docs.entries()].filter(([, d]) => d === null).map(([id]) => id);
    if (deletes.length > 0)
      await sql(`DELETE FROM policy_view WHERE policy_id = ANY($1)`, [deletes]);
    if (upserts.length > 0)
      await sql(
        `INSERT INTO policy_view (policy_id, account_id, created_at, doc)
         SELECT d->>'policyId', d->>'accountId', (d->>'createdAt')::timestamptz, d
         FROM jsonb_array_elements($1::jsonb) AS d
         ON CONFLICT (policy_id) DO UPDATE SET doc = EXCLUDED.doc`,
        [JSON.stringify(upserts)],
      );
  },
};
