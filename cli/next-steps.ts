/**
 * The commands that look at a run again, printed after it starts or ends:
 * a user who has just seen `started <id>` or a results table should not have
 * to look up how to get back to it. `w2s status` asks the Temporal server,
 * so it is offered only where the server outlives the command (a cluster);
 * the report, lineage and results read the storage root, which always does.
 */
import { fileURLToPath } from 'node:url';
import { absoluteStorageUri } from '../storage/uri.js';
import { DEFAULT_ADDRESS, type TemporalSettings } from '../core/temporal-settings.js';

/** How a storage root is spelled on a command line: as the user gave it, quoted when it must be. */
function arg(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface NextStepsOptions {
  readonly runId: string;
  /** The run's storage root, as the config names it (a relative folder is shown absolute, as the run resolved it). */
  readonly storage: string;
  /** The Temporal server the run lives on, when it outlives this command. */
  readonly temporal?: Pick<TemporalSettings, 'address' | 'namespace'>;
  /** Whether the run has ended (its report exists) or only started. */
  readonly finished: boolean;
}

/** A storage root as a user passes it back: a local folder as its absolute path, a bucket as its URI. */
export function displayedRoot(storage: string): string {
  const uri = absoluteStorageUri(storage);
  return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
}

export function nextSteps(options: NextStepsOptions): string[] {
  const storage = `--storage ${arg(displayedRoot(options.storage))}`;
  const steps: Array<readonly [string, string]> = [];
  if (options.temporal) {
    steps.push([`w2s status ${options.runId}${temporalFlags(options.temporal)} --watch`, "where it is: every stage, each training's progress"]);
    const ui = temporalUi(options.temporal, options.runId);
    if (ui) steps.push([ui, 'the run in the Temporal UI']);
  }
  steps.push(
    [`w2s report ${options.runId} ${storage}`, `the report${options.finished ? '' : ', once it has finished'}`],
    [`w2s lineage ${options.runId} ${storage}`, 'what each stage read and wrote'],
    [`w2s results ${storage}`, 'this run beside every other in the storage root'],
  );
  const width = Math.max(...steps.map(([command]) => command.length));
  return ['look at it again:', ...steps.map(([command, what]) => `  ${command.padEnd(width)}   # ${what}`)];
}

function temporalFlags(temporal: Pick<TemporalSettings, 'address' | 'namespace'>): string {
  // Only what the command would not find by itself (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, the defaults).
  const address = temporal.address === (process.env.TEMPORAL_ADDRESS ?? DEFAULT_ADDRESS) ? '' : ` --address ${temporal.address}`;
  const namespace = temporal.namespace === (process.env.TEMPORAL_NAMESPACE ?? 'default') ? '' : ` --namespace ${temporal.namespace}`;
  return `${address}${namespace}`;
}

/**
 * The run's page in the Temporal UI, where its address follows from the
 * server's: Temporal Cloud's namespaces, or a `temporal server start-dev`
 * (UI on port 8233 beside gRPC on 7233). W2S_TEMPORAL_UI names any other UI.
 */
export function temporalUi(temporal: Pick<TemporalSettings, 'address' | 'namespace'>, runId: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = `/namespaces/${encodeURIComponent(temporal.namespace)}/workflows/${encodeURIComponent(runId)}`;
  if (env.W2S_TEMPORAL_UI) return `${env.W2S_TEMPORAL_UI.replace(/\/+$/, '')}${path}`;
  if (/\.tmprl\.cloud(:\d+)?$/.test(temporal.address)) return `https://cloud.temporal.io${path}`;
  const local = /^(localhost|127\.0\.0\.1):7233$/.exec(temporal.address);
  if (local) return `http://${local[1]}:8233${path}`;
  return undefined;
}
