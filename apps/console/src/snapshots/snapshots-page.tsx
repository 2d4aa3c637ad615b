import { useId, useState } from 'react';
import { useApi } from '../api/context';
import type { RegionsAnswer, Snapshot, SnapshotList } from '../api/types';
import { useResource } from '../api/use-resource';
import { CopyDialog } from '../copies/copy-dialog';
import { DeleteDialog } from './delete-dialog';
import { useListQuery } from './use-list-query';
import { Pager } from './pager';
import { SnapshotFilters } from './snapshot-filters';
import { columns, SnapshotRow } from './snapshot-row';
import { useLiveRows } from './use-live-rows';

/**
 * A region's snapshot list (sources and arriving copies), newest first: filters and paging in
 * the URL, the replication dialog and delete per row, the source's copy status on hover. It
 * follows the event stream: a copy's percent moves as its events arrive, and the list is read
 * again whenever an event touches this region.
 */
export function SnapshotsPage() {
  const api = useApi();
  const regions = useResource('regions', (signal) =>
    api.get<RegionsAnswer>('/v1/regions', undefined, signal),
  );
  const { query, diskParam, update } = useListQuery(regions.data?.regions[0]?.id ?? '');
  const { region, state, diskId, offset, limit } = query;
  const list = useResource(JSON.stringify(query), (signal) =>
    region
      ? api.get<SnapshotList>('/v1/snapshots', { ...query }, signal)
      : Promise.resolve<SnapshotList>({ region, total: 0, offset, limit, snapshots: [] }),
  );
  const reload = list.reload;
  const rows = useLiveRows(region, list.data, reload);

  const [copying, setCopying] = useState<Snapshot | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Snapshot | null>(null);
  /** The row as it is now (live), else as it was when its dialog opened. */
  const current = (s: Snapshot) => rows.find((r) => r.snapshotId === s.snapshotId) ?? s;

  const regionField = useId();
  const total = list.data?.total ?? 0;
  const regionName = regions.data?.regions.find((r) => r.id === region)?.name;

  return (
    <section aria-labelledby="snapshots-title">
      <div className="page-head">
        <h1 id="snapshots-title">Snapshots</h1>
        <div className="field inline">
          <label htmlFor={regionField}>Region</label>
          <select
            id={regionField}
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

      <SnapshotFilters state={state} diskParam={diskParam} update={update} />

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
            {columns.map((name) => (
              <th key={name} scope="col">
                {name}
              </th>
            ))}
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.data && rows.length === 0 && (
            <tr>
              <td colSpan={columns.length + 1} className="empty">
                No snapshots{state || diskId ? ' match these filters' : ' in this region'}.
              </td>
            </tr>
          )}
          {rows.map((s) => (
            <SnapshotRow
              key={s.snapshotId}
              snapshot={s}
              onCopy={() => setCopying(s)}
              onDelete={() => setDeleting(s)}
            />
          ))}
        </tbody>
      </table>

      <Pager total={total} offset={offset} limit={limit} update={update} />

      {copying && (
        <CopyDialog
          snapshot={current(copying)}
          onClose={() => {
            setCopying(null);
            reload();
          }}
        />
      )}
      {deleting && (
        <DeleteDialog
          snapshot={current(deleting)}
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
