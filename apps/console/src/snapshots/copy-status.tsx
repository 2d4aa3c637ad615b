import { useId, useState } from 'react';
import type { Snapshot } from '../api/types';
import { stateLabels } from '../format';

/**
 * The source row's info icon: hovering it (or focusing it with the keyboard) shows every
 * region the snapshot is being copied to, with that copy's state and percent, live.
 * Escape hides it; the tip stays while the pointer is over it.
 */
export function CopyStatus({ snapshot }: { snapshot: Snapshot }) {
  const [open, setOpen] = useState(false);
  const tipId = useId();
  const copies = snapshot.copyingToRegions;
  if (copies.length === 0) return null;
  return (
    <span
      className="copy-status"
      onMouseEnter={() => setOpen(true)}
      onMouseLeave={() => setOpen(false)}
    >
      <button
        type="button"
        className="info-icon"
        aria-label={`Copy status of ${snapshot.snapshotId}: copying to ${copies.length} ${copies.length === 1 ? 'region' : 'regions'}`}
        aria-describedby={tipId}
        onFocus={() => setOpen(true)}
        onBlur={() => setOpen(false)}
        onKeyDown={(event) => {
          if (event.key === 'Escape' && open) {
            event.stopPropagation();
            setOpen(false);
          }
        }}
      >
        i
      </button>
      <span className="tooltip" role="tooltip" id={tipId} hidden={!open}>
        <span className="tooltip-title">
          Copying to {copies.length} {copies.length === 1 ? 'region' : 'regions'}
        </span>
        {copies.map((copy) => (
          <span className="tooltip-row" key={copy.replicationId} data-region={copy.region}>
            <span className="region-id">{copy.region}</span>
            <span>{stateLabels[copy.state]}</span>
            <span className="percent">{Math.floor(copy.percent)}%</span>
            <span className="muted">{copy.snapshotId}</span>
          </span>
        ))}
      </span>
    </span>
  );
}
