/**
 * `npm run bench`: throughput and costs of training and labeling on this
 * machine, each beside PyTorch doing the same work on the same cores.
 *
 *   node dist/bench/main.js [--json] [--only <substring>[,<substring>]] [--repeats N] [--quick] [--no-native]
 *
 * Without `W2S_BACKEND`, the cases run on wasm in this process and, when
 * tfjs-node is installed, the training and forward cases run again on the
 * native backend at 1 thread and at every core, in child processes
 * (native-rows.ts). `W2S_BACKEND=<name>` runs every case on that backend alone.
 *
 * Progress goes to stderr; the table (or, with --json, one JSON object) to stdout.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../ml/backend.js';
import { NATIVE_CASES, nativeInstalled, nativeThreadCounts, runNativeChild } from './native-rows.js';
import { CASES } from './registry.js';
import { serviceStatus } from './services.js';
import { TorchBaseline } from './torch.js';
import type { BenchContext, BenchResult } from './types.js';

interface Report {
  readonly machine: { readonly cpus: number; readonly model: string; readonly node: string };
  readonly backend: Awaited<ReturnType<typeof initBackend>>;
  /** Devices of the native rows, when they ran. */
  readonly native: string[];
  readonly date: string;
  readonly command: string;
  readonly pytorch: string;
  readonly repeats: number;
  readonly cases: BenchResult[];
  readonly skipped: Array<{ readonly name: string; readonly reason: string }>;
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(2) : value.toPrecision(3);
}

function table(report: Report): string {
  const rows = [['case', 'value', 'unit', 'PyTorch', 'ratio', 'note']];
  for (const r of report.cases) {
    rows.push([r.name, formatNumber(r.value), r.unit, r.baseline !== undefined ? formatNumber(r.baseline) : '', r.ratio !== undefined ? r.ratio.toFixed(2) : '', r.note ?? '']);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`);
  lines.splice(1, 0, `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  const header = [
    `machine: ${report.machine.cpus} x ${report.machine.model}, node ${report.machine.node}`,
    `backend: ${report.backend.name} (${report.backend.device}; ${report.backend.kernels || 'no extra kernels'}), tfjs ${report.backend.tfjsVersion}`,
    ...report.native.map((device) => `native rows (tensorflow/<n>-thread): ${device}`),
    `PyTorch: ${report.pytorch}; medians of ${report.repeats} interleaved samples; ${report.date}`,
  ];
  const skipped = report.skipped.map((s) => `skipped ${s.name}: ${s.reason}`);
  return [...header, '', ...lines, ...(skipped.length ? ['', ...skipped] : [])].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      only: { type: 'string' },
      repeats: { type: 'string', default: '5' },
      quick: { type: 'boolean', default: false },
      'no-native': { type: 'boolean', default: false },
    },
  });
  const repeats = Number(values.repeats);
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats must be a positive integer, got ${values.repeats}`);
  const filters = values.only?.split(',').filter(Boolean) ?? [];
  const log = (message: string) => process.stderr.write(`${message}\n`);

  // The table's own rows run on wasm unless a backend is named; native rows come from children.
  const named = process.env.W2S_BACKEND?.trim();
  const backend = await initBackend(named || 'wasm');
  const withNative = !named && !values['no-native'] && nativeInstalled();
  log(`bench: backend ${backend.name} (${backend.device})`);
  const baselines = new Map<number, Promise<TorchBaseline | undefined>>();
  const reasons: string[] = [];
  const torch = (threads: number) => {
    let started = baselines.get(threads);
    if (!started) {
      started = TorchBaseline.start(threads).then(({ baseline, reason }) => {
        if (reason) {
          reasons.push(reason);
          log(`bench: ${reason}; figures are printed without a baseline`);
        }
        return baseline;
      });
      baselines.set(threads, started);
    }
    return started;
  };

  const scratchRoot = await mkdtemp(join(tmpdir(), 'w2s-bench-'));
  const cases: BenchResult[] = [];
  const skipped: Report['skipped'] = [];
  try {
    for (const benchCase of CASES) {
      if (filters.length && !filters.some((f) => benchCase.name.includes(f))) continue;
      const missing = (benchCase.requires ?? []).map((s) => [s, serviceStatus(s)] as const).filter(([, status]) => !status.available);
      if (missing.length) {
        skipped.push({ name: benchCase.name, reason: missing.map(([s, status]) => `needs ${s}: ${status.hint}`).join('; ') });
        continue;
      }
      log(`bench: ${benchCase.name}: ${benchCase.description}`);
      const scratchDir = await mkdtemp(join(scratchRoot, 'case-'));
      const context: BenchContext = { repeats, quick: values.quick, torch, scratchDir, backend, log };
      const before = tf.memory().numTensors;
      const results = await benchCase.run(context);
      if (tf.memory().numTensors !== before) log(`bench: ${benchCase.name} left ${tf.memory().numTensors - before} tensors behind`);
      for (const r of results) log(`  ${r.name}: ${formatNumber(r.value)} ${r.unit}${r.ratio !== undefined ? ` (x${r.ratio.toFixed(2)} of PyTorch)` : ''}`);
      cases.push(...results);
    }
  } finally {
    for (const started of baselines.values()) (await started)?.close();
    await rm(scratchRoot, { recursive: true, force: true });
  }
  const native: string[] = [];
  const nativeCases = NATIVE_CASES.filter((name) => !filters.length || filters.some((f) => name.includes(f)));
  if (withNative && nativeCases.length) {
    for (const threads of nativeThreadCounts()) {
      log(`bench: native backend, ${threads} thread${threads === 1 ? '' : 's'}: ${nativeCases.join(', ')}`);
      try {
        const child = await runNativeChild(threads, nativeCases, repeats, values.quick, log);
        native.push(child.backend.device);
        cases.push(...child.cases);
        skipped.push(...child.skipped);
      } catch (error) {
        skipped.push({ name: `tensorflow/${threads}-thread`, reason: error instanceof Error ? error.message : String(error) });
      }
    }
  }
  const first = await baselines.values().next().value;
  const report: Report = {
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
    backend,
    native,
    date: new Date().toISOString(),
    command: `node ${process.argv.slice(1).join(' ')}`,
    pytorch: first ? `torch ${first.version}, threads matched per case` : reasons[0] ?? 'not used by the selected cases',
    repeats,
    cases,
    skipped,
  };
  process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${table(report)}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
