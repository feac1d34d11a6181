/**
 * The w2s SIMD128 kernels (ml/kernels/wasm-src), instantiated against the
 * memory of a tfjs wasm backend. The module is position-independent: it
 * imports that memory, and its stack and static data live in blocks taken
 * from the backend's own allocator, so kernels read and write tensors where
 * tfjs keeps them, with no copies in or out.
 */
import type * as tf from '@tensorflow/tfjs';
import { KERNELS_WASM_BASE64 } from './kernels-wasm.js';
import { isWasmMemory, wasmApi, type WasmMemory, type WasmModule } from './webassembly.js';

/** What the kernels need from tfjs-backend-wasm's BackendWasm (checked at run time). */
export interface WasmBackendView {
  readonly wasm: {
    readonly asm: { readonly memory: WasmMemory };
    _malloc(bytes: number): number;
    _free(pointer: number): void;
  };
  readonly dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

type Fn = (...args: number[]) => number;

/** The exported entry points (see the C sources for their contracts). */
export interface KernelExports {
  readonly w2s_conv2d: Fn;
  readonly w2s_conv2d_scratch: Fn;
  readonly w2s_conv2d_backprop_input: Fn;
  readonly w2s_conv2d_backprop_input_scratch: Fn;
  readonly w2s_conv2d_backprop_filter: Fn;
  readonly w2s_conv2d_backprop_filter_scratch: Fn;
  readonly [name: string]: Fn;
}

export interface NativeKernels {
  readonly exports: KernelExports;
  /** Byte offset of a tensor's data in the shared memory. */
  address(info: tf.TensorInfo): number;
  /** A scratch block of at least `bytes`, valid until the next call; 16-byte aligned. */
  scratch(bytes: number): number;
  readonly backend: WasmBackendView;
}

const STACK_BYTES = 1 << 20;
let compiled: WasmModule | undefined;
const instances = new WeakMap<object, NativeKernels>();

function compiledModule(): WasmModule {
  compiled ??= new wasmApi.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
  return compiled;
}

export function asWasmBackend(backend: tf.KernelBackend): WasmBackendView {
  const candidate = backend as unknown as Partial<WasmBackendView>;
  if (!isWasmMemory(candidate.wasm?.asm?.memory) || !candidate.wasm || typeof candidate.wasm._malloc !== 'function' || !candidate.dataIdMap) {
    throw new Error('w2s wasm kernels: the active backend is not a single-threaded tfjs wasm backend with an exported memory');
  }
  return candidate as WasmBackendView;
}

/** Static data size and alignment the module asks for (its dylink.0 section). */
function dylinkMemory(module: WasmModule): { size: number; align: number } {
  const [section] = wasmApi.Module.customSections(module, 'dylink.0');
  if (!section) return { size: 0, align: 0 };
  const bytes = new Uint8Array(section);
  let at = 0;
  const leb = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[at++]!;
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value >>> 0;
      shift += 7;
    }
  };
  while (at < bytes.length) {
    const type = bytes[at++]!;
    const length = leb();
    const end = at + length;
    if (type === 1) return { size: leb(), align: 1 << leb() };
    at = end;
  }
  return { size: 0, align: 0 };
}

function instantiate(backend: WasmBackendView): NativeKernels {
  const module = compiledModule();
  const { size, align } = dylinkMemory(module);
  const stackBase = backend.wasm._malloc(STACK_BYTES + 16);
  const dataBase = size > 0 ? backend.wasm._malloc(size + align) : 0;
  const alignedData = size > 0 ? Math.ceil(dataBase / align) * align : 0;
  const env = {
    memory: backend.wasm.asm.memory,
    __indirect_function_table: new wasmApi.Table({ initial: 0, element: 'anyfunc' }),
    __stack_pointer: new wasmApi.Global({ value: 'i32', mutable: true }, (stackBase + STACK_BYTES) & ~15),
    __memory_base: new wasmApi.Global({ value: 'i32', mutable: false }, alignedData),
    __table_base: new wasmApi.Global({ value: 'i32', mutable: false }, 0),
  };
  const instance = new wasmApi.Instance(module, { env });
  const exports = instance.exports as unknown as KernelExports;
  exports.__wasm_apply_data_relocs?.();
  exports.__wasm_call_ctors?.();

  let scratchBase = 0;
  let scratchBytes = 0;
  return {
    exports,
    backend,
    address(info) {
      const data = backend.dataIdMap.get(info.dataId);
      if (!data) throw new Error('w2s wasm kernels: tensor data is not held by this wasm backend');
      return data.memoryOffset;
    },
    scratch(bytes) {
      if (bytes > scratchBytes) {
        if (scratchBase) backend.wasm._free(scratchBase);
        scratchBytes = Math.max(bytes, scratchBytes * 2, 1 << 16);
        scratchBase = backend.wasm._malloc(scratchBytes + 16);
        if (!scratchBase) throw new Error(`w2s wasm kernels: could not allocate ${scratchBytes} bytes of scratch`);
      }
      return (scratchBase + 15) & ~15;
    },
  };
}

/** The kernels bound to `backend`'s memory; instantiated once per backend. */
export function nativeKernels(backend: tf.KernelBackend): NativeKernels {
  let kernels = instances.get(backend);
  if (!kernels) {
    kernels = instantiate(asWasmBackend(backend));
    instances.set(backend, kernels);
  }
  return kernels;
}
