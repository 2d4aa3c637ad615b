import { useId, useState } from 'react';
import { ApiFailure } from '../api/client';
import { useApi } from '../api/context';
import type { Snapshot } from '../api/types';
import { codeInWords } from '../format';
import { Modal } from '../layout/modal';

const isArriving = (s: Snapshot) =>
  s.copyFromRemote && (s.state === 'COPYING_FROM_REMOTE' || s.state === 'CHECKING_COPIED');

/**
 * Asks before deleting. An arriving copy says that deleting it cancels the copy; a source
 * with copies in flight is refused by the catalog, and the reason is shown here.
 */
export function DeleteDialog({
  snapshot,
  onClose,
}: {
  snapshot: Snapshot;
  onClose: (deleted: boolean) => void;
}) {
  const api = useApi();
  const titleId = useId();
  const bodyId = useId();
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<ApiFailure | null>(null);
  const arriving = isArriving(snapshot);

  const confirm = async () => {
    setBusy(true);
    try {
      await api.delete(`/v1/snapshots/${snapshot.snapshotId}`);
      onClose(true);
    } catch (error) {
      setBusy(false);
      setRefusal(
        error instanceof ApiFailure ? error : new ApiFailure(0, 'InternalError', String(error)),
      );
    }
  };

  return (
    <Modal titleId={titleId} describedBy={bodyId} onClose={() => onClose(false)} className="narrow">
      <h2 id={titleId}>
        {arriving ? 'Cancel the copy and delete' : 'Delete'} {snapshot.snapshotId}?
      </h2>
      <div id={bodyId}>
        {arriving ? (
          <p>
            {snapshot.snapshotId} is still arriving from {snapshot.sourceRegion} (
            {snapshot.state === 'COPYING_FROM_REMOTE'
              ? `${Math.floor(snapshot.percent)}%`
              : 'checking'}
            ). Deleting it cancels the copy; the source {snapshot.sourceSnapshotId} stays.
          </p>
        ) : (
          <p>
            “{snapshot.name}” in {snapshot.region} will be deleted. This cannot be undone.
          </p>
        )}
      </div>
      {refusal && (
        <div className="error" role="alert">
          <strong>Not deleted — {codeInWords(refusal.code)}.</strong> {refusal.message}
          <span className="code"> ({refusal.code})</span>
        </div>
      )}
      <div className="actions">
        <button type="button" onClick={() => onClose(false)} autoFocus>
          {refusal ? 'Close' : 'Keep it'}
        </button>
        {!refusal && (
          <button type="button" className="danger" disabled={busy} onClick={() => void confirm()}>
            {busy ? 'Deleting…' : arriving ? 'Cancel copy and delete' : 'Delete'}
          </button>
        )}
      </div>
    </Modal>
  );
}
