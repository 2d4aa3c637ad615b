import { diskIdPattern } from '@snapferry/domain';
import type { SnapshotState } from '../api/types';
import { stateLabels } from '../format';

export const states = Object.keys(stateLabels) as SnapshotState[];
export const pageSizes = [10, 20, 50, 100];

/** What the snapshot list shows, as the URL says it (a bad value falls back to its default). */
export interface ListQuery {
  region: string;
  state: SnapshotState | '';
  diskId: string;
  offset: number;
  limit: number;
}

const intParam = (value: string | null, fallback: number, min: number, max: number) => {
  const n = Number(value);
  return value !== null && Number.isInteger(n) && n >= min && n <= max ? n : fallback;
};

/** The list's query from the URL's parameters; `defaultRegion` until one is chosen. */
export function parseListQuery(params: URLSearchParams, defaultRegion: string): ListQuery {
  const stateParam = params.get('state');
  const diskParam = params.get('diskId') ?? '';
  return {
    region: params.get('region') ?? defaultRegion,
    state: states.includes(stateParam as SnapshotState) ? (stateParam as SnapshotState) : '',
    diskId: diskIdPattern.test(diskParam) ? diskParam : '',
    limit: intParam(params.get('limit'), 20, 1, 100),
    offset: intParam(params.get('offset'), 0, 0, 1_000_000_000),
  };
}

/**
 * The URL after `changes` (null or empty removes a parameter): the region shown is kept in it,
 * and any change but paging goes back to the first page.
 */
export function changedParams(
  current: URLSearchParams,
  region: string,
  changes: Record<string, string | number | null>,
): URLSearchParams {
  const next = new URLSearchParams(current);
  if (!next.get('region') && region) next.set('region', region);
  for (const [key, value] of Object.entries(changes))
    if (value === null || value === '') next.delete(key);
    else next.set(key, String(value));
  if (!('offset' in changes)) next.delete('offset');
  return next;
}
