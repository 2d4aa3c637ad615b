import { useId } from 'react';
import type { RegionsAnswer } from '../api/types';
import type { Resource } from '../api/use-resource';
import type { RegionChoice } from './region-choices';

/**
 * The target regions of a copy: each with this account's quota use, and the ones the rules
 * refuse (geography, finance zone, quota, the source's own region) shown off with why.
 */
export function RegionPicker({
  regions,
  choices,
  selected,
  disabled,
  onToggle,
}: {
  regions: Resource<RegionsAnswer>;
  choices: readonly RegionChoice[];
  selected: ReadonlySet<string>;
  disabled: boolean;
  onToggle: (regionId: string, on: boolean) => void;
}) {
  const ids = { regions: useId(), help: useId() };
  return (
    <fieldset className="regions" aria-describedby={ids.help}>
      <legend id={ids.regions}>Target regions</legend>
      <p id={ids.help} className="hint">
        Choose one or more. Quota use is this account&apos;s snapshots in the region (copies in
        flight included); regions the rules refuse say why.
      </p>
      {regions.error && (
        <p className="error" role="alert">
          Regions could not be read: {regions.error.message}
        </p>
      )}
      {!regions.data && !regions.error && <p className="muted">Loading regions…</p>}
      <ul className="region-list">
        {choices.map((choice) => {
          const inputId = `${ids.regions}-${choice.id}`;
          const reasonId = `${inputId}-reason`;
          return (
            <li key={choice.id} className={choice.refusal ? 'refused' : undefined}>
              <input
                id={inputId}
                type="checkbox"
                value={choice.id}
                checked={selected.has(choice.id) && !choice.refusal}
                disabled={Boolean(choice.refusal) || disabled}
                onChange={(e) => onToggle(choice.id, e.target.checked)}
                aria-describedby={choice.refusal ? reasonId : undefined}
              />
              <label htmlFor={inputId}>
                <span className="region-name">{choice.name}</span>{' '}
                <span className="region-id">{choice.id}</span>
                {choice.finance && <span className="tag">finance</span>}
              </label>
              <span
                className="quota"
                aria-label={`quota ${choice.snapshotsUsed} of ${choice.snapshotQuota} used`}
              >
                {choice.snapshotsUsed}/{choice.snapshotQuota}
              </span>
              {choice.refusal && (
                <span className="reason" id={reasonId}>
                  {choice.refusal.label}: {choice.refusal.message}
                </span>
              )}
            </li>
          );
        })}
      </ul>
    </fieldset>
  );
}
