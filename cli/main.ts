#!/usr/bin/env node
/** The `w2s` command: parses the command line and turns a failure into its lines and exit code (see failure.ts). */
import { CommanderError } from 'commander';
import { EXIT_CODES, exitCodeFor, failureLines } from './failure.js';
import { buildProgram } from './program.js';

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
