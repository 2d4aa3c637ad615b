import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiFailure, isAbort } from './client';

export interface Resource<T> {
  data: T | undefined;
  error: ApiFailure | undefined;
  loading: boolean;
  /** Reads again (quietly: the data on screen stays until the new answer arrives). */
  reload: () => void;
}

/**
 * One GET that follows its inputs: `load` runs again when `key` changes, an answer that
 * arrives after a newer request started is dropped, and leaving the page aborts it.
 */
export function useResource<T>(
  key: string,
  load: (signal: AbortSignal) => Promise<T>,
): Resource<T> {
  // The data is shown only for the key it was read for: another region's rows never linger.
  const [state, setState] = useState<{
    key?: string;
    generation?: number;
    data?: T;
    error?: ApiFailure;
  }>({});
  const [generation, setGeneration] = useState(0);
  const loader = useRef(load);
  useEffect(() => {
    loader.current = load;
  });
  useEffect(() => {
    const controller = new AbortController();
    loader
      .current(controller.signal)
      .then((data) => {
        if (!controller.signal.aborted) setState({ key, generation, data });
      })
      .catch((error: unknown) => {
        if (controller.signal.aborted || isAbort(error)) return;
        const failure =
          error instanceof ApiFailure
            ? error
            : new ApiFailure(
                0,
                'InternalError',
                error instanceof Error ? error.message : String(error),
              );
        setState((s) => ({
          key,
          generation,
          error: failure,
          data: s.key === key ? s.data : undefined,
        }));
      });
    return () => controller.abort();
  }, [key, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const current = state.key === key;
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : undefined,
    loading: !current || state.generation !== generation,
    reload,
  };
}
