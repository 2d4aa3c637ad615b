import { Link } from 'wouter';
import type { Snapshot } from '../api/types';
import { diskUsageLabels, formatBytes, formatTime, stateWithPercent } from '../format';
import { CopyStatus } from './copy-status';
import { Tags } from './tags';

/** Why the replication button of a row is off, or null when a copy can be asked for. */
export function copyBlocked(s: Snapshot): string | null {
  if (s.diskUsage === 'SYSTEM_DISK')
    return 'System disk snapshots cannot be copied to other regions';
  if (s.state !== 'NORMAL') return `Only NORMAL snapshots can be copied; this one is ${s.state}`;
  return null;
}

/** The list's columns, for its header (the last one holds the row's actions). */
export const columns = ['ID', 'Name', 'State', 'Disk', 'Usage', 'Size', 'Created', 'Tags'];

/**
 * One snapshot of the list: where a copy comes from (with its timeline), its state with a
 * copy's progress bar and the source's copy status, and the replication and delete buttons.
 */
export function SnapshotRow({
  snapshot: s,
  onCopy,
  onDelete,
}: {
  snapshot: Snapshot;
  onCopy: () => void;
  onDelete: () => void;
}) {
  const blocked = copyBlocked(s);
  return (
    <tr data-snapshot-id={s.snapshotId} data-state={s.state}>
      <td className="mono">{s.snapshotId}</td>
      <td>
        <span className="name">{s.name}</span>
        {s.copyFromRemote && s.sourceSnapshotId && (
          <span className="sub">
            from {s.sourceRegion} · {s.sourceSnapshotId}
            {s.replicationId && (
              <>
                {' · '}
                <Link href={`/replications/${s.replicationId}`}>timeline</Link>
              </>
            )}
          </span>
        )}
      </td>
      <td className="state-cell">
        <span className={`state state-${s.state.toLowerCase()}`}>
          {stateWithPercent(s.state, s.percent)}
        </span>
        {s.state === 'COPYING_FROM_REMOTE' && (
          <progress
            max={100}
            value={Math.floor(s.percent)}
            aria-label={`${s.snapshotId} copy progress`}
          />
        )}
        <CopyStatus snapshot={s} />
        {s.state === 'FAILED' && s.failureReason && (
          <span className="sub error-text">{s.failureReason}</span>
        )}
      </td>
      <td className="mono">{s.diskId}</td>
      <td>{diskUsageLabels[s.diskUsage] ?? s.diskUsage}</td>
      <td>
        {s.diskSizeGiB} GiB
        {s.sizeBytes !== null && <span className="sub">{formatBytes(s.sizeBytes)} data</span>}
      </td>
      <td className="nowrap">{formatTime(s.createdAt)}</td>
      <td>
        <Tags tags={s.tags} />
      </td>
      <td className="row-actions">
        <button
          type="button"
          disabled={blocked !== null}
          title={blocked ?? undefined}
          aria-label={`Cross-region replication of ${s.snapshotId}`}
          onClick={onCopy}
        >
          Cross-region replication
        </button>
        <button
          type="button"
          className="danger-outline"
          aria-label={`Delete ${s.snapshotId}`}
          onClick={onDelete}
        >
          Delete
        </button>
      </td>
    </tr>
  );
}
