/**
 * The slice of the WebAssembly JS API the kernel loader uses. TypeScript's
 * ES libraries leave WebAssembly to the DOM typings, which this Node project
 * does not load; these few declarations keep the loader strictly typed.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

export interface WasmModule {
  readonly __brand: 'WebAssembly.Module';
}

interface WasmApi {
  Module: {
    new (bytes: Uint8Array): WasmModule;
    customSections(module: WasmModule, name: string): ArrayBuffer[];
    imports(module: WasmModule): Array<{ module: string; name: string; kind: string }>;
  };
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  Table: new (descriptor: { initial: number; element: 'anyfunc' }) => unknown;
  Global: new (descriptor: { value: 'i32'; mutable: boolean }, value: number) => unknown;
}

export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export function isWasmMemory(value: unknown): value is WasmMemory {
  return value instanceof (wasmApi.Memory as unknown as new () => object);
}
