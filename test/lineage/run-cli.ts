/**
 * Runs a `w2s` sub-command in this process, as `bin/w2s.ts` would, and
 * returns what it printed and the exit code it set (restoring both after).
 */
import { format } from 'node:util';
import { Command } from 'commander';

export interface CliResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export async function runCli(register: (program: Command) => void, args: readonly string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  // Sub-commands inherit these, so commander's own messages (usage errors) are captured too.
  const program = new Command('w2s').exitOverride().configureOutput({ writeOut: (text) => void out.push(text), writeErr: (text) => void err.push(text) });
  register(program);
  const { log, error } = console;
  const previousExitCode = process.exitCode;
  process.exitCode = undefined;
  console.log = (...parts: unknown[]) => void out.push(format(...parts));
  console.error = (...parts: unknown[]) => void err.push(format(...parts));
  let exitCode: number;
  try {
    await program.parseAsync(['node', 'w2s', ...args]);
  } finally {
    console.log = log;
    console.error = error;
    exitCode = Number(process.exitCode ?? 0);
    process.exitCode = previousExitCode;
  }
  return { stdout: out.join('\n'), stderr: err.join('\n'), exitCode };
}
