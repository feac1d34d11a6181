/**
 * The PyTorch baseline as a long-lived child process (bench/torch_baseline.py
 * --serve), so PyTorch and TensorFlow.js samples can alternate in time and
 * see the same load on a shared machine.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Rate } from './measure.js';

export const PYTHON = process.env.W2S_BENCH_PYTHON ?? '/usr/bin/python3';
// dist/bench/torch.js -> bench/torch_baseline.py in the source tree
const SCRIPT = fileURLToPath(new URL('../../bench/torch_baseline.py', import.meta.url));

interface Answer {
  readonly case?: string;
  readonly imagesPerSecond?: number;
  readonly imagesPerCpuSecond?: number;
  readonly error?: string;
  readonly ready?: boolean;
  readonly torch?: string;
}

export class TorchBaseline {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly lines: Interface,
    readonly version: string,
    readonly threads: number,
  ) {}

  /** Starts PyTorch with `threads` threads; undefined (with the reason) when it cannot run. */
  static async start(threads: number): Promise<{ baseline?: TorchBaseline; reason?: string }> {
    const child = spawn(PYTHON, [SCRIPT, '--threads', String(threads), '--serve'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise<Answer | undefined>((resolve) => {
      child.once('error', () => resolve(undefined));
      child.once('exit', () => resolve(undefined));
      lines.once('line', (line) => resolve(JSON.parse(line) as Answer));
    });
    if (!first?.ready) {
      child.kill();
      const why = stderr.trim().split('\n').at(-1) ?? 'no answer';
      return { reason: `PyTorch is not available (${PYTHON} ${SCRIPT}: ${why})` };
    }
    return { baseline: new TorchBaseline(child, lines, first.torch ?? 'unknown', threads) };
  }

  /** Images per second (wall and CPU time) over `calls` training steps or forward passes of `testCase` (e.g. `train/cnn`). */
  async sample(testCase: string, calls: number): Promise<Rate> {
    const answer = await new Promise<Answer>((resolve, reject) => {
      this.lines.once('line', (line) => resolve(JSON.parse(line) as Answer));
      this.child.once('exit', (code) => reject(new Error(`PyTorch baseline exited (${code}) during ${testCase}`)));
      this.child.stdin.write(`${JSON.stringify({ case: testCase, calls })}\n`);
    });
    this.child.removeAllListeners('exit');
    if (answer.error !== undefined || answer.imagesPerSecond === undefined || answer.imagesPerCpuSecond === undefined) {
      throw new Error(`PyTorch baseline ${testCase}: ${answer.error ?? 'no figure'}`);
    }
    return { perSecond: answer.imagesPerSecond, perCpuSecond: answer.imagesPerCpuSecond };
  }

  close(): void {
    this.lines.close();
    this.child.stdin.end();
    this.child.kill();
  }
}
