import type CliProgress from 'cli-progress';

/** One bar: a value out of a total, with a free-text detail after the percentage. */
export interface Bar {
  update(value: number, detail?: string): void;
  setTotal(total: number): void;
}

export interface Bars {
  create(label: string, total: number, start?: number, detail?: string): Bar;
  stop(): void;
}

const silent: Bars = {
  create: () => ({ update: () => undefined, setTotal: () => undefined }),
  stop: () => undefined,
};

/**
 * Live bars on stderr (stdout stays clean for --json). Off when stderr is not a terminal
 * unless forced with --progress; then cli-progress prints a snapshot every second and the
 * final state when stopped.
 */
export function progressBars(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  force: boolean,
): Bars {
  if (!stream.isTTY && !force) return silent;
  // Loaded only when bars are shown: a script's run (no terminal) does not pay its start-up.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- progressBars() is synchronous
  const { MultiBar, Presets } = require('cli-progress') as typeof CliProgress;
  const multi = new MultiBar(
    {
      stream,
      format: '{label} [{bar}] {percentage}% {detail}',
      hideCursor: false, // Ctrl-C must leave the terminal as it was: no cursor to restore
      clearOnComplete: false,
      stopOnComplete: false,
      gracefulExit: false, // its SIGINT handler would swallow Ctrl-C
      noTTYOutput: force,
      notTTYSchedule: 1000,
    },
    Presets.shades_classic,
  );
  return {
    create(label, total, start = 0, detail = '') {
      const bar = multi.create(Math.max(total, 1), start, { label, detail });
      return {
        update: (value, next) => bar.update(value, next === undefined ? {} : { detail: next }),
        setTotal: (next) => bar.setTotal(Math.max(next, 1)),
      };
    },
    stop: () => multi.stop(),
  };
}
