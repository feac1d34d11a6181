/**
 * fake-gcs-server on loopback for tests: started on a free port with its
 * filesystem backend, so `restart()` brings it back on the same port with
 * the same objects (an outage, not a wipe). Point a client at it with
 * `env` (STORAGE_EMULATOR_HOST) or `url` (an `apiEndpoint`).
 *
 * The binary is found through FAKE_GCS_SERVER, ~/go/bin, or PATH.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export interface FakeGcsOptions {
  /** Buckets to create once the server answers. */
  readonly buckets?: readonly string[];
  /** Data folder; a fresh temporary one (removed by `dispose`) when absent. */
  readonly root?: string;
  /** How long to wait for the server to answer, in milliseconds. */
  readonly startTimeoutMs?: number;
}

export class FakeGcs {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = '';

  private constructor(
    readonly binary: string,
    readonly port: number,
    readonly root: string,
    private readonly ownsRoot: boolean,
    private readonly startTimeoutMs: number,
  ) {}

  static async start(options: FakeGcsOptions = {}): Promise<FakeGcs> {
    const binary = await findBinary();
    const root = options.root ?? (await mkdtemp(join(tmpdir(), 'w2s-fake-gcs-')));
    const server = new FakeGcs(binary, await freePort(), root, options.root === undefined, options.startTimeoutMs ?? 15000);
    await server.launch();
    for (const bucket of options.buckets ?? []) await server.createBucket(bucket);
    return server;
  }

  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Environment for a client process or for `openStore`. */
  get env(): { STORAGE_EMULATOR_HOST: string } {
    return { STORAGE_EMULATOR_HOST: this.url };
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  async createBucket(name: string): Promise<void> {
    const response = await fetch(`${this.url}/storage/v1/b?project=test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    if (!response.ok && response.status !== 409) {
      throw new Error(`fake-gcs-server: creating bucket ${name} failed with ${response.status}: ${await response.text()}`);
    }
  }

  /** Stops the server; its objects stay on disk for `restart`. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    child.kill('SIGTERM');
    await this.exited;
  }

  /** Starts it again on the same port and data folder. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Stops the server and removes a data folder it created. */
  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownsRoot) await rm(this.root, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const args = [
      '-scheme', 'http',
      '-host', '127.0.0.1',
      '-port', String(this.port),
      '-backend', 'filesystem',
      '-filesystem-root', this.root,
      '-external-url', this.url,
      '-public-host', `127.0.0.1:${this.port}`,
      '-log-level', 'warn',
    ];
    const child = spawn(this.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.output = '';
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // Never outlive the test process, even when it dies without calling stop().
    const reap = (): void => void child.kill('SIGKILL');
    process.once('exit', reap);
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        process.removeListener('exit', reap);
        resolve();
      }),
    );
    this.child = child;
    await this.waitUntilAnswering(child);
  }

  /** Polls the bucket listing until the server answers (a readiness probe). */
  private async waitUntilAnswering(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + this.startTimeoutMs;
    let exited = false;
    void this.exited.then(() => {
      exited = true;
    });
    while (Date.now() < deadline) {
      if (exited || child.exitCode !== null) {
        this.child = undefined;
        throw new Error(`fake-gcs-server exited during start (port ${this.port}):\n${this.output}`);
      }
      try {
        const response = await fetch(`${this.url}/storage/v1/b?project=test`);
        if (response.ok) return;
      } catch {
        // Not listening yet.
      }
      await delay(50);
    }
    await this.stop();
    throw new Error(`fake-gcs-server did not answer on port ${this.port} within ${this.startTimeoutMs} ms:\n${this.output}`);
  }
}

async function findBinary(): Promise<string> {
  const candidates = [
    process.env.FAKE_GCS_SERVER,
    join(homedir(), 'go', 'bin', 'fake-gcs-server'),
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'fake-gcs-server')),
  ].filter((path): path is string => typeof path === 'string' && path.length > 0);
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Try the next place.
    }
  }
  throw new Error('fake-gcs-server not found: set FAKE_GCS_SERVER, or install it (go install github.com/fsouza/fake-gcs-server@v1.55.1)');
}

/** A port that was free a moment ago, chosen by the kernel. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
