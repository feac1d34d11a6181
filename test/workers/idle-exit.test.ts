/**
 * Workers started per job end by themselves once idle: the clock runs only
 * while nothing is in flight, and a real `w2s worker` exits cleanly.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { exitWhenIdle, idleMsFrom, type InFlightCounts } from '../../workers/idle-exit.js';
import { GPU_QUEUE } from '../../workers/worker.js';
import { TemporalHarness } from '../harness/temporal.js';

/** A settable in-flight count, as the SDK's observable delivers it (current value on subscribe). */
class Count implements InFlightCounts {
  private listeners = new Set<(n: number) => void>();
  constructor(public value: number) {}
  set(value: number): void {
    this.value = value;
    for (const listener of this.listeners) listener(value);
  }
  subscribe(next: (n: number) => void): { unsubscribe(): void } {
    this.listeners.add(next);
    next(this.value);
    return { unsubscribe: () => void this.listeners.delete(next) };
  }
  get subscribers(): number {
    return this.listeners.size;
  }
}

let temporal: TemporalHarness;

before(async () => {
  temporal = await TemporalHarness.start();
});

after(async () => {
  await temporal.stop();
});

test('the idle clock starts only when every worker has nothing in flight, and fires once', async () => {
  const cpu = new Count(1);
  const gpu = new Count(0);
  const seen: string[] = [];
  const idle = new Promise<void>((resolve) => {
    exitWhenIdle([cpu, gpu], 20, () => {
      seen.push(`idle with ${cpu.value}+${gpu.value} in flight`);
      resolve();
    });
  });
  gpu.set(2);
  cpu.set(0);
  seen.push('cpu done');
  gpu.set(0);
  seen.push('gpu done');
  await idle;
  assert.deepEqual(seen, ['cpu done', 'gpu done', 'idle with 0+0 in flight']);
  assert.equal(cpu.subscribers + gpu.subscribers, 0);

  const cancelled = new Count(0);
  exitWhenIdle([cancelled], 10, () => assert.fail('cancelled clocks never fire')).cancel();
  assert.equal(cancelled.subscribers, 0);
  assert.equal(idleMsFrom('90'), 90_000);
  assert.equal(idleMsFrom(''), undefined);
  assert.throws(() => idleMsFrom('-1'), /W2S_EXIT_WHEN_IDLE_SECONDS: "-1" is not a positive number of seconds/);
});

test('`w2s worker` with W2S_EXIT_WHEN_IDLE_SECONDS polls, then exits with code 0 when nothing comes', async () => {
  const worker = await temporal.spawnWorker({ identity: 'idle-exit', queues: [GPU_QUEUE], env: { W2S_EXIT_WHEN_IDLE_SECONDS: '1' } });
  assert.equal(await worker.exit(), 0);
  assert.ok(worker.log.some((line) => line.includes('idle: shutting down')), worker.log.join('\n'));
});
