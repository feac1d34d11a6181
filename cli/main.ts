#!/usr/bin/env node
/**
 * The `w2s` command. Each sub-command lives in cli/commands/<name>.ts and
 * exports a `register<Name>(program)` function.
 */
import { Command } from 'commander';

const program = new Command('w2s')
  .description('Weak-to-strong training of vision models as a durable pipeline')
  .showHelpAfterError();

await program.parseAsync(process.argv);
