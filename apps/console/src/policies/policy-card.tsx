import { useEffect, useRef } from 'react';
import { Link } from 'wouter';
import { useApi } from '../api/context';
import type { Policy, PolicyList, PolicyStatus } from '../api/types';
import { useResource } from '../api/use-resource';
import { codeInWords, formatTime } from '../format';
import { RecoveryPointTable } from './recovery-point-table';
import { retainText, selectorText } from './recovery-points';

/**
 * One policy: what it selects, where it copies and what it keeps, its objective, its latest
 * refusals, and its recovery points (read again whenever the page reads its list again).
 */
export function PolicyCard({ policy: p, generation }: { policy: Policy; generation?: PolicyList }) {
  const api = useApi();
  const status = useResource(`status:${p.policyId}:${p.updatedAt}`, (signal) =>
    api.get<PolicyStatus>(
      `/v1/policies/${encodeURIComponent(p.policyId)}/status`,
      undefined,
      signal,
    ),
  );
  useReloadWith(generation, status.reload);
  const titleId = `policy-${p.policyId}`;
  return (
    <article className="policy" aria-labelledby={titleId} data-policy-id={p.policyId}>
      <h2 id={titleId}>
        {p.name} <span className="mono muted">{p.policyId}</span>
        {!p.enabled && <span className="badge">Disabled</span>}
      </h2>
      <dl className="facts">
        <dt>Source</dt>
        <dd>
          <Link href={`/snapshots?region=${encodeURIComponent(p.sourceRegion)}`}>
            {p.sourceRegion}
          </Link>
          : {selectorText(p.selector)}
          {p.sourceRetain && <> (keeps {retainText(p.sourceRetain)})</>}
        </dd>
        <dt>Destinations</dt>
        <dd>
          {p.destinations.map((d, i) => (
            <span key={d.region}>
              {i > 0 && ' · '}
              <Link href={`/snapshots?region=${encodeURIComponent(d.region)}`}>
                {d.region}
              </Link>{' '}
              (keeps {retainText(d.retain)})
            </span>
          ))}
        </dd>
        <dt>Objective</dt>
        <dd>
          recovery point at most {p.rpoMinutes} min old
          {p.minIntervalMinutes > 0 && <>; a copy at most every {p.minIntervalMinutes} min</>}
        </dd>
      </dl>
      {status.error && (
        <p className="error" role="alert">
          {status.error.message}
        </p>
      )}
      {status.data && <RecoveryPointTable status={status.data} policyName={p.name} />}
      {p.failures.length > 0 && <Refusals policy={p} />}
    </article>
  );
}

/** Calls `reload` each time the page's list answer changes (not for the first one). */
function useReloadWith(generation: unknown, reload: () => void) {
  const seen = useRef(generation);
  useEffect(() => {
    if (seen.current === generation) return;
    seen.current = generation;
    reload();
  }, [generation, reload]);
}

function Refusals({ policy }: { policy: Policy }) {
  return (
    <details className="refusals">
      <summary>
        {policy.failures.length} {policy.failures.length === 1 ? 'copy' : 'copies'} refused lately
      </summary>
      <ul>
        {policy.failures.map((f) => (
          <li key={`${f.snapshotId}:${f.destinationRegion}:${f.refusedAt}`}>
            {formatTime(f.refusedAt)} <span className="mono">{f.snapshotId}</span> to{' '}
            {f.destinationRegion}: {codeInWords(f.code)}{' '}
            <span className="mono muted">{f.code}</span> — {f.message}
          </li>
        ))}
      </ul>
    </details>
  );
}
