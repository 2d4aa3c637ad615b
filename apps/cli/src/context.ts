import type { Command } from 'commander';
import { ApiClient, type Fetch } from './api-client';
import { loadCliConfig } from './config';
import { ExitCode } from './errors';
import { Output } from './output';
import { progressBars, type Bars } from './progress';

export type Stream = NodeJS.WritableStream & { isTTY?: boolean };

/** What the CLI needs from the outside world; tests pass their own. */
export interface Deps {
  env: NodeJS.ProcessEnv;
  stdout: Stream;
  stderr: Stream;
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  fetch?: Fetch;
}

export interface GlobalOptions {
  json?: boolean;
  progress?: boolean;
}

/** Handed to every command: the API, the output, progress bars and the exit code to end with. */
export interface Context {
  /** The API client, made on first use (commands that need no API need no SNAPFERRY_API_KEY). */
  readonly api: ApiClient;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  out: Output;
  bars(): Bars;
  /** Commands that report partial failure set this (the highest code wins). */
  exitWith(code: ExitCode): void;
}

export type ContextOf = (command: Command) => Context;

export function contextFactory(deps: Deps, exit: { code: ExitCode }): ContextOf {
  return (command) => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    let api: ApiClient | undefined;
    return {
      get api() {
        return (api ??= new ApiClient(loadCliConfig(deps.env), deps.fetch));
      },
      stdin: deps.stdin ?? process.stdin,
      out: new Output(globals.json === true, deps.stdout, deps.stderr),
      bars: () => progressBars(deps.stderr, globals.progress === true),
      exitWith: (code) => {
        exit.code = Math.max(exit.code, code) as ExitCode;
      },
    };
  };
}
