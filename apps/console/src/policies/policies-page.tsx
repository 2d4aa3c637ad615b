import { useEffect } from 'react';
import { useApi, useLiveEvents } from '../api/context';
import type { PolicyList } from '../api/types';
import { useLiveReload } from '../api/use-live-reload';
import { useResource } from '../api/use-resource';
import { PolicyCard } from './policy-card';
import { touchesPolicies } from './recovery-points';

/** How often the page reads again without an event (a changed quota or clock, say). */
export const rereadMs = 30_000;

/**
 * The account's replication policies, each with its recovery-point table (per disk and
 * destination: newest copy, recovers-to time, age, OK / At risk / Breached). It follows the
 * event stream: a copy landing, a breach or a restoration, a policy changed reads it again.
 */
export function PoliciesPage() {
  const api = useApi();
  const list = useResource('policies', (signal) =>
    api.get<PolicyList>('/v1/policies', { limit: 100 }, signal),
  );
  const policies = list.data?.policies ?? [];
  const poke = useLiveReload(list.reload);
  useLiveEvents((events) => {
    if (events.some((e) => touchesPolicies(e, policies))) poke();
  });
  useEffect(() => {
    const timer = setInterval(list.reload, rereadMs);
    return () => clearInterval(timer);
  }, [list.reload]);

  return (
    <section aria-labelledby="policies-title">
      <div className="page-head">
        <h1 id="policies-title">Disaster recovery policies</h1>
      </div>
      <p className="muted">
        Each policy copies the snapshots it selects to its destinations and keeps the newest there.
        A recovery point is the newest copy of a disk in a destination: it is at risk from 80 % of
        the objective and breached when its age reaches it.
      </p>
      {list.error && (
        <p className="error" role="alert">
          {list.error.message}
        </p>
      )}
      {!list.data && list.loading && <p className="muted">Loading…</p>}
      {list.data && policies.length === 0 && (
        <p className="empty">
          No policies yet. Create one with <code>POST /v1/policies</code> or{' '}
          <code>snapferry policy create</code>.
        </p>
      )}
      {policies.map((p) => (
        <PolicyCard key={p.policyId} policy={p} generation={list.data} />
      ))}
    </section>
  );
}
