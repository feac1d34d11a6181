/**
 * A real Temporal dev server and real worker processes for pipeline tests.
 * Workers run as child processes (`w2s worker`) so tests can kill them, or
 * in-process when a test only needs them to be there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { initBackend } from '../../ml/backend.js';
import { type DevServer, startDevServer } from '../../workers/dev-server.js';
import { installRuntimeLogging } from '../../workers/logging.js';
import { createWorkers, QUEUES } from '../../workers/worker.js';

const distRoot = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
export const CLI = join(distRoot, 'bin', 'w2s.js');

export class TemporalHarness {
  private constructor(
    public server: DevServer,
    readonly dir: string,
    readonly dbFile: string,
    public connection: Connection,
  ) {}

  static async start(): Promise<TemporalHarness> {
    const dir = await mkdtemp(join(tmpdir(), 'w2s-temporal-'));
    const dbFile = join(dir, 'temporal.db');
    const server = await startDevServer({ dbFile });
    const connection = await Connection.connect({ address: server.address });
    return new TemporalHarness(server, dir, dbFile, connection);
  }

  get address(): string {
    return this.server.address;
  }

  get client(): Client {
    return new Client({ connection: this.connection });
  }

  /** Stops the server and starts it again on the same port and database (an outage, not a wipe). */
  async restartServer(during?: () => Promise<void>): Promise<void> {
    await this.server.stop();
    await during?.();
    this.server = await startDevServer({ dbFile: this.dbFile, port: this.server.port });
  }

  /** Workers (both queues by default) inside the test process; stop them with `shutdown()`. */
  async inProcessWorkers(identity = 'in-process', queues: readonly string[] = QUEUES): Promise<InProcessWorkers> {
    installRuntimeLogging();
    await initBackend();
    const connection = await NativeConnection.connect({ address: this.address });
    const workers = await createWorkers({ connection, namespace: 'default', queues, identity });
    const running = Promise.all(workers.map((w) => w.run()));
    return new InProcessWorkers(workers, running, connection);
  }

  /** A `w2s worker` child process; resolves once it polls. */
  async spawnWorker(options: WorkerProcessOptions): Promise<WorkerProcess> {
    return WorkerProcess.spawn(this.address, options);
  }

  async stop(): Promise<void> {
    await this.connection.close();
    await this.server.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

export class InProcessWorkers {
  constructor(
    private readonly workers: Worker[],
    private readonly running: Promise<unknown>,
    private readonly connection: NativeConnection,
  ) {}

  async shutdown(): Promise<void> {
    for (const worker of this.workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await this.running;
    await this.connection.close();
  }
}

export interface WorkerProcessOptions {
  readonly identity: string;
  readonly queues?: readonly string[];
  readonly cpuConcurrency?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** The worker's working folder (default: the test's). */
  readonly cwd?: string;
}

export class WorkerProcess {
  private readonly exited: Promise<number | null>;
  readonly log: string[] = [];

  private constructor(
    readonly identity: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static async spawn(address: string, options: WorkerProcessOptions): Promise<WorkerProcess> {
    const args = [CLI, 'worker', '--address', address, '--identity', options.identity, '--queues', (options.queues ?? QUEUES).join(','), '--cpu-concurrency', String(options.cpuConcurrency ?? 2)];
    const child = spawn(process.execPath, args, { ...(options.cwd ? { cwd: options.cwd } : {}), env: { ...process.env, W2S_LOG_LEVEL: 'info', ...options.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    const worker = new WorkerProcess(options.identity, child);
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          worker.log.push(line);
          if (line.includes('"worker polling"')) resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`worker ${options.identity} exited with ${code} before polling:\n${worker.log.join('\n')}`)));
    });
    return worker;
  }

  /** SIGKILL: the process dies mid-step, without a chance to checkpoint or report. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** The exit code, once the process ends by itself. */
  async exit(): Promise<number | null> {
    return this.exited;
  }

  /** SIGTERM: graceful shutdown; running training checkpoints before the process exits. */
  async terminate(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return this.exited;
  }
}
