/**
 * A local Temporal dev server for the embedded default and for tests: the
 * `temporal` binary (W2S_TEMPORAL_BIN, PATH, or ~/go/bin) started with a
 * SQLite file so that it can be stopped and restarted on the same history,
 * and with w2s's search attributes registered; failing that, the SDK's own dev-server download (needs a network).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { Connection } from '@temporalio/client';
import { defineSearchAttributeKey } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../schemas/names.js';

export interface DevServer {
  readonly address: string;
  readonly port: number;
  readonly dbFile: string | undefined;
  /** Stops the server and waits for it to exit. */
  stop(): Promise<void>;
}

export interface DevServerOptions {
  /** SQLite file for persistent history; omitted = in memory. */
  readonly dbFile?: string;
  /** gRPC port; a free one when omitted. */
  readonly port?: number;
  /** Path to the `temporal` binary; searched for when omitted. */
  readonly binary?: string;
  readonly readyTimeoutMs?: number;
  /** Receives the server's output lines (for logs or test diagnostics). */
  readonly onOutput?: (line: string) => void;
  /** Register w2s's search attributes (default); false starts a server like a cluster that lacks them. */
  readonly searchAttributes?: boolean;
}

export function findTemporalBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [
    env.W2S_TEMPORAL_BIN,
    ...(env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'temporal')),
    join(env.GOPATH ?? join(homedir(), 'go'), 'bin', 'temporal'),
  ];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Free ports are probed, then released before the server binds them: another process may take one in between. */
const PORT_RACE_ATTEMPTS = 3;

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const binary = options.binary ?? findTemporalBinary();
  if (!binary) return startDownloadedServer(options);
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchDevServer(binary, options);
    } catch (error) {
      const lostPortRace = /address already in use/.test((error as Error).message);
      if (!lostPortRace || attempt >= PORT_RACE_ATTEMPTS) throw error;
    }
  }
}

async function launchDevServer(binary: string, options: DevServerOptions): Promise<DevServer> {
  const port = options.port ?? (await freePort());
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--http-port', String(await freePort()), '--metrics-port', String(await freePort()), '--log-level', 'warn'];
  if (options.dbFile) {
    mkdirSync(dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  if (options.searchAttributes ?? true) for (const { name, type } of Object.values(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  // Its own process group: a Ctrl-C in a terminal signals the whole foreground group, and the server must outlive it
  // so that the workers can record where they stopped before whoever started it stops it.
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      output.push(line);
      if (output.length > 50) output.shift();
      options.onOutput?.(line);
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const address = `127.0.0.1:${port}`;
  try {
    await waitUntilServing(address, options.readyTimeoutMs ?? 60_000, exited);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`Temporal dev server (${binary}) did not start on ${address}: ${(error as Error).message}\n${output.join('\n')}`, { cause: error });
  }
  return { address, port, dbFile: options.dbFile, stop: () => stopChild(child, exited) };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Polls the frontend until it answers, or the process exits, or time runs out. */
async function waitUntilServing(address: string, timeoutMs: number, exited: Promise<number | null>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`exited with code ${exitCode}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`not serving after ${timeoutMs} ms (${(lastError as Error | undefined)?.message ?? 'no answer'})`);
}

/** The SDK's names for the search attribute types the `temporal` CLI spells in CamelCase. */
const SDK_TYPES = { Keyword: 'KEYWORD', KeywordList: 'KEYWORD_LIST', Double: 'DOUBLE' } as const;

/**
 * Without a binary, let the SDK fetch and run its own dev server (this needs
 * internet access, and @temporalio/testing: a development dependency, absent
 * from production installs such as the worker images, which never embed a server).
 */
async function startDownloadedServer(options: DevServerOptions): Promise<DevServer> {
  let testing: typeof import('@temporalio/testing');
  try {
    testing = await import('@temporalio/testing');
  } catch (error) {
    throw new Error(
      'No `temporal` binary found (set W2S_TEMPORAL_BIN, put it on PATH, or `go install github.com/temporalio/cli/cmd/temporal@v1.5.1`), ' +
        'and @temporalio/testing, which could download a dev server, is not installed (production install); ' +
        'install the binary, or point w2s at a Temporal server with --address / TEMPORAL_ADDRESS',
      { cause: error },
    );
  }
  const { TestWorkflowEnvironment } = testing;
  let env: Awaited<ReturnType<typeof TestWorkflowEnvironment.createLocal>>;
  try {
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: '127.0.0.1',
        ...(options.port ? { port: options.port } : {}),
        ...(options.dbFile ? { dbFilename: options.dbFile } : {}),
        searchAttributes: options.searchAttributes ?? true ? Object.values(SEARCH_ATTRIBUTES).map(({ name, type }) => defineSearchAttributeKey(name, SDK_TYPES[type])) : [],
      },
    });
  } catch (error) {
    throw new Error(
      'No `temporal` binary found (set W2S_TEMPORAL_BIN, put it on PATH, or `go install github.com/temporalio/cli/cmd/temporal@v1.5.1`), ' +
        `and downloading the SDK's dev server failed: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const address = env.address;
  const port = Number(address.split(':').pop());
  return { address, port, dbFile: options.dbFile, stop: () => env.teardown() };
}
