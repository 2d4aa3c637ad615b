import { diskIdPattern } from '@snapferry/domain';
import { useId, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'wouter';
import { useApi, useLiveEvents } from '../api/context';
import type { RegionsAnswer, Snapshot, SnapshotList, SnapshotState } from '../api/types';
import { useLiveReload } from '../api/use-live-reload';
import { useResource } from '../api/use-resource';
import { CopyDialog } from '../copies/copy-dialog';
import { diskUsageLabels, formatBytes, formatTime, stateLabels, stateWithPercent } from '../format';
import { CopyStatus } from './copy-status';
import { DeleteDialog } from './delete-dialog';
import { Tags } from './tags';
import { applyProgress, touchesList } from './live-rows';

const states = Object.keys(stateLabels) as SnapshotState[];
const pageSizes = [10, 20, 50, 100];

const intParam = (value: string | null, fallback: number, min: number, max: number) => {
  const n = Number(value);
  return value !== null && Number.isInteger(n) && n >= min && n <= max ? n : fallback;
};

/** Why the replication button of a row is off, or null when a copy can be asked for. */
function copyBlocked(s: Snapshot): string | null {
  if (s.diskUsage === 'SYSTEM_DISK')
    return 'System disk snapshots cannot be copied to other regions';
  if (s.state !== 'NORMAL') return `Only NORMAL snapshots can be copied; this one is ${s.state}`;
  return null;
}

/**
 * A region's snapshot list (sources and arriving copies), newest first: filters, paging, the
 * replication dialog and delete per row, the source's copy status on hover. It follows the
 * event stream: a copy's percent moves as its events arrive, and the list is read again
 * whenever an event touches this region.
 */
export function SnapshotsPage() {
  const api = useApi();
  const [params, setParams] = useSearchParams();
  const regions = useResource('regions', (signal) =>
    api.get<RegionsAnswer>('/v1/regions', undefined, signal),
  );
  const region = params.get('region') ?? regions.data?.regions[0]?.id ?? '';
  const stateParam = params.get('state');
  const state = states.includes(stateParam as SnapshotState) ? (stateParam as SnapshotState) : '';
  const diskParam = params.get('diskId') ?? '';
  const diskId = diskIdPattern.test(diskParam) ? diskParam : '';
  const limit = intParam(params.get('limit'), 20, 1, 100);
  const offset = intParam(params.get('offset'), 0, 0, 1_000_000_000);
  const query = { region, state, diskId, offset, limit };

  const list = useResource(JSON.stringify(query), (signal) =>
    region
      ? api.get<SnapshotList>('/v1/snapshots', query, signal)
      : Promise.resolve<SnapshotList>({ region, total: 0, offset, limit, snapshots: [] }),
  );
  // Rows are the last answer, moved forward by live progress until the next answer replaces them.
  const [live, setLive] = useState<{ base?: SnapshotList; rows: Snapshot[] }>({ rows: [] });
  const rows = live.base && live.base === list.data ? live.rows : (list.data?.snapshots ?? []);

  // Live: a copy's progress is applied at once; any change to this region is read again.
  const reload = list.reload;
  const poke = useLiveReload(reload);
  useLiveEvents((events) => {
    const relevant = events.filter((e) => touchesList(e, region, rows));
    if (relevant.length === 0) return;
    const base = list.data;
    setLive((current) => ({
      base,
      rows: applyProgress(current.base === base ? current.rows : (base?.snapshots ?? []), relevant),
    }));
    poke();
  });

  const [copying, setCopying] = useState<Snapshot | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Snapshot | null>(null);

  const update = (changes: Record<string, string | number | null>) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      if (!next.get('region') && region) next.set('region', region);
      for (const [key, value] of Object.entries(changes))
        if (value === null || value === '') next.delete(key);
        else next.set(key, String(value));
      if (!('offset' in changes)) next.delete('offset');
      return next;
    });

  const ids = { region: useId(), state: useId(), disk: useId(), diskError: useId(), size: useId() };
  // What is typed in the disk field, until the filter in the URL changes.
  const [draft, setDraft] = useState({ param: diskParam, value: diskParam });
  const diskDraft = draft.param === diskParam ? draft.value : diskParam;
  const setDiskDraft = (value: string) => setDraft({ param: diskParam, value });
  const diskDraftInvalid = diskDraft !== '' && !diskIdPattern.test(diskDraft.trim());
  const applyDisk = (event: FormEvent) => {
    event.preventDefault();
    if (!diskDraftInvalid) update({ diskId: diskDraft.trim() || null });
  };

  const total = list.data?.total ?? 0;
  const regionName = regions.data?.regions.find((r) => r.id === region)?.name;

  return (
    <section aria-labelledby="snapshots-title">
      <div className="page-head">
        <h1 id="snapshots-title">Snapshots</h1>
        <div className="field inline">
          <label htmlFor={ids.region}>Region</label>
          <select
            id={ids.region}
            value={region}
            onChange={(e) => {
              setNotice(null);
              update({ region: e.target.value, state: null, diskId: null });
            }}
          >
            {regions.data?.regions.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name} ({r.id})
              </option>
            ))}
          </select>
        </div>
      </div>

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

      {notice && (
        <div className="notice" role="status">
          {notice}{' '}
          <button type="button" className="link" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </div>
      )}
      {(list.error ?? regions.error) && (
        <p className="error" role="alert">
          {(list.error ?? regions.error)?.message}
        </p>
      )}

      <table className="snapshots" aria-describedby="snapshots-caption">
        <caption id="snapshots-caption">
          {regionName ? `${regionName} (${region})` : region} — {total}{' '}
          {total === 1 ? 'snapshot' : 'snapshots'}
          {!list.data && list.loading && <span className="muted"> · loading…</span>}
        </caption>
        <thead>
          <tr>
            <th scope="col">ID</th>
            <th scope="col">Name</th>
            <th scope="col">State</th>
            <th scope="col">Disk</th>
            <th scope="col">Usage</th>
            <th scope="col">Size</th>
            <th scope="col">Created</th>
            <th scope="col">Tags</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.data && rows.length === 0 && (
            <tr>
              <td colSpan={9} className="empty">
                No snapshots{state || diskId ? ' match these filters' : ' in this region'}.
              </td>
            </tr>
          )}
          {rows.map((s) => {
            const blocked = copyBlocked(s);
            return (
              <tr key={s.snapshotId} data-snapshot-id={s.snapshotId} data-state={s.state}>
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
                  {s.sizeBytes !== null && (
                    <span className="sub">{formatBytes(s.sizeBytes)} data</span>
                  )}
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
                    onClick={() => setCopying(s)}
                  >
                    Cross-region replication
                  </button>
                  <button
                    type="button"
                    className="danger-outline"
                    aria-label={`Delete ${s.snapshotId}`}
                    onClick={() => setDeleting(s)}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>

      <nav className="pager" aria-label="Pages">
        <span>
          {total === 0
            ? 'Nothing to show'
            : `${Math.min(offset + 1, total)}–${Math.min(offset + limit, total)} of ${total}`}
        </span>
        <button
          type="button"
          disabled={offset === 0}
          onClick={() => update({ offset: Math.max(0, offset - limit) || null })}
        >
          Previous
        </button>
        <button
          type="button"
          disabled={offset + limit >= total}
          onClick={() => update({ offset: offset + limit })}
        >
          Next
        </button>
        <label htmlFor={ids.size}>Per page</label>
        <select id={ids.size} value={limit} onChange={(e) => update({ limit: e.target.value })}>
          {pageSizes.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </nav>

      {copying && (
        <CopyDialog
          snapshot={rows.find((r) => r.snapshotId === copying.snapshotId) ?? copying}
          onClose={() => {
            setCopying(null);
            reload();
          }}
        />
      )}
      {deleting && (
        <DeleteDialog
          snapshot={rows.find((r) => r.snapshotId === deleting.snapshotId) ?? deleting}
          onClose={(deleted) => {
            if (deleted)
              setNotice(
                deleting.copyFromRemote && deleting.state !== 'NORMAL'
                  ? `${deleting.snapshotId} deleted; its copy was cancelled.`
                  : `${deleting.snapshotId} deleted.`,
              );
            setDeleting(null);
            reload();
          }}
        />
      )}
    </section>
  );
}
