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
import type { WasmMemory } from './heap.js';
import { WASM_KERNELS } from './kernels.generated.js';
import { sharedMemorySupported, wasmThreadCount } from './threads.js';

export { WasmBackend } from './backend.js';

/** The WebAssembly API as used here (typed locally: the project's lib has no DOM types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<object>;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}

function wasmApi(): WasmApi | undefined {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  return typeof api === 'object' && typeof api.validate === 'function' ? api : undefined;
}

type Variant = 'relaxed' | 'simd';
interface Compiled {
  module: object;
  variant: Variant;
  /** Whether the module imports a shared memory (for helper threads). */
  shared: boolean;
}
let compiled: Compiled | null = null;

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
  const proc = (
    globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }
  ).process;
  if (!proc?.versions?.node || typeof proc.getBuiltinModule !== 'function') return;
  try {
    const v8 = proc.getBuiltinModule('v8') as { setFlagsFromString(flags: string): void } | undefined;
    v8?.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // Not fatal: the plain SIMD build is used.
  }
}

/**
 * Whether to use the shared-memory builds: shared memory and workers exist here, more than one
 * thread is wanted (`RECURRENT_WASM_THREADS`, default the CPUs), and the builds exist.
 */
function wantShared(): boolean {
  return wasmThreadCount() > 1 && sharedMemorySupported() && WASM_KERNELS.simdShared !== null;
}

/** Picks the build this runtime can run; throws an Error saying why none can. */
function chooseBytes(): { bytes: Uint8Array; variant: Variant; shared: boolean } {
  const WebAssembly = wasmApi();
  if (!WebAssembly) throw new Error('this runtime has no WebAssembly');
  if (!WASM_KERNELS.simd)
    throw new Error(WASM_KERNELS.reason ?? 'the wasm kernels were not built (run `node scripts/build-wasm.mjs`)');
  const simd = decode(WASM_KERNELS.simd);
  if (!WebAssembly.validate(simd)) throw new Error('WebAssembly SIMD is not supported by this runtime');
  const simdShared = wantShared() ? decode(WASM_KERNELS.simdShared!) : null;
  const shared = simdShared !== null && WebAssembly.validate(simdShared);
  const relaxedBase64 = shared ? WASM_KERNELS.relaxedShared : WASM_KERNELS.relaxed;
  if (relaxedBase64 && envFlag('RECURRENT_WASM_RELAXED') !== '0') {
    const relaxed = decode(relaxedBase64);
    if (WebAssembly.validate(relaxed)) return { bytes: relaxed, variant: 'relaxed', shared };
    enableRelaxedInNode();
    if (WebAssembly.validate(relaxed)) return { bytes: relaxed, variant: 'relaxed', shared };
  }
  return { bytes: shared ? simdShared : simd, variant: 'simd', shared };
}

/**
 * Compiles the kernels asynchronously (for browsers' main threads); afterwards
 * `setBackend('wasm')` / `'auto'` instantiate without compiling. Resolves to the build used.
 */
export async function initWasmBackend(): Promise<Variant> {
  if (!compiled) {
    const { bytes, variant, shared } = chooseBytes();
    compiled = { module: await wasmApi()!.compile(bytes), variant, shared };
  }
  return compiled.variant;
}

/**
 * A new, independent instance of the backend (own memory). Where shared memory exists (Node.js,
 * cross-origin isolated pages) its GEMMs also run on helper worker threads; `close()` stops them.
 */
export function createWasmBackend(): WasmBackend {
  const api = wasmApi();
  if (!compiled) {
    const { bytes, variant, shared } = chooseBytes();
    compiled = { module: new api!.Module(bytes), variant, shared };
  }
  if (!compiled.shared) {
    const instance = new api!.Instance(compiled.module, {});
    return new WasmBackend(instance.exports, { variant: compiled.variant });
  }
  const [initial, maximum] = WASM_KERNELS.sharedPages;
  const memory = new api!.Memory({ initial, maximum, shared: true });
  const instance = new api!.Instance(compiled.module, { env: { memory } });
  return new WasmBackend(
    instance.exports,
    { variant: compiled.variant },
    {
      module: compiled.module,
      memory,
      helpers: wasmThreadCount() - 1,
    },
  );
}

registerBackend('wasm', createWasmBackend);
