import { Link } from 'wouter';
import type { PolicyStatus } from '../api/types';
import { formatTime } from '../format';
import { formatAge, recoveryPointLabels, recoveryPointNow } from './recovery-points';
import { useNow } from './use-now';

/**
 * Per selected disk and destination: the newest NORMAL copy, the time it recovers to, its age
 * and its state. Ages tick every second from the catalog's answer, and the state turns with
 * them, so an objective crossed between two reads shows at once.
 */
export function RecoveryPointTable({
  status,
  policyName,
}: {
  status: PolicyStatus;
  policyName: string;
}) {
  const now = useNow();
  const receivedAt = useReceivedAt(status);
  const points = status.recoveryPoints.map((p) => recoveryPointNow(p, status, now - receivedAt));
  if (points.length === 0) return <p className="empty">No snapshot selected by this policy yet.</p>;
  return (
    <table className="recovery-points">
      <caption>
        Recovery points of {policyName} — objective {status.rpoMinutes} min
      </caption>
      <thead>
        <tr>
          <th scope="col">Disk</th>
          <th scope="col">Destination</th>
          <th scope="col">Newest copy</th>
          <th scope="col">Recovers to</th>
          <th scope="col">Age</th>
          <th scope="col">State</th>
        </tr>
      </thead>
      <tbody>
        {points.map((p) => (
          <tr
            key={`${p.diskId}:${p.region}`}
            data-disk-id={p.diskId}
            data-region={p.region}
            data-state={p.state}
          >
            <td className="mono">{p.diskId}</td>
            <td>
              <Link href={`/snapshots?region=${encodeURIComponent(p.region)}&diskId=${p.diskId}`}>
                {p.region}
              </Link>
            </td>
            <td className="mono">{p.snapshotId ?? '—'}</td>
            <td className="nowrap">{formatTime(p.recoversTo)}</td>
            <td className="nowrap">{formatAge(p.ageSeconds)}</td>
            <td>
              <span className={`state rpo-${p.state.toLowerCase()}`}>
                {recoveryPointLabels[p.state]}
              </span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const received = new WeakMap<PolicyStatus, number>();

/** When this answer reached the page (the first render that saw it). */
function useReceivedAt(status: PolicyStatus): number {
  let at = received.get(status);
  if (at === undefined) {
    at = Date.now();
    received.set(status, at);
  }
  return at;
}
