import { copyTags, defaultCopyName, maxSnapshotNameLength, nameLength } from '@snapferry/domain';
import { useId, useMemo, useState, type FormEvent } from 'react';
import { ApiFailure } from '../api/client';
import { useApi } from '../api/context';
import type { CopiesAnswer, RegionsAnswer, Snapshot } from '../api/types';
import { useResource } from '../api/use-resource';
import { codeInWords } from '../format';
import { Modal } from '../layout/modal';
import { deadlineChoice } from './deadline';
import { allowedSelection, regionChoices } from './region-choices';
import { CopyResults } from './copy-results';
import { RegionPicker } from './region-picker';

/**
 * Cross-region replication of one snapshot, as the cloud console does it: an optional name
 * (the default shown as the placeholder, 60 characters counted as people count them), the
 * tags the copies will carry (the source's own and where they come from), the target regions with quota use and the rules' refusals, OK, then one result per destination.
 */
export function CopyDialog({ snapshot, onClose }: { snapshot: Snapshot; onClose: () => void }) {
  const api = useApi();
  const ids = {
    title: useId(),
    name: useId(),
    counter: useId(),
    deadline: useId(),
    deadlineHint: useId(),
  };
  // Fresh quota use each time the dialog opens.
  const regions = useResource('regions', (signal) =>
    api.get<RegionsAnswer>('/v1/regions', undefined, signal),
  );
  const [name, setName] = useState('');
  const [deadlineInput, setDeadlineInput] = useState('');
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [sending, setSending] = useState(false);
  const [answer, setAnswer] = useState<CopiesAnswer | null>(null);
  const [failure, setFailure] = useState<ApiFailure | null>(null);
  // One token per dialog: a double click or a retry after a lost answer starts nothing twice.
  const [clientToken] = useState(newClientToken);

  const choices = useMemo(
    () => (regions.data ? regionChoices(regions.data, snapshot) : []),
    [regions.data, snapshot],
  );
  const destinations = allowedSelection(choices, selected);
  const length = nameLength(name);
  const nameTooLong = length > maxSnapshotNameLength;
  const placeholder = defaultCopyName(snapshot.snapshotId, snapshot.region);
  const deadline = deadlineChoice(deadlineInput, new Date());

  const toggle = (id: string, on: boolean) =>
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (destinations.length === 0 || nameTooLong || deadline.problem || sending) return;
    setSending(true);
    setFailure(null);
    try {
      const trimmed = name.trim();
      setAnswer(
        await api.post<CopiesAnswer>(`/v1/snapshots/${snapshot.snapshotId}/copies`, {
          destinationRegions: destinations,
          ...(trimmed ? { snapshotName: trimmed } : {}),
          ...(deadline.deadline ? { deadline: deadline.deadline } : {}),
          clientToken,
        }),
      );
    } catch (error) {
      setFailure(
        error instanceof ApiFailure ? error : new ApiFailure(0, 'InternalError', String(error)),
      );
    } finally {
      setSending(false);
    }
  };

  return (
    <Modal titleId={ids.title} onClose={onClose} className="copy-dialog">
      <h2 id={ids.title}>Cross-region replication</h2>
      <p className="muted">
        Source: <strong>{snapshot.snapshotId}</strong> “{snapshot.name}” in {snapshot.region}
      </p>
      <p className="muted copy-tags">
        Tags the copies carry:{' '}
        {copyTags(snapshot.tags ?? [], {
          sourceSnapshotId: snapshot.snapshotId,
          sourceRegion: snapshot.region,
        }).map((t) => (
          <span key={t.key} className="tag">
            {t.key}={t.value}
          </span>
        ))}
      </p>
      {answer ? (
        <CopyResults answer={answer} onClose={onClose} />
      ) : (
        <form onSubmit={(e) => void submit(e)} noValidate>
          <label htmlFor={ids.name}>New snapshot name (optional)</label>
          <input
            id={ids.name}
            type="text"
            value={name}
            placeholder={placeholder}
            onChange={(e) => setName(e.target.value)}
            aria-describedby={ids.counter}
            aria-invalid={nameTooLong || undefined}
            autoFocus
          />
          <p id={ids.counter} className={nameTooLong ? 'counter error' : 'counter'}>
            {length}/{maxSnapshotNameLength}
            {nameTooLong && ` — at most ${maxSnapshotNameLength} characters`}
            {length === 0 && ' — empty: the default name is used'}
          </p>

          <label htmlFor={ids.deadline}>Deadline (optional)</label>
          <input
            id={ids.deadline}
            type="datetime-local"
            value={deadlineInput}
            onChange={(e) => setDeadlineInput(e.target.value)}
            aria-describedby={ids.deadlineHint}
            aria-invalid={deadline.problem ? true : undefined}
          />
          <p
            id={ids.deadlineHint}
            className={deadline.problem ? 'counter hint-left error' : 'counter hint-left'}
          >
            {deadline.problem ??
              'When the copies should be NORMAL by, in your local time. A region starts the earliest deadline first; a copy still running then is reported and goes on.'}
          </p>

          <RegionPicker
            regions={regions}
            choices={choices}
            selected={selected}
            disabled={sending}
            onToggle={toggle}
          />

          {failure && (
            <div className="error" role="alert">
              <strong>No copy started — {codeInWords(failure.code)}.</strong> {failure.message}
              <span className="code"> ({failure.code})</span>
            </div>
          )}
          <div className="actions">
            <span className="muted" aria-live="polite">
              {destinations.length === 0
                ? 'No region chosen'
                : `${destinations.length} ${destinations.length === 1 ? 'region' : 'regions'} chosen`}
            </span>
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button
              type="submit"
              className="primary"
              disabled={
                destinations.length === 0 || nameTooLong || Boolean(deadline.problem) || sending
              }
            >
              {sending ? 'Starting…' : 'OK'}
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}

/** getRandomValues, not randomUUID: the latter needs a secure context, and plain HTTP is allowed. */
function newClientToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `console-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}
