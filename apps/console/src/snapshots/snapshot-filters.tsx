import { diskIdPattern } from '@snapferry/domain';
import { useId, useState, type FormEvent } from 'react';
import type { SnapshotState } from '../api/types';
import { stateLabels } from '../format';
import { states } from './list-query';

/**
 * The list's filters: a state (applied when chosen) and a disk id (applied on Filter, checked
 * as typed), and Clear filters when one is set.
 */
export function SnapshotFilters({
  state,
  diskParam,
  update,
}: {
  state: SnapshotState | '';
  /** The disk filter as the URL has it (shown until something else is typed). */
  diskParam: string;
  update: (changes: Record<string, string | null>) => void;
}) {
  const ids = { state: useId(), disk: useId(), diskError: useId() };
  // What is typed in the disk field, until the filter in the URL changes.
  const [draft, setDraft] = useState({ param: diskParam, value: diskParam });
  const diskDraft = draft.param === diskParam ? draft.value : diskParam;
  const setDiskDraft = (value: string) => setDraft({ param: diskParam, value });
  const diskDraftInvalid = diskDraft !== '' && !diskIdPattern.test(diskDraft.trim());
  const applyDisk = (event: FormEvent) => {
    event.preventDefault();
    if (!diskDraftInvalid) update({ diskId: diskDraft.trim() || null });
  };

  return (
    <form className="filters" onSubmit={applyDisk} aria-label="Filters" noValidate>
      <div className="field">
        <label htmlFor={ids.state}>State</label>
        <select id={ids.state} value={state} onChange={(e) => update({ state: e.target.value })}>
          <option value="">All states</option>
          {states.map((s) => (
            <option key={s} value={s}>
              {stateLabels[s]}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.disk}>Disk</label>
        <input
          id={ids.disk}
          type="search"
          placeholder="disk-xxxxxxxx"
          value={diskDraft}
          onChange={(e) => setDiskDraft(e.target.value)}
          aria-invalid={diskDraftInvalid || undefined}
          aria-describedby={diskDraftInvalid ? ids.diskError : undefined}
        />
      </div>
      <button type="submit">Filter</button>
      {(state || diskParam) && (
        <button
          type="button"
          onClick={() => {
            setDiskDraft('');
            update({ state: null, diskId: null });
          }}
        >
          Clear filters
        </button>
      )}
      {diskDraftInvalid && (
        <p id={ids.diskError} className="error">
          A disk id looks like disk- and 8 lower-case letters or digits.
        </p>
      )}
    </form>
  );
}
