/**
 * The embedded default: everything in one process. It uses TEMPORAL_ADDRESS
 * when set, else starts a local dev server; runs workers for both task
 * queues in-process; runs what it is given (one pipeline, a sweep); shuts
 * everything down.
 *
 * Ctrl-C (SIGINT, or SIGTERM) stops it within seconds and in order: the
 * workers stop first (a training checkpoints and fails its attempt
 * retryably), then the server. A run's dev server keeps its history in a
 * SQLite file under the storage root, one per run config, so the same
 * command started again finds the interrupted run still open on it and
 * follows it to the end: the training resumes from its checkpoint.
 */
import { setMaxListeners } from 'node:events';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { hashJson } from '../core/hash.js';
import { initBackend } from '../ml/backend.js';
import type { RunConfig } from '../schemas/pipeline.js';
import type { PlannedRun } from '../schemas/plan.js';
import type { PipelineResult } from '../schemas/stages.js';
import { DEFAULT_STORAGE_ROOT, LOCAL_STATE_FILES, localStateKey } from '../storage/layout.js';
import { absoluteStorageUri, parseStorageUri } from '../storage/uri.js';
import { QUEUES, SEARCH_ATTRIBUTES } from '../schemas/names.js';
import { clientInterceptors } from './closed-channel-guard.js';
import { RunInterruptedError } from './failure.js';
import { followRun } from './follow.js';
import { readRunView, type RunView } from './run-view.js';
import { startPipeline, submittedConfig } from './start-run.js';
import { workerHost, type LocalDevServer } from './worker-host.js';

export interface EmbeddedOptions {
  readonly bars: boolean;
  readonly runId?: string;
  /** The command that started this run, named in the interruption's line as the way to resume it (default: this process's). */
  readonly command?: string;
  /** Where the run's own lines go (resuming, interrupted); stderr by default. */
  readonly write?: (line: string) => void;
}

/** Where the embedded default keeps a run config's Temporal history and worker log: a local folder, whatever the storage root. */
export function localStateFolder(config: RunConfig, cwd: string = process.cwd()): string {
  const submitted = submittedConfig(config, cwd);
  const root = parseStorageUri(submitted.storage);
  const folder = root.kind === 'local' ? root.root : defaultLocalRoot(cwd);
  return join(folder, localStateKey(config.name, hashJson(submitted)));
}

function defaultLocalRoot(cwd: string): string {
  const root = parseStorageUri(absoluteStorageUri(DEFAULT_STORAGE_ROOT, cwd));
  if (root.kind !== 'local') throw new Error(`default storage root ${DEFAULT_STORAGE_ROOT} is not a local folder`);
  return root.root;
}

/**
 * Runs `config` to its result: starts it, or, when an earlier run of the same
 * config was interrupted (its history is in this config's dev-server file),
 * resumes that one. A Ctrl-C ends it with a RunInterruptedError that says
 * where the run stopped and how to go on.
 */
export async function runEmbedded(plan: PlannedRun, options: EmbeddedOptions): Promise<PipelineResult> {
  const { config } = plan;
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const state = localStateFolder(config);
  const lock = lockState(state);
  if (!lock.held) write(`another w2s command (pid ${lock.owner}) runs this config on its local server; this one keeps its history in memory, so it cannot be resumed after a Ctrl-C`);
  const dbFile = lock.held ? { dbFile: join(state, LOCAL_STATE_FILES.temporal) } : {};
  try {
    return await withEmbeddedTemporal(
      async ({ client, interrupted, stopWorkers }) => {
        const open = await openRun(client, config, options.runId);
        let handle: WorkflowHandle;
        if (open) {
          handle = open.handle;
          write(`resuming run ${open.handle.workflowId}, interrupted ${open.where}`);
        } else {
          handle = await startPipeline(client, plan);
          (await workerHost()).log.info({ runId: handle.workflowId }, 'pipeline started');
        }
        try {
          return await followRun(handle, { bars: options.bars, signal: interrupted });
        } catch (error) {
          if (!interrupted.aborted) throw error;
          // The workers first: a training writes its checkpoint and records the stop before the server goes.
          await stopWorkers();
          const view = await readRunView(handle, undefined, { progress: false }).catch(() => undefined);
          throw new RunInterruptedError(handle.workflowId, view ? stoppedAt(view) : 'at an unknown stage', options.command ?? commandLine());
        }
      },
      { ...dbFile, ...(options.bars ? { logFile: join(state, LOCAL_STATE_FILES.log) } : {}), handlesInterruption: true },
    );
  } finally {
    if (lock.held) lock.release();
  }
}

type StateLock = { readonly held: true; release(): void } | { readonly held: false; readonly owner: number };

/**
 * One command at a time per config's dev-server file: two servers on one
 * SQLite file would corrupt it. The lock file holds the owner's pid; one
 * left by a process that is gone (killed) is taken over.
 */
function lockState(folder: string): StateLock {
  mkdirSync(folder, { recursive: true });
  const file = join(folder, LOCAL_STATE_FILES.lock);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return { held: true, release: () => rmSync(file, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(file, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && alive(owner)) return { held: false, owner };
      rmSync(file, { force: true });
    }
  }
  return { held: false, owner: Number(readFileSync(file, 'utf8')) };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The open run of this very config (the same submitted config, so the same
 * storage root and seed), if an earlier command was interrupted; with
 * `runId`, only that run. The config is compared, not only the server's
 * file: TEMPORAL_ADDRESS may name a server shared with other runs.
 */
async function openRun(client: Client, config: RunConfig, runId: string | undefined): Promise<{ handle: WorkflowHandle; where: string } | undefined> {
  const wanted = hashJson(submittedConfig(config));
  const query = `ExecutionStatus = 'Running' AND WorkflowType = 'weakToStrong' AND ${SEARCH_ATTRIBUTES.configName.name} = '${config.name}'`;
  try {
    for await (const execution of client.workflow.list({ query })) {
      if (runId !== undefined && execution.workflowId !== runId) continue;
      const handle = client.workflow.getHandle(execution.workflowId);
      const started = (await handle.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      // A pipeline is started with its plan ({plan}); other clients may start one with a bare config ({config}).
      const input = started ? defaultPayloadConverter.fromPayload<{ plan?: { config?: unknown }; config?: unknown }>(started) : undefined;
      const startedConfig = input?.plan?.config ?? input?.config;
      if (startedConfig === undefined || hashJson(startedConfig) !== wanted) continue;
      return { handle, where: stoppedAt(await readRunView(handle, undefined, { progress: false })) };
    }
  } catch (error) {
    // A namespace without w2s's search attributes cannot be asked; the start that follows refuses it, saying how to fix it.
    if (!/search attribute/i.test((error as Error).message)) throw error;
  }
  return undefined;
}

/** Where an interrupted run stands: the stages it was in (a training's step and checkpoint), else the last one it finished. */
function stoppedAt(view: RunView): string {
  const running = view.stages.filter((s) => s.status === 'running');
  if (running.length) {
    return `during ${running
      .map((s) => {
        const t = s.training;
        if (!t) return s.name;
        const checkpoint = t.checkpoint ? `, checkpoint saved` : ', no checkpoint yet';
        return `${s.name} (epoch ${t.epoch}/${t.epochs}, step ${t.step}/${t.totalSteps}${checkpoint})`;
      })
      .join(', ')}`;
  }
  const finished = view.stages.filter((s) => s.status === 'completed' || s.status === 'cached');
  const last = finished[finished.length - 1];
  return last ? `after ${last.name}` : 'before its first stage';
}

export interface EmbeddedTemporal {
  readonly client: Client;
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM: stop following and return. */
  readonly interrupted: AbortSignal;
  /** Stops the in-process workers (running activities are cancelled and checkpoint) and waits for them. */
  stopWorkers(): Promise<void>;
}

export interface EmbeddedTemporalOptions {
  /** The dev server's SQLite file: an open run in it resumes when a server starts on it again. Omitted: history in memory. */
  readonly dbFile?: string;
  /** Worker logs to this file instead of stderr (a terminal's live view), its path said on stderr. */
  readonly logFile?: string;
  /**
   * `fn` watches `interrupted` itself and ends with its own account of where it stopped. Otherwise a Ctrl-C
   * ends `fn`'s wait here, with a RunInterruptedError that says finished stages come from the cache next time.
   */
  readonly handlesInterruption?: boolean;
}

/** Runs `fn` with a client of a Temporal server whose workers poll in this process; all of it is stopped afterwards. */
export async function withEmbeddedTemporal<T>(fn: (embedded: EmbeddedTemporal) => Promise<T>, options: EmbeddedTemporalOptions = {}): Promise<T> {
  // Installed first: the SDK's runtime takes SIGINT too (to stop workers), so a Ctrl-C while starting up would
  // otherwise go unheard. The first signal stops the run in order; a second one, for a user who will not wait,
  // ends the process at once.
  let server: LocalDevServer | undefined;
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      // The server has its own process group, so it would outlive this process: it is sent its signal now.
      void server?.stop();
      process.exit(130);
    }
    process.stderr.write(`\n${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping (the workers checkpoint first; Ctrl-C again to quit at once)\n`);
    controller.abort(new Error(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Between the steps of starting up: stopped before any run began, there is nothing to stop in order.
  const startingUp = () => {
    if (controller.signal.aborted) throw new RunInterruptedError(undefined, 'while starting up', commandLine());
  };

  const host = await workerHost();
  if (options.logFile) {
    host.logToFile(options.logFile);
    process.stderr.write(`worker logs: ${options.logFile}\n`);
  }
  host.installRuntimeLogging();
  const backend = await initBackend().catch((error: unknown) => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    throw error;
  });
  host.log.info({ backend }, `tensorflow.js backend: ${backend.name} (${backend.device})`);

  let address = process.env.TEMPORAL_ADDRESS;
  try {
    startingUp();
    if (!address) {
      server = await host.startDevServer(options.dbFile ? { dbFile: options.dbFile } : {});
      address = server.address;
      host.log.info({ address, dbFile: options.dbFile }, 'started a local Temporal dev server');
    }
    startingUp();
    const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
    const clientConnection = await Connection.connect({ address, interceptors: clientInterceptors() });
    try {
      startingUp();
      const workers = await host.startWorkers({ address, namespace, queues: QUEUES });
      const stopWorkers = () => workers.stop();
      try {
        const embedded = { client: new Client({ connection: clientConnection, namespace }), interrupted: controller.signal, stopWorkers };
        if (options.handlesInterruption) return await fn(embedded);
        // `fn`'s calls are cancelled on Ctrl-C: one still in flight when the connection closes would be retried on the closed
        // channel. The connection adds a listener to the signal per call and keeps it; `fn` here only waits for a result
        // (a long poll every few seconds), so their number stays small, and Node's warning about it would break the terminal.
        setMaxListeners(0, controller.signal);
        const work = clientConnection.withAbortSignal(controller.signal, () => fn(embedded));
        // The cancelled calls end `fn` with an error nobody needs to see.
        work.catch(() => undefined);
        const stopped = new Promise<never>((_, reject) => {
          const interrupt = () => reject(new RunInterruptedError(undefined, 'before the end', process.argv.length > 2 ? commandLine() : undefined));
          if (controller.signal.aborted) interrupt();
          else controller.signal.addEventListener('abort', interrupt, { once: true });
        });
        return await Promise.race([work, stopped]);
      } finally {
        await stopWorkers();
      }
    } finally {
      await clientConnection.close();
    }
  } finally {
    await server?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** This process's command line as a user would type it again: `w2s quickstart --seed 1`. */
export function commandLine(argv: readonly string[] = process.argv): string {
  const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);
  return ['w2s', ...argv.slice(2).map(quote)].join(' ');
}
