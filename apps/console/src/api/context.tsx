import {
  createContext,
  useContext,
  useEffect,
  useRef,
  useSyncExternalStore,
  type ReactNode,
} from 'react';
import type { Api } from './client';
import type { LiveEvents, LiveStatus } from './live-events';
import type { LoggedEvent } from './types';

const ApiContext = createContext<Api | null>(null);
const LiveContext = createContext<LiveEvents | null>(null);

export function ApiProvider({
  api,
  live,
  children,
}: {
  api: Api;
  live: LiveEvents;
  children: ReactNode;
}) {
  return (
    <ApiContext.Provider value={api}>
      <LiveContext.Provider value={live}>{children}</LiveContext.Provider>
    </ApiContext.Provider>
  );
}

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside a signed-in console');
  return api;
}

function useLive(): LiveEvents {
  const live = useContext(LiveContext);
  if (!live) throw new Error('live events outside a signed-in console');
  return live;
}

/** Calls `listener` with each batch of new events (the latest listener, without resubscribing). */
export function useLiveEvents(listener: (events: readonly LoggedEvent[]) => void): void {
  const live = useLive();
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => live.subscribe((events) => latest.current(events)), [live]);
}

/** The most recent events the tab has followed, oldest first. */
export function useRecentEvents(): readonly LoggedEvent[] {
  const live = useLive();
  return useSyncExternalStore(
    (onChange) => live.subscribe(onChange),
    () => live.events,
  );
}

export function useLiveStatus(): LiveStatus {
  const live = useLive();
  return useSyncExternalStore(
    (onChange) => live.onStatus(onChange),
    () => live.status,
  );
}
