/**
 * A small HTTP health endpoint for a worker process, for orchestrators'
 * probes (Kubernetes readiness and liveness, Docker, Cloud Run):
 *
 * - `GET /readyz`: 200 once every worker of the process polls its task queue;
 *   503 while starting, draining after SIGTERM, or stopped.
 * - `GET /livez`: 200 while the process answers and no worker has failed;
 *   503 once one has (the process is about to exit; restart it).
 *
 * Both answer with JSON: `{ "status": …, "workers": [{ "taskQueue", "state" }] }`.
 * The server only reads worker states; it never touches the workers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A worker's life stage, as the Temporal SDK reports it (`Worker.getState()`). */
export type WorkerState = 'INITIALIZED' | 'RUNNING' | 'STOPPED' | 'STOPPING' | 'DRAINING' | 'DRAINED' | 'FAILED';

export interface WorkerStatus {
  readonly taskQueue: string;
  readonly state: WorkerState;
}

export interface HealthReport {
  readonly status: 'ready' | 'starting' | 'stopping' | 'failed';
  readonly workers: readonly WorkerStatus[];
}

/** The process's health from its workers' states: an empty list means they are still being created. */
export function healthOf(workers: readonly WorkerStatus[]): HealthReport {
  let status: HealthReport['status'];
  if (workers.some((w) => w.state === 'FAILED')) status = 'failed';
  else if (workers.length > 0 && workers.every((w) => w.state === 'RUNNING')) status = 'ready';
  else if (workers.some((w) => w.state !== 'INITIALIZED' && w.state !== 'RUNNING')) status = 'stopping';
  else status = 'starting';
  return { status, workers };
}

export interface HealthServerOptions {
  /** TCP port; 0 picks a free one (see `HealthServer.port`). */
  readonly port: number;
  /** Interface to listen on (default all, so a kubelet on the node can reach it). */
  readonly host?: string;
  /** The workers' current states; read on every request. */
  readonly workers: () => readonly WorkerStatus[];
}

export class HealthServer {
  private constructor(private readonly server: Server) {}

  static async start(options: HealthServerOptions): Promise<HealthServer> {
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
      throw new Error(`health port ${options.port}: must be an integer from 0 to 65535`);
    }
    const server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      const report = healthOf(options.workers());
      let ok: boolean;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (path === '/readyz') ok = report.status === 'ready';
      else if (path === '/livez') ok = report.status !== 'failed';
      else {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: use /readyz or /livez\n');
        return;
      }
      response.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : `${JSON.stringify(report)}\n`);
    });
    // Probes must not keep the process alive once the workers are done.
    server.unref();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(new Error(`health endpoint: cannot listen on port ${options.port} (${error.message})`, { cause: error })));
      server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
    });
    return new HealthServer(server);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** `W2S_HEALTH_PORT` (or a flag's value) as a port, or undefined when unset; bad values are errors naming the variable. */
export function healthPortFrom(value: string | undefined, where = 'W2S_HEALTH_PORT'): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${where}: "${value}" is not a port (1-65535)`);
  return port;
}
