import { useMemo, useState } from 'react';
import { Link, useParams } from 'wouter';
import { useApi, useLiveEvents } from '../api/context';
import type { EventPage, LoggedEvent, Replication } from '../api/types';
import { useLiveReload } from '../api/use-live-reload';
import { useResource } from '../api/use-resource';
import { formatBytes, formatTime } from '../format';
import { timelineOf } from './timeline';

const terminal = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/** One replication: where from and to, its figures, and its timeline, following live. */
export function ReplicationPage() {
  const api = useApi();
  const { id = '' } = useParams<{ id: string }>();
  const streamId = `replication-${id}`;
  const job = useResource(`replication:${id}`, (signal) =>
    api.get<Replication>(`/v1/replications/${encodeURIComponent(id)}`, undefined, signal),
  );
  const history = useResource(`history:${id}`, (signal) =>
    api.get<EventPage>('/v1/events', { streamId, limit: 1000 }, signal),
  );
  const [live, setLive] = useState<LoggedEvent[]>([]);
  const poke = useLiveReload(job.reload);
  useLiveEvents((events) => {
    const mine = events.filter((e) => e.streamId === streamId);
    if (mine.length === 0) return;
    setLive((current) => [...current, ...mine]);
    poke();
  });
  const timeline = useMemo(
    () => timelineOf([...(history.data?.events ?? []), ...live]),
    [history.data, live],
  );
  const r = job.data;

  return (
    <section aria-labelledby="replication-title">
      <p>
        <Link href="/snapshots">← Snapshots</Link>
      </p>
      <h1 id="replication-title">
        Replication <span className="mono">{id}</span>
      </h1>
      {job.error && (
        <p className="error" role="alert">
          {job.error.message}
        </p>
      )}
      {r && (
        <dl className="facts">
          <dt>From</dt>
          <dd>
            <Link href={`/snapshots?region=${encodeURIComponent(r.sourceRegion)}`}>
              {r.sourceRegion}
            </Link>{' '}
            <span className="mono">{r.sourceSnapshotId}</span>
          </dd>
          <dt>To</dt>
          <dd>
            <Link href={`/snapshots?region=${encodeURIComponent(r.targetRegion)}`}>
              {r.targetRegion}
            </Link>{' '}
            <span className="mono">{r.targetSnapshotId}</span>
          </dd>
          <dt>State</dt>
          <dd>
            <span className={`state job-${r.state.toLowerCase()}`} data-testid="replication-state">
              {r.state}
            </span>{' '}
            {!terminal.has(r.state) && (
              <>
                <progress max={100} value={r.percent} aria-label="Replication progress" />{' '}
                {r.percent}%
              </>
            )}
          </dd>
          <dt>Data</dt>
          <dd>
            {formatBytes(r.bytesCopied)} of {formatBytes(r.bytesTotal)} in the target;{' '}
            {formatBytes(r.bytesTransferred)} transferred
          </dd>
          <dt>Chunks</dt>
          <dd>
            {r.chunksCopied} copied, {r.chunksSkipped} already there
          </dd>
          <dt>Attempts</dt>
          <dd>{r.attempts}</dd>
          {r.error && (
            <>
              <dt>Error</dt>
              <dd className="error-text">{r.error}</dd>
            </>
          )}
        </dl>
      )}
      <h2>Timeline</h2>
      {history.error && (
        <p className="error" role="alert">
          {history.error.message}
        </p>
      )}
      <ol className="timeline">
        {timeline.map((entry) =>
          entry.kind === 'event' ? (
            <li key={entry.key} data-type={entry.type}>
              <span className="when">{formatTime(entry.at)}</span>
              <span className="what">{entry.type.replace(/^Replication/, '')}</span>
              <span>{entry.text}</span>
            </li>
          ) : (
            <li key={entry.key} data-type="ReplicationProgressed">
              <span className="when">{formatTime(entry.from)}</span>
              <span className="what">Progress</span>
              <span>
                {entry.fromPercent}% → {entry.toPercent}% ({entry.updates}{' '}
                {entry.updates === 1 ? 'update' : 'updates'}, until {formatTime(entry.to)})
              </span>
            </li>
          ),
        )}
      </ol>
    </section>
  );
}
