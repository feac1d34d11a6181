/**
 * The `w2s` command tree. Each sub-command lives in cli/commands/<name>.ts and
 * exports a `register<Name>(program)` function. Only the invoked command's
 * module is loaded (TensorFlow.js and the worker runtime take seconds to
 * import, which `w2s status` should not pay); help loads them all.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { workerHost } from './worker-host.js';

type Register = (program: Command) => void;

const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  quickstart: async () => (await import('./commands/quickstart.js')).registerQuickstart,
  run: async () => (await import('./commands/run.js')).registerRun,
  pretrain: async () => (await import('./commands/pretrain.js')).registerPretrain,
  status: async () => (await import('./commands/status.js')).registerStatus,
  list: async () => (await import('./commands/list.js')).registerList,
  cancel: async () => (await import('./commands/cancel.js')).registerCancel,
  lineage: async () => (await import('./commands/lineage.js')).registerLineage,
  verify: async () => (await import('./commands/verify.js')).registerVerify,
  report: async () => (await import('./commands/report.js')).registerReport,
  schedule: async () => (await import('./commands/schedule.js')).registerSchedule,
  sweep: async () => (await import('./commands/sweep.js')).registerSweep,
  worker: async () => (await import('./commands/worker.js')).registerWorker,
  ingest: async () => (await import('./commands/ingest.js')).registerIngest,
  results: async () => (await import('./commands/results.js')).registerResults,
  doctor: async () => (await import('./commands/doctor.js')).registerDoctor,
};

/** The package's version (this module is dist/cli/program.js once built). */
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** The program with the sub-command `invoked` registered, or every one when it is not a known name. */
export async function buildProgram(invoked?: string): Promise<Command> {
  const program = new Command('w2s')
    .description('Weak-to-strong training of vision models as a durable pipeline')
    .version(version, '-V, --version', 'print the version of w2s')
    .helpOption('-h, --help', 'show help for the command')
    .helpCommand('help [command]', 'show help for a command')
    .option('--verbose', 'on failure, print the whole error with its stack')
    .addOption(
      new Option('--log-level <level>', 'level of the workers\' logs (JSON lines on stderr; in a terminal, a local run writes them to a file it names)')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])
        .env('W2S_LOG_LEVEL')
        .default('info'),
    )
    // The logger is the workers'; it is loaded here only for a level given on the command line, since `w2s status` should not pay for it.
    .hook('preAction', async (command) => {
      if (command.getOptionValueSource('logLevel') !== 'cli') return;
      (await workerHost()).setLogLevel(command.opts<{ logLevel: string }>().logLevel);
    })
    .showHelpAfterError()
    // Commander reports usage errors itself; it throws instead of exiting so the exit code is set in one place.
    .exitOverride();

  const load = invoked && COMMANDS[invoked] ? [COMMANDS[invoked]] : Object.values(COMMANDS);
  for (const register of await Promise.all(load.map((loader) => loader()))) register(program);
  return program;
}
