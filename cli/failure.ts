/**
 * How a failed command reads on the terminal: one line per failure (the
 * outermost message, then the root cause that explains it), the stack only
 * with `--verbose`. A workflow failure arrives as a chain (workflow, activity,
 * application failure); the ends of the chain are what a user needs.
 */
import { isBadInputError } from '../core/errors.js';

/** The lines to print for `error`, each starting `error: ` (continuation lines of a multi-line cause are indented). */
export function failureLines(error: unknown): string[] {
  if (isBadInputError(error)) return prefixed(error.message);
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
    const code = (current as { code?: unknown }).code;
    // gRPC UNAVAILABLE (14): connection refused or reset while the server restarts.
    if (code === 14 || /ECONNREFUSED|ECONNRESET|UNAVAILABLE|No connection established/.test(current.message)) return true;
  }
  return false;
}
