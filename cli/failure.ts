/**
 * How a failed command reads on the terminal and what it exits with: one
 * line per failure (the outermost message, then the root cause that explains
 * it), the stack only with `--verbose`, and an exit code that tells scripts
 * which kind of failure it was. A workflow failure arrives as a chain
 * (workflow, activity, application failure); the ends of the chain are what
 * a user needs.
 */
import { isBadInputError } from '../core/errors.js';

/** Exit codes of `w2s`, one per kind of failure (documented in the README). */
export const EXIT_CODES = {
  /** The command did what it was asked. */
  ok: 0,
  /** The run (or another operation) was tried and failed: a failed workflow, a stage error. */
  failed: 1,
  /** The command line is wrong: unknown command or option, missing argument. */
  usage: 2,
  /** An input is wrong: a config file, a flag's value, an id that names nothing. */
  badInput: 3,
  /** The Temporal server could not be reached at the given address. */
  unreachable: 4,
  /** Stopped by Ctrl-C (128 + SIGINT, as shells report it); a local run resumes when started again. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** The command line itself is wrong (raised by commander, or by a command's own argument checks). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The Temporal server at `address` did not answer. */
export class ServerUnreachableError extends Error {
  override readonly name = 'ServerUnreachableError';

  constructor(
    readonly address: string,
    options?: { cause?: unknown },
  ) {
    super(`Temporal server at ${address}: unreachable (is it running? set --address or TEMPORAL_ADDRESS)`, options);
  }
}

/**
 * A local run stopped by Ctrl-C: not a failure but a pause. Its message is
 * the one line a user needs: which run, where it stopped, how to go on.
 */
export class RunInterruptedError extends Error {
  override readonly name = 'RunInterruptedError';

  constructor(
    readonly runId: string | undefined,
    where: string,
    command?: string,
  ) {
    const again = command ? `\`${command}\` again` : 'the same command again';
    super(
      runId
        ? `interrupted: run ${runId} stopped ${where}; ${again} resumes it`
        : `interrupted: stopped ${where}; ${again} starts over, taking finished stages from the cache`,
    );
  }
}

/** Which kind of failure `error` is, as an exit code. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof RunInterruptedError) return EXIT_CODES.interrupted;
  if (error instanceof UsageError) return EXIT_CODES.usage;
  // Before unreachable: a connection refused for a wrong setting (TLS to a plaintext server) carries the failed connect as its cause.
  if (isBadInputError(error) || namesNothing(error)) return EXIT_CODES.badInput;
  if (error instanceof ServerUnreachableError || isServerUnreachable(error)) return EXIT_CODES.unreachable;
  return EXIT_CODES.failed;
}

/** A run or schedule id that names nothing on the server: the user's input is wrong. */
function namesNothing(error: unknown): boolean {
  return error instanceof Error && (error.name === 'WorkflowNotFoundError' || error.name === 'ScheduleNotFoundError');
}

/** The lines to print for `error`, each starting `error: ` (continuation lines of a multi-line cause are indented). */
export function failureLines(error: unknown): string[] {
  if (error instanceof RunInterruptedError) return [error.message];
  if (isBadInputError(error) || error instanceof ServerUnreachableError || error instanceof UsageError) return prefixed(error.message);
  const chain = causeChain(error);
  const outer = chain[0] ?? String(error);
  const root = chain[chain.length - 1] ?? outer;
  return prefixed(root === outer ? outer : `${outer}: ${root}`);
}

/** Messages of `error` and its causes, outermost first, empty and repeated ones left out. */
function causeChain(error: unknown): string[] {
  const messages: string[] = [];
  const seen = new Set<unknown>();
  for (let current: unknown = error; current !== undefined && current !== null && !seen.has(current); current = (current as { cause?: unknown }).cause) {
    seen.add(current);
    const message = current instanceof Error ? current.message : String(current);
    if (message && messages[messages.length - 1] !== message) messages.push(message);
    if (!(current instanceof Error)) break;
  }
  return messages;
}

function prefixed(message: string): string[] {
  const [first = '', ...rest] = message.split('\n').filter((line) => line.trim() !== '');
  return [`error: ${first.trimEnd()}`, ...rest.map((line) => `  ${line.trim()}`)];
}

/** Whether the Temporal server could not be reached (down, restarting): worth waiting out, not a failure of the run. */
export function isServerUnreachable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth += 1) {
    if (current instanceof ServerUnreachableError) return true;
    const code = (current as { code?: unknown }).code;
    // gRPC UNAVAILABLE (14): connection refused or reset while the server restarts.
    if (code === 14 || /ECONNREFUSED|ECONNRESET|UNAVAILABLE|No connection established|Failed to connect before the deadline/.test(current.message)) return true;
  }
  return false;
}
