/**
 * Which NVIDIA GPUs this process could use, and whether a worker told to
 * require one may start. Two sources, both read-only: the driver's
 * /proc/driver/nvidia/gpus (present whenever the kernel driver is loaded,
 * containers included) and `nvidia-smi -L` when it is installed.
 * `CUDA_VISIBLE_DEVICES` narrows what libtensorflow will use; it is reported
 * beside the list, not applied to it.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const NVIDIA_PROC = '/proc/driver/nvidia/gpus';

export interface GpuReport {
  /** One line per GPU: its model, and the PCI bus id or UUID. */
  readonly gpus: readonly string[];
  /** Where the list came from: `nvidia-smi`, the driver's /proc entries, or `none`. */
  readonly source: 'nvidia-smi' | 'driver' | 'none';
  /** Why nothing was found, when nothing was. */
  readonly note: string;
  readonly cudaVisibleDevices: string | undefined;
}

async function fromNvidiaSmi(): Promise<string[] | undefined> {
  try {
    const { stdout } = await promisify(execFile)('nvidia-smi', ['-L'], { timeout: 10_000 });
    return stdout.split('\n').map((line) => line.trim()).filter((line) => line.startsWith('GPU '));
  } catch {
    return undefined;
  }
}

async function fromDriver(): Promise<string[] | undefined> {
  let buses: string[];
  try {
    buses = (await readdir(NVIDIA_PROC)).sort();
  } catch {
    return undefined;
  }
  return Promise.all(
    buses.map(async (bus) => {
      const info = await readFile(join(NVIDIA_PROC, bus, 'information'), 'utf8').catch(() => '');
      const model = /^Model:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? 'NVIDIA GPU';
      return `${model} (PCI ${bus})`;
    }),
  );
}

export async function findGpus(env: NodeJS.ProcessEnv = process.env): Promise<GpuReport> {
  const cudaVisibleDevices = env.CUDA_VISIBLE_DEVICES;
  const smi = await fromNvidiaSmi();
  if (smi && smi.length > 0) return { gpus: smi, source: 'nvidia-smi', note: '', cudaVisibleDevices };
  const driver = await fromDriver();
  if (driver && driver.length > 0) return { gpus: driver, source: 'driver', note: '', cudaVisibleDevices };
  const note = smi ? 'nvidia-smi lists no GPU' : driver ? `${NVIDIA_PROC} is empty` : `no NVIDIA driver (${NVIDIA_PROC} absent) and no nvidia-smi`;
  return { gpus: [], source: 'none', note, cudaVisibleDevices };
}

/** `W2S_REQUIRE_GPU=1` (or true/yes): a worker must not start without a usable GPU. */
export function gpuRequiredByEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['1', 'true', 'yes'].includes((env.W2S_REQUIRE_GPU ?? '').trim().toLowerCase());
}

/**
 * The one-line reason a GPU requirement is not met, or undefined when it is:
 * a GPU must be seen, CUDA_VISIBLE_DEVICES must not hide them all, and the
 * active backend must be the CUDA build of libtensorflow.
 */
export function gpuRequirementProblem(report: GpuReport, backendPackage: string | undefined): string | undefined {
  if (report.gpus.length === 0) return `GPU required but none found: ${report.note}`;
  const visible = report.cudaVisibleDevices?.trim();
  if (visible !== undefined && (visible === '' || visible === '-1')) return `GPU required but CUDA_VISIBLE_DEVICES=${JSON.stringify(report.cudaVisibleDevices)} hides all ${report.gpus.length}`;
  if (backendPackage !== '@tensorflow/tfjs-node-gpu') return `GPU required and ${report.gpus.length} seen, but the active backend is ${backendPackage ?? 'none'}, not @tensorflow/tfjs-node-gpu`;
  return undefined;
}
