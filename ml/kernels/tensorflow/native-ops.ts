/**
 * Direct access to libtensorflow's eager ops through the tfjs-node backend,
 * for the few ops tfjs-node does not expose as kernels (training-mode
 * FusedBatchNormV3 and its gradient, ReluGrad). tfjs-node is an optional
 * peer package, so its backend is reached through the active tfjs backend
 * and checked at run time rather than imported. The tensors the ops return
 * are ordinary tfjs tensors, tracked by tidy like any other.
 */
import * as tf from '@tensorflow/tfjs';

/** An op attribute as tfjs-node's binding takes it. */
export interface NativeAttr {
  readonly name: string;
  readonly type: number;
  readonly value: number | boolean | string;
}

interface Binding {
  readonly TF_ATTR_TYPE: number;
  readonly TF_ATTR_FLOAT: number;
  readonly TF_ATTR_BOOL: number;
  readonly TF_ATTR_STRING: number;
  readonly TF_FLOAT: number;
}

interface NodeBackend {
  readonly binding: Binding;
  executeSingleOutput(name: string, attrs: NativeAttr[], inputs: tf.Tensor[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: NativeAttr[], inputs: tf.Tensor[], numOutputs: number): tf.Tensor[];
}

function isNodeBackend(backend: unknown): backend is NodeBackend {
  const candidate = backend as Partial<NodeBackend> | undefined;
  return typeof candidate?.executeMultipleOutputs === 'function' && typeof candidate.executeSingleOutput === 'function' && typeof candidate.binding === 'object';
}

/** The eager ops of libtensorflow, for float32 tensors. */
export interface NativeOps {
  run(op: string, attrs: readonly NativeAttr[], inputs: tf.Tensor[], outputs: number): tf.Tensor[];
  /** The float32 dtype attribute named `name` (`T`, `U`, ...). */
  float32(name: string): NativeAttr;
  float(name: string, value: number): NativeAttr;
  bool(name: string, value: boolean): NativeAttr;
  string(name: string, value: string): NativeAttr;
}

/** libtensorflow's ops when the active backend is tfjs-node's; undefined on any other. */
export function nativeOps(): NativeOps | undefined {
  if (tf.getBackend() !== 'tensorflow') return undefined;
  const backend: unknown = tf.backend();
  if (!isNodeBackend(backend)) return undefined;
  const b = backend.binding;
  return {
    run: (op, attrs, inputs, outputs) => (outputs === 1 ? [backend.executeSingleOutput(op, [...attrs], inputs)] : backend.executeMultipleOutputs(op, [...attrs], inputs, outputs)),
    float32: (name) => ({ name, type: b.TF_ATTR_TYPE, value: b.TF_FLOAT }),
    float: (name, value) => ({ name, type: b.TF_ATTR_FLOAT, value }),
    bool: (name, value) => ({ name, type: b.TF_ATTR_BOOL, value }),
    string: (name, value) => ({ name, type: b.TF_ATTR_STRING, value }),
  };
}
