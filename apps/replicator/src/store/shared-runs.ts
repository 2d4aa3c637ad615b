interface Run<T> {
  result: Promise<T>;
  /** Settles with the run, never rejects: for waiting on one being stopped. */
  settled: Promise<void>;
  stop: AbortController;
  callers: number;
}

/**
 * At most one run per key at a time (a region's GC, its scrub): a call while one runs joins
 * it and gets its result, whatever options it came with. The run is stopped (its signal
 * aborts) once every caller has gone; a call that arrives while a stopped run winds down
 * waits for it, then starts a new one.
 */
export class SharedRuns<T> {
  private readonly runs = new Map<string, Run<T>>();

  /** True while a run of `key` is under way. */
  running(key: string): boolean {
    return this.runs.has(key);
  }

  /**
   * The result of the run of `key`, started with `start` if none is under way. `caller`
   * aborts when this caller goes away; the run goes on while another caller waits for it.
   */
  async join(
    key: string,
    caller: AbortSignal,
    start: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    let run = this.runs.get(key);
    while (run?.stop.signal.aborted) {
      await run.settled;
      run = this.runs.get(key);
    }
    caller.throwIfAborted();
    const joined = run ?? this.begin(key, start);
    joined.callers++;
    let leave = () => undefined as void;
    const gone = new Promise<never>((_, reject) => {
      leave = () => {
        if (--joined.callers === 0) joined.stop.abort(new Error('every caller went away'));
        reject(caller.reason as Error);
      };
      caller.addEventListener('abort', leave, { once: true });
    });
    try {
      // A caller that goes away is answered at once; the run goes on for the others.
      return await Promise.race([joined.result, gone]);
    } finally {
      if (!caller.aborted) {
        caller.removeEventListener('abort', leave);
        joined.callers--;
      }
    }
  }

  private begin(key: string, start: (signal: AbortSignal) => Promise<T>): Run<T> {
    const stop = new AbortController();
    const result = Promise.resolve().then(() => start(stop.signal));
    const run: Run<T> = {
      result,
      settled: result.then(
        () => undefined,
        () => undefined,
      ),
      stop,
      callers: 0,
    };
    void run.settled.then(() => {
      if (this.runs.get(key) === run) this.runs.delete(key);
    });
    this.runs.set(key, run);
    return run;
  }
}
