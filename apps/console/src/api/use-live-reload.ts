import { useCallback, useEffect, useRef } from 'react';

/**
 * For pages that re-read on live events: `poke()` reloads soon (at most every `soonMs`) and
 * once more when the events stop, because a read model may trail the event by a moment.
 */
export function useLiveReload(reload: () => void, soonMs = 250, settleMs = 1500): () => void {
  const soon = useRef<ReturnType<typeof setTimeout>>(undefined);
  const settle = useRef<ReturnType<typeof setTimeout>>(undefined);
  const latest = useRef(reload);
  useEffect(() => {
    latest.current = reload;
  });
  useEffect(
    () => () => {
      clearTimeout(soon.current);
      clearTimeout(settle.current);
    },
    [],
  );
  return useCallback(() => {
    soon.current ??= setTimeout(() => {
      soon.current = undefined;
      latest.current();
    }, soonMs);
    clearTimeout(settle.current);
    settle.current = setTimeout(() => latest.current(), settleMs);
  }, [soonMs, settleMs]);
}
