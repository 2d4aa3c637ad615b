import { useSearchParams } from 'wouter';
import { changedParams, parseListQuery } from './list-query';

/** The list's query and a setter of URL parameters; also the raw disk parameter (for the field). */
export function useListQuery(defaultRegion: string) {
  const [params, setParams] = useSearchParams();
  const query = parseListQuery(params, defaultRegion);
  const update = (changes: Record<string, string | number | null>) =>
    setParams((current) => changedParams(current, query.region, changes));
  return { query, diskParam: params.get('diskId') ?? '', update };
}
