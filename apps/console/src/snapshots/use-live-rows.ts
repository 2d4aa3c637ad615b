import { useState } from 'react';
import { useLiveEvents } from '../api/context';
import type { Snapshot, SnapshotList } from '../api/types';
import { useLiveReload } from '../api/use-live-reload';
import { applyProgress, touchesList } from './live-rows';

/**
 * The rows of a region's list, live: the last answer, moved forward by copy progress as its
 * events arrive, until the next answer replaces it; any event touching the region reads the
 * list again (`reload`, coalesced).
 */
export function useLiveRows(
  region: string,
  answer: SnapshotList | undefined,
  reload: () => void,
): Snapshot[] {
  const [live, setLive] = useState<{ base?: SnapshotList; rows: Snapshot[] }>({ rows: [] });
  const rows = live.base && live.base === answer ? live.rows : (answer?.snapshots ?? []);
  const poke = useLiveReload(reload);
  useLiveEvents((events) => {
    const relevant = events.filter((e) => touchesList(e, region, rows));
    if (relevant.length === 0) return;
    setLive((current) => ({
      base: answer,
      rows: applyProgress(
        current.base === answer ? current.rows : (answer?.snapshots ?? []),
        relevant,
      ),
    }));
    poke();
  });
  return rows;
}
