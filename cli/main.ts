#!/usr/bin/env node
/**
 * The `w2s` command. Each sub-command lives in cli/commands/<name>.ts and
 * exports a `register<Name>(program)` function.
 */
import { Command } from 'commander';
import { isBadInputError } from '../core/errors.js';
import { registerCancel } from './commands/cancel.js';
import { registerIngest } from './commands/ingest.js';
import { registerLineage } from './commands/lineage.js';
import { registerQuickstart } from './commands/quickstart.js';
import { registerVerify } from './commands/verify.js';
import { registerRun } from './commands/run.js';
import { registerSchedule } from './commands/schedule.js';
import { registerStatus } from './commands/status.js';
import { registerWorker } from './commands/worker.js';

const program = new Command('w2s')
  .description('Weak-to-strong training of vision models as a durable pipeline')
  .showHelpAfterError();

for (const register of [registerQuickstart, registerRun, registerStatus, registerCancel, registerLineage, registerVerify, registerSchedule, registerWorker, registerIngest]) register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Problems with the user's input are reported plainly; anything else keeps its stack for a bug report.
  console.error(isBadInputError(error) ? `error: ${error.message}` : error);
  process.exitCode = 1;
}
