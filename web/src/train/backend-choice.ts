/**
 * Picks the kernels for the training worker: the wasm backend (src/backend/wasm) when it is in
 * the source tree and runs in this browser, else the plain TypeScript reference backend.
 *
 * `import.meta.glob` bundles the wasm backend only if its entry file exists when the page is
 * built, so the page builds (and trains, on the reference backend) without it. The entry
 * registers 'wasm' when imported; its `initWasmBackend()` compiles the kernels asynchronously
 * (what browsers prefer), and `setBackend('wasm')` then throws with the reason if they cannot run
 * here (no WebAssembly SIMD, kernels not built).
 */
import { getBackend, setBackend } from '../../../src/browser.js';

const wasmEntries = import.meta.glob('../../../src/backend/wasm/index.ts');

export interface BackendChoice {
  name: string;
  /** Which wasm kernels run, or why wasm is not used. */
  note: string;
}

/** Compiles the kernels; returns the build used ('relaxed' or 'simd'), if the module says. */
async function prepareWasm(module: Record<string, unknown>): Promise<string> {
  const init = module['initWasmBackend'];
  return typeof init === 'function' ? String(await (init as () => Promise<unknown>)()) : '';
}

export async function chooseBackend(): Promise<BackendChoice> {
  let note = 'the wasm backend is not part of this build';
  for (const load of Object.values(wasmEntries)) {
    try {
      const variant = await prepareWasm((await load()) as Record<string, unknown>);
      const backend = setBackend('wasm') as { helperCount?: number };
      const kernels = variant === 'relaxed' ? 'relaxed-SIMD kernels' : variant === 'simd' ? 'SIMD kernels' : '';
      const helpers = backend.helperCount ?? 0;
      // Helper threads need a cross-origin isolated page (shared memory); they start at the
      // first GEMM big enough to split.
      const threads = helpers > 0 ? `, GEMMs on up to ${helpers + 1} threads` : ', one thread';
      return { name: getBackend().name, note: kernels + threads };
    } catch (e) {
      note = `wasm backend unavailable: ${(e as Error).message}`;
    }
  }
  setBackend('reference');
  return { name: getBackend().name, note };
}
