/** Exit codes are part of the CLI's contract with scripts. */
export const ExitCode = {
  ok: 0,
  apiError: 1,
  usage: 2,
  copyFailed: 3,
  unreachable: 4,
  /** `admin scrub` found corrupt or missing chunks. */
  damaged: 5,
  /** `policy status --fail-on` saw a recovery point in that state (or worse). */
  recoveryPoint: 6,
  /** `data verify` found the file and the snapshot's bytes different. */
  dataDiffers: 7,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Anything the CLI reports as one `error: …` line and an exit code. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
  }
}

/** The API answered with an error body (`{error: {code, message, requestId}}`). */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly requestId?: string,
  ) {
    super(ExitCode.apiError, `${code}: ${detail}`);
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(ExitCode.usage, message);
  }
}

/** A file (or standard input) the CLI could not read: its name and the system's reason. */
export const cannotRead = (what: string, error: unknown): UsageError =>
  new UsageError(`cannot read ${what}: ${reasonOf(error)}`);

/** A file the CLI could not write (a read-back's output): its name and the system's reason. */
export const cannotWrite = (what: string, error: unknown): UsageError =>
  new UsageError(`cannot write ${what}: ${reasonOf(error)}`);

type Told = { code?: string; message?: string; cause?: Told } | undefined;

/** ENOENT, ENOSPC, ECONNRESET…: the code where the system gave one, else the message. */
const reasonOf = (error: unknown): string =>
  (error as Told)?.code ?? (error as Told)?.message ?? String(error);

/** A network error's shortest telling: its cause's (the transport wraps the socket's), else its own. */
export const networkReason = (error: unknown): string => reasonOf((error as Told)?.cause ?? error);

export class UnreachableError extends CliError {
  constructor(url: string, reason: string) {
    super(ExitCode.unreachable, `cannot reach the API at ${url}: ${reason}`);
  }
}

/**
 * A read-back whose connection dropped part way (exit 4, as unreachable): what arrived is
 * kept, and the message says how much and how to go on.
 */
export class ConnectionDroppedError extends CliError {
  constructor(url: string, reason: string, received: number, total: number) {
    super(
      ExitCode.unreachable,
      `the connection to the API at ${url} dropped after ${received} of ${total} bytes (${reason}); run the same command with --resume to continue from there`,
    );
  }
}

/** One line, whatever the message held (a multi-line server message would break `2>` parsing). */
export const errorLine = (error: unknown): string => {
  const text = error instanceof Error ? error.message : String(error);
  return `error: ${text.replace(/\s*\n\s*/g, ' ').trim()}`;
};
