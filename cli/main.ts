#!/usr/bin/env node
/**
 * The `w2s` command. Each sub-command lives in cli/commands/<name>.ts and
 * exports a `register<Name>(program)` function. Only the invoked command's
 * module is loaded (TensorFlow.js and the worker runtime take seconds to
 * import, which `w2s status` should not pay); help loads them all.
 */
import { Command } from 'commander';
import { failureLines } from './failure.js';

type Register = (program: Command) => void;

const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  quickstart: async () => (await import('./commands/quickstart.js')).registerQuickstart,
  run: async () => (await import('./commands/run.js')).registerRun,
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

const program = new Command('w2s')
  .description('Weak-to-strong training of vision models as a durable pipeline')
  .option('--verbose', 'on failure, print the whole error with its stack')
  .showHelpAfterError();

const invoked = process.argv.slice(2).find((arg) => !arg.startsWith('-'));
const load = invoked && COMMANDS[invoked] ? [COMMANDS[invoked]] : Object.values(COMMANDS);
for (const register of await Promise.all(load.map((loader) => loader()))) register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // One line per failure; the whole error, stack included, for a bug report with --verbose.
  if (program.opts<{ verbose?: boolean }>().verbose) console.error(error);
  else for (const line of failureLines(error)) console.error(line);
  process.exitCode = 1;
}
