import { catalogEventTypes } from '@snapferry/domain';
import { useId, useMemo } from 'react';
import { Link, useSearchParams } from 'wouter';
import { useLiveStatus, useRecentEvents } from '../api/context';
import { formatTime } from '../format';
import { matchesFilter, replicationIdOf, summarize } from './event-summary';

const shown = 300;

/**
 * The event log, newest first, following live (operators see every account, users their
 * own). It shows what this tab has followed — the most recent 2,000 events — filtered in the
 * browser by type and by snapshot (a snapshot's own events and both ends of its copies).
 */
export function EventLogPage() {
  const events = useRecentEvents();
  const status = useLiveStatus();
  const [params, setParams] = useSearchParams();
  const type = params.get('type') ?? '';
  const snapshotId = params.get('snapshotId') ?? '';
  const ids = { type: useId(), snapshot: useId() };

  const matching = useMemo(
    () => events.filter((e) => matchesFilter(e, { type, snapshotId })).reverse(),
    [events, type, snapshotId],
  );

  const set = (key: string, value: string) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value) next.set(key, value);
        else next.delete(key);
        return next;
      },
      { replace: true },
    );

  return (
    <section aria-labelledby="events-title">
      <div className="page-head">
        <h1 id="events-title">Event log</h1>
        <span className={`live live-${status}`} role="status">
          {status === 'live' ? 'Following live' : status === 'stopped' ? 'Stopped' : 'Connecting…'}
        </span>
      </div>
      <form className="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor={ids.type}>Type</label>
          <select id={ids.type} value={type} onChange={(e) => set('type', e.target.value)}>
            <option value="">All types</option>
            {catalogEventTypes.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.snapshot}>Snapshot</label>
          <input
            id={ids.snapshot}
            type="search"
            placeholder="snap-xxxxxxxx"
            value={snapshotId}
            onChange={(e) => set('snapshotId', e.target.value.trim())}
          />
        </div>
        <p className="muted" aria-live="polite" id="event-count">
          {matching.length} {matching.length === 1 ? 'event' : 'events'}
          {matching.length > shown && ` (newest ${shown} shown)`}
        </p>
      </form>
      <table className="events" aria-describedby="event-count">
        <thead>
          <tr>
            <th scope="col">Position</th>
            <th scope="col">Recorded</th>
            <th scope="col">Type</th>
            <th scope="col">Stream</th>
            <th scope="col">What happened</th>
          </tr>
        </thead>
        <tbody>
          {matching.length === 0 && (
            <tr>
              <td colSpan={5} className="empty">
                No events{type || snapshotId ? ' match these filters' : ' yet'}.
              </td>
            </tr>
          )}
          {matching.slice(0, shown).map((e) => {
            const replicationId = replicationIdOf(e);
            return (
              <tr key={e.eventId} data-type={e.type}>
                <td className="mono">{e.globalPosition}</td>
                <td className="nowrap">{formatTime(e.recordedAt)}</td>
                <td>{e.type}</td>
                <td className="mono">
                  {replicationId ? (
                    <Link href={`/replications/${replicationId}`}>{e.streamId}</Link>
                  ) : (
                    e.streamId
                  )}
                </td>
                <td>{summarize(e)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
