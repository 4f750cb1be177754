/**
 * Registers the `wasm` backend: AssemblyScript kernels compiled with WebAssembly SIMD, embedded
 * as base64 in kernels.generated.ts (written by scripts/build-wasm.mjs), so nothing is read from
 * disk and the same code runs in Node.js and browsers.
 *
 * Two builds are embedded: `relaxed` (relaxed-SIMD FMA in the GEMM tiles) is used when the
 * runtime validates it, else `simd`. On Node.js 20 relaxed SIMD sits behind a V8 flag, which is
 * set here (only in Node, only if validation fails without it; RECURRENT_WASM_RELAXED=0 turns
 * this off). Browsers that disallow synchronous compilation of larger modules on the main thread
 * can `await initWasmBackend()` first; the module is small enough that most do not need it.
 */
import { registerBackend } from '../backend.js';
import { WasmBackend } from './backend.js';
import { WASM_KERNELS } from './kernels.generated.js';

export { WasmBackend } from './backend.js';

/** The WebAssembly API as used here (typed locally: the project's lib has no DOM types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<object>;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

function wasmApi(): WasmApi | undefined {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  return typeof api === 'object' && typeof api.validate === 'function' ? api : undefined;
}

let compiled: { module: object; variant: 'relaxed' | 'simd' } | null = null;

function decode(base64: string): Uint8Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function envFlag(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.[name];
}

/** In Node.js 20, relaxed SIMD needs a V8 flag set before compiling. */
function enableRelaxedInNode(): void {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (!proc?.versions?.node || typeof proc.getBuiltinModule !== 'function') return;
  try {
    const v8 = proc.getBuiltinModule('v8') as { setFlagsFromString(flags: string): void } | undefined;
    v8?.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // Not fatal: the plain SIMD build is used.
  }
}

/** Picks the build this runtime can run; throws an Error saying why none can. */
function chooseBytes(): { bytes: Uint8Array; variant: 'relaxed' | 'simd' } {
  const WebAssembly = wasmApi();
  if (!WebAssembly) throw new Error('this runtime has no WebAssembly');
  if (!WASM_KERNELS.simd) throw new Error(WASM_KERNELS.reason ?? 'the wasm kernels were not built (run `node scripts/build-wasm.mjs`)');
  const simd = decode(WASM_KERNELS.simd);
  if (!WebAssembly.validate(simd)) throw new Error('WebAssembly SIMD is not supported by this runtime');
  if (WASM_KERNELS.relaxed && envFlag('RECURRENT_WASM_RELAXED') !== '0') {
    const relaxed = decode(WASM_KERNELS.relaxed);
    if (WebAssembly.validate(relaxed)) return { bytes: relaxed, variant: 'relaxed' };
    enableRelaxedInNode();
    if (WebAssembly.validate(relaxed)) return { bytes: relaxed, variant: 'relaxed' };
  }
  return { bytes: simd, variant: 'simd' };
}

/**
 * Compiles the kernels asynchronously (for browsers' main threads); afterwards
 * `setBackend('wasm')` / `'auto'` instantiate without compiling. Resolves to the build used.
 */
export async function initWasmBackend(): Promise<'relaxed' | 'simd'> {
  if (!compiled) {
    const { bytes, variant } = chooseBytes();
    compiled = { module: await wasmApi()!.compile(bytes), variant };
  }
  return compiled.variant;
}

/** A new, independent instance of the backend (own memory). */
export function createWasmBackend(): WasmBackend {
  if (!compiled) {
    const { bytes, variant } = chooseBytes();
    compiled = { module: new (wasmApi()!.Module)(bytes), variant };
  }
  const instance = new (wasmApi()!.Instance)(compiled.module, {});
  return new WasmBackend(instance.exports, { variant: compiled.variant });
}

registerBackend('wasm', createWasmBackend);
