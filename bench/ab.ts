/**
 * A/B measurement of w2s wasm kernels against the shipped ones on a training
 * step: the two variants alternate sample by sample, and images per
 * CPU-second are compared, which keeps other processes' load out of the
 * comparison as far as one process can.
 *
 *   node dist/bench/ab.js <network> <Kernel[,Kernel]|winograd<B>-vs-<A>> [--repeats N] [--steps N] [--forward]
 *
 * Variant A runs with the named kernels switched back to the shipped ones
 * (or, for `winograd4-vs-off`, `winograd4-vs-2`..., with Winograd tile A: 2, 4 or off),
 * variant B with every w2s kernel on (or Winograd tile B).
 */
import { parseArgs } from 'node:util';
import { initBackend } from '../ml/backend.js';
import { setWinograd } from '../ml/kernels/conv-geometry.js';
import { setNativeWasmKernel } from '../ml/kernels/register.js';
import { median, rate, spread, type Rate } from './measure.js';
import { FORWARD_BATCH, forwardWorkload, TRAIN_BATCH, trainingWorkload } from './workloads.js';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { repeats: { type: 'string', default: '7' }, steps: { type: 'string', default: '3' }, forward: { type: 'boolean', default: false } },
  });
  const [network = 'cnn', kernelList = ''] = positionals;
  const kernels = kernelList.split(',').filter(Boolean);
  if (kernels.length === 0) throw new Error('name the kernels to compare, e.g. Conv2D,FusedConv2D');
  await initBackend('wasm');
  const steps = Number(values.steps);
  const winogradVariant = kernels[0]?.match(/^winograd(2|4)?-vs-(off|2|4)$/);
  const setVariant = (native: boolean) => {
    if (!winogradVariant) return kernels.forEach((k) => setNativeWasmKernel(k, native));
    const pick = native ? (winogradVariant[1] ?? '4') : winogradVariant[2]!;
    setWinograd(pick === 'off' ? false : (Number(pick) as 2 | 4));
  };
  const forward = values.forward ? forwardWorkload(network) : undefined;
  const training = values.forward ? undefined : trainingWorkload(network);
  const once = () => (forward ? void forward.run() : training!.step());
  const batch = forward ? FORWARD_BATCH : TRAIN_BATCH;
  const samples: Record<'shipped' | 'native', Rate[]> = { shipped: [], native: [] };
  for (const native of [false, true]) {
    setVariant(native);
    once();
    once();
  }
  for (let i = 0; i < Number(values.repeats); i++) {
    for (const native of [false, true]) {
      setVariant(native);
      samples[native ? 'native' : 'shipped'].push(await rate(steps, batch, once));
    }
  }
  forward?.dispose();
  training?.dispose();
  const cpu = (k: 'shipped' | 'native') => samples[k].map((r) => r.perCpuSecond);
  const a = median(cpu('shipped'));
  const b = median(cpu('native'));
  const best = (k: 'shipped' | 'native') => Math.max(...cpu(k));
  console.log(
    `${network} ${forward ? 'forward' : 'training'}, ${kernels.join(',')}: A ${a.toFixed(1)} (${spread(cpu('shipped'))}) vs B ${b.toFixed(1)} (${spread(cpu('native'))}) images/cpu-s,` +
      ` median x${(b / a).toFixed(3)}, best x${(best('native') / best('shipped')).toFixed(3)}; step ${((1000 * batch) / a).toFixed(0)} -> ${((1000 * batch) / b).toFixed(0)} cpu-ms`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
