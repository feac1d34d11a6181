/**
 * Runs the weak-to-strong protocol on Fashion-MNIST in one process and
 * prints the table that RESULTS.md records:
 *
 *   node dist/test/ml/helpers/fashion-mnist-w2s.js --weak-epochs 5 --strong-epochs 2 [--seed 0]
 *        [--train-size 60000] [--weak-fraction 0.5] [--test-size 10000] [--batch-size 64] [--weak-batch-size 64]
 *        [--methods ceiling,hard,...] [--out result.json]
 *
 * It lives beside the tests because it reads the IDX files through storage/,
 * which ml/ does not import; the experiment itself is ml/experiments.
 */
import { writeFile } from 'node:fs/promises';
import { cpus, hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { initBackend } from '../../../ml/backend.js';
import { fashionMnistProtocol } from '../../../ml/experiments/protocols.js';
import { formatResultTable, runWeakToStrong } from '../../../ml/experiments/weak-to-strong.js';
import { loadFashionMnist } from './fashion-mnist.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '0' },
    'weak-epochs': { type: 'string', default: '5' },
    'strong-epochs': { type: 'string', default: '2' },
    'train-size': { type: 'string' },
    'weak-fraction': { type: 'string' },
    'test-size': { type: 'string' },
    'batch-size': { type: 'string', default: '64' },
    'weak-batch-size': { type: 'string', default: '64' },
    methods: { type: 'string' },
    'log-every': { type: 'string', default: '50' },
    out: { type: 'string' },
  },
});
const int = (name: string, value: string | undefined) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} ${value}: expected a non-negative integer`);
  return n;
};

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)}s`;
const backend = await initBackend();
const config = fashionMnistProtocol({
  seed: int('seed', values.seed),
  weakEpochs: int('weak-epochs', values['weak-epochs']),
  strongEpochs: int('strong-epochs', values['strong-epochs']),
  batchSize: int('batch-size', values['batch-size']),
  weakBatchSize: int('weak-batch-size', values['weak-batch-size']),
  ...(values['train-size'] ? { trainSize: int('train-size', values['train-size']) } : {}),
  ...(values['test-size'] ? { testSize: int('test-size', values['test-size']) } : {}),
  ...(values['weak-fraction'] ? { weakFraction: Number(values['weak-fraction']) } : {}),
  ...(values.methods ? { methods: values.methods.split(',') } : {}),
});
const machine = `${hostname()}: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}; ${backend.name} (${backend.device}), tfjs ${backend.tfjsVersion}`;
console.log(`[${elapsed()}] ${machine}`);
console.log(`[${elapsed()}] config ${JSON.stringify(config)}`);
const data = await loadFashionMnist();
const logEvery = int('log-every', values['log-every']);

const result = await runWeakToStrong(data, config, {
  onStage: (stage) => console.log(`[${elapsed()}] stage ${stage}`),
  onProgress: (stage, p) => {
    if (logEvery > 0 && p.step % logEvery === 0) {
      console.log(`[${elapsed()}] ${stage} epoch ${p.epoch} step ${p.step}/${p.totalSteps} loss ${p.loss.total?.toFixed(4)} lr ${p.lr.toExponential(2)} ${p.imagesPerSecond.toFixed(0)} img/s`);
    }
  },
  onEpochEnd: (stage, m) =>
    console.log(
      `[${elapsed()}] ${stage} epoch ${m.epoch} done: loss ${JSON.stringify(m.loss)} train acc ${m.trainAccuracy?.toFixed(4) ?? '-'} teacher agreement ${m.teacherAgreement?.toFixed(4) ?? '-'} ${m.imagesPerSecond.toFixed(0)} img/s`,
    ),
});
const wallSeconds = (performance.now() - started) / 1000;
console.log(`\nW=${result.sizes.weak} S=${result.sizes.strong} test=${result.sizes.test}, wall ${wallSeconds.toFixed(0)} s\n`);
console.log(formatResultTable(result));
if (values.out) await writeFile(values.out, JSON.stringify({ machine, config, wallSeconds, result }, null, 2));
