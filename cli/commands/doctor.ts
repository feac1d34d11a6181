/**
 * `w2s doctor`: what TensorFlow.js will run on here and why. Lists the
 * backend packages installed, starts the backend a worker would start (the
 * same rule: W2S_BACKEND, else the first of tensorflow, wasm, cpu that
 * starts), and reports thread counts and the GPUs seen. With --require-gpu
 * (or W2S_REQUIRE_GPU=1) it exits 1 with one line when no usable GPU is
 * found, the check a GPU worker makes at start.
 */
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { BACKEND_NAMES, initBackend, installedVersion, NATIVE_PACKAGES, nativeThreads, type BackendInfo, type BackendName } from '../../ml/backend.js';
import { findGpus, gpuRequiredByEnv, gpuRequirementProblem, type GpuReport } from '../../ml/gpus.js';

/** The packages each backend name can come from, in the order they are tried. */
const BACKEND_PACKAGES: ReadonlyArray<readonly [BackendName, string]> = [
  ...NATIVE_PACKAGES.map((pkg) => ['tensorflow', pkg] as const),
  ['wasm', '@tensorflow/tfjs-backend-wasm'],
  ['cpu', '@tensorflow/tfjs-backend-cpu'],
];

export interface InstalledPackage {
  readonly backend: BackendName;
  readonly package: string;
  /** The installed version, or undefined when the package is not installed. */
  readonly version: string | undefined;
}

export interface DoctorReport {
  readonly packages: readonly InstalledPackage[];
  readonly requested: string | undefined;
  /** The backend that started, or undefined with `error` saying why none did. */
  readonly active: BackendInfo | undefined;
  readonly error: string | undefined;
  readonly threads: { readonly cores: number; readonly nativeIntraOp: number | string; readonly wasm: number };
  readonly gpus: GpuReport;
  /** Set when a GPU is required and the requirement is not met. */
  readonly gpuProblem: string | undefined;
}

export async function diagnose(requireGpu: boolean): Promise<DoctorReport> {
  const requested = process.env.W2S_BACKEND?.trim() || undefined;
  let active: BackendInfo | undefined;
  let error: string | undefined;
  try {
    active = await initBackend(requested);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  let nativeIntraOp: number | string;
  try {
    nativeIntraOp = active?.name === 'tensorflow' ? active.threads : nativeThreads();
  } catch (e) {
    nativeIntraOp = e instanceof Error ? e.message : String(e);
  }
  const gpus = await findGpus();
  return {
    packages: BACKEND_PACKAGES.map(([backend, pkg]) => ({ backend, package: pkg, version: installedVersion(pkg) })),
    requested,
    active,
    error,
    threads: { cores: availableParallelism(), nativeIntraOp, wasm: 1 },
    gpus,
    gpuProblem: requireGpu ? gpuRequirementProblem(gpus, active?.package) : undefined,
  };
}

export function renderDoctor(report: DoctorReport): string {
  const lines = [`backends, tried in this order unless W2S_BACKEND names one: ${BACKEND_NAMES.join(', ')}`];
  for (const p of report.packages) lines.push(`  ${p.backend.padEnd(10)} ${p.package.padEnd(30)} ${p.version ? `${p.version} installed` : 'not installed'}`);
  const why = report.requested ? `W2S_BACKEND=${report.requested}` : 'W2S_BACKEND unset: first that starts';
  if (report.active) {
    lines.push(`active: ${report.active.name} from ${report.active.package} (${report.active.device})${report.active.kernels ? `, kernels ${report.active.kernels}` : ''}; chosen by ${why}`);
  } else {
    lines.push(`active: none; ${report.error ?? 'no backend started'}`);
  }
  const { cores, nativeIntraOp, wasm } = report.threads;
  const nativeSource = process.env.W2S_THREADS?.trim() ? 'W2S_THREADS' : 'every core; W2S_THREADS sets it';
  lines.push(`threads: ${cores} cores available; native intra-op ${nativeIntraOp} (${nativeSource}); wasm ${wasm} per process (ml/parallel replicas add processes)`);
  const visible = report.gpus.cudaVisibleDevices === undefined ? '' : `; CUDA_VISIBLE_DEVICES=${report.gpus.cudaVisibleDevices}`;
  if (report.gpus.gpus.length === 0) lines.push(`GPUs: none (${report.gpus.note})${visible}`);
  else lines.push(`GPUs: ${report.gpus.gpus.length} seen by ${report.gpus.source}${visible}`, ...report.gpus.gpus.map((gpu) => `  ${gpu}`));
  return lines.join('\n');
}

interface DoctorFlags {
  readonly requireGpu?: boolean;
  readonly json?: boolean;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('show the TensorFlow.js backends installed, the one a worker would start and why, thread counts and GPUs seen')
    .option('--require-gpu', 'exit 1 unless a GPU is seen and the CUDA backend (@tensorflow/tfjs-node-gpu) is active (also W2S_REQUIRE_GPU=1)')
    .option('--json', 'the report as JSON')
    .action(async (flags: DoctorFlags) => {
      const report = await diagnose(Boolean(flags.requireGpu) || gpuRequiredByEnv());
      console.log(flags.json ? JSON.stringify(report, null, 2) : renderDoctor(report));
      const failure = report.gpuProblem ?? (report.active ? undefined : `no backend: ${report.error ?? 'none started'}`);
      if (failure) {
        console.error(`w2s doctor: ${failure}`);
        process.exitCode = 1;
      }
    });
}
