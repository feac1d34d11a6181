/**
 * Floating-point operations of the convolutions and matrix products a
 * function runs (from tf.profile's kernel records), so throughput can be
 * stated as achieved GFLOP/s. Element-wise work is not counted: the figure
 * is the GEMM work both frameworks must do, the same for PyTorch.
 */
import * as tf from '@tensorflow/tfjs';

function size(shape: readonly number[] | undefined): number {
  return shape ? shape.reduce((a, b) => a * b, 1) : 0;
}

/** FLOPs of one kernel call from its input and output shapes (0 for kernels that are not GEMM-like). */
export function kernelFlops(name: string, inputShapes: ReadonlyArray<readonly number[]>, outputShapes: ReadonlyArray<readonly number[]>): number {
  switch (name) {
    case 'Conv2D':
    case 'FusedConv2D': {
      const filter = inputShapes[1]!;
      return 2 * size(outputShapes[0]) * filter[0]! * filter[1]! * filter[2]!;
    }
    case 'Conv2DBackpropInput': {
      const filter = inputShapes[1]!;
      return 2 * size(inputShapes[0]) * filter[0]! * filter[1]! * filter[2]!;
    }
    case 'Conv2DBackpropFilter': {
      const filter = outputShapes[0]!;
      return 2 * size(inputShapes[1]) * filter[0]! * filter[1]! * filter[2]!;
    }
    case 'BatchMatMul':
    case '_FusedMatMul': {
      const out = outputShapes[0]!;
      const rows = out.at(-2)!;
      const batch = size(out) / (rows * out.at(-1)!);
      const shared = size(inputShapes[0]) / (batch * rows);
      return 2 * size(out) * shared;
    }
    default:
      return 0;
  }
}

/** GEMM FLOPs of one run of `work` (which must dispose what it creates). */
export async function countFlops(work: () => void): Promise<number> {
  const profile = await tf.profile(work);
  let flops = 0;
  for (const k of profile.kernels) {
    flops += kernelFlops(k.name, k.inputShapes as number[][], k.outputShapes as number[][]);
  }
  return flops;
}
