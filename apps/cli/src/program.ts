import { Command, CommanderError } from 'commander';
import { adminCommands } from './admin';
import { contextFactory, type Deps } from './context';
import { copyCommand } from './copy';
import { dataCommands } from './data';
import { CliError, ExitCode, errorLine } from './errors';
import { eventsCommand } from './events';
import { policyCommands } from './policy';
import { regionsCommand } from './regions';
import { replicationCommands } from './replication';
import { snapshotCommands } from './snapshot';

const footer = `
Environment:
  SNAPFERRY_URL      the catalog's base URL (default http://127.0.0.1:3000)
  SNAPFERRY_API_KEY  your API key (required)
  SNAPFERRY_CA_FILE  a PEM file with the CA of an https:// API's certificate (besides the system's)

Exit codes:
  0 ok, 1 the API refused (the error line carries its code), 2 usage error,
  3 copy --wait saw a copy end FAILED or CANCELLED, 4 cannot reach the API,
  5 admin scrub found corrupt or missing chunks,
  6 policy status --fail-on saw a recovery point in that state,
  7 data verify found the file and the snapshot different`;

export function buildProgram(deps: Deps, exit: { code: ExitCode }): Command {
  const program = new Command('snapferry')
    .description(
      'Command-line client for Snapferry: snapshots, cross-region copies, disaster recovery policies, the event log',
    )
    .option('--json', 'print JSON for scripts instead of tables')
    .option('--progress', 'show progress bars on stderr even when it is not a terminal')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => deps.stdout.write(s),
      writeErr: (s) => deps.stderr.write(s),
    })
    .showSuggestionAfterError(false) // errors stay one line
    .addHelpText('after', footer);
  const contextOf = contextFactory(deps, exit);
  snapshotCommands(program, contextOf);
  copyCommand(program, contextOf);
  replicationCommands(program, contextOf);
  policyCommands(program, contextOf);
  dataCommands(program, contextOf);
  eventsCommand(program, contextOf);
  regionsCommand(program, contextOf);
  adminCommands(program, contextOf);
  return program;
}

/** Runs one command line (without `node script`) and resolves to the exit code. */
export async function run(args: string[], deps: Deps): Promise<ExitCode> {
  const exit: { code: ExitCode } = { code: ExitCode.ok };
  try {
    await buildProgram(deps, exit).parseAsync(args, { from: 'user' });
    return exit.code;
  } catch (error) {
    // Commander has already printed its one-line message (or the help); --help itself is not an error.
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    deps.stderr.write(`${errorLine(error)}\n`);
    return error instanceof CliError ? error.exitCode : ExitCode.apiError;
  }
}
