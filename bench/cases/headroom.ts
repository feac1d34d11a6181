/**
 * How much a second core is worth right now: the same pure-compute loop on
 * one worker thread, then on two at once. On an idle 2-core machine this is
 * ~2x; on a shared one it is what other jobs leave, and it bounds every
 * 2-worker scaling figure measured in the same run.
 */
import { Worker } from 'node:worker_threads';
import { median, spread } from '../measure.js';
import type { BenchCase } from '../types.js';

const LOOP = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (n) => {
  let x = 0;
  for (let i = 0; i < n; i++) x = (x + i * 7) % 1000003;
  parentPort.postMessage(x);
});`;

function run(worker: Worker, iterations: number): Promise<unknown> {
  return new Promise((resolve) => {
    worker.once('message', resolve);
    worker.postMessage(iterations);
  });
}

export const headroomCase: BenchCase = {
  name: 'machine/parallel-headroom',
  description: 'scaling of a pure-compute loop from one worker thread to two (the ceiling for 2-worker figures now)',
  async run(context) {
    const workers = [new Worker(LOOP, { eval: true }), new Worker(LOOP, { eval: true })];
    try {
      const iterations = context.quick ? 5e7 : 2e8;
      const scaling: number[] = [];
      await run(workers[0]!, 1e6);
      for (let i = 0; i < context.repeats; i++) {
        let start = performance.now();
        await run(workers[0]!, iterations);
        const one = performance.now() - start;
        start = performance.now();
        await Promise.all(workers.map((w) => run(w, iterations)));
        scaling.push((2 * one) / (performance.now() - start));
      }
      return [{ name: 'machine/parallel-headroom', value: median(scaling), unit: 'x one thread', note: `ideal 2.00 on an idle 2-core machine; ${spread(scaling, 2)}` }];
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  },
};
