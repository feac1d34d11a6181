#!/usr/bin/env node
/**
 * The `w2s` command, and the composition root: the one module that joins the
 * CLI (cli/) and the worker side (workers/), handing the CLI its worker host
 * (loaded only by the commands that run workers or a local server). It
 * parses the command line and turns a failure into its lines and exit code
 * (see cli/failure.ts).
 */
import { CommanderError } from 'commander';
import { EXIT_CODES, exitCodeFor, failureLines } from '../cli/failure.js';
import { buildProgram } from '../cli/program.js';
import { provideWorkerHost } from '../cli/worker-host.js';

provideWorkerHost(async () => (await import('../workers/host.js')).workerHost);

const program = await buildProgram(process.argv.slice(2).find((arg) => !arg.startsWith('-')));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and --version end with code 0; everything else commander raises is a wrong command line, already printed.
    process.exitCode = error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
  } else {
    // One line per failure; the whole error, stack included, for a bug report with --verbose.
    if (program.opts<{ verbose?: boolean }>().verbose) console.error(error);
    else for (const line of failureLines(error)) console.error(line);
    process.exitCode = exitCodeFor(error);
  }
}
