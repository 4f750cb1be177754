// Entry of the WebAssembly kernels module (see scripts/build-wasm.mjs).
export * from './gemm';
export * from './cells';
export * from './steps';
export * from './backward';
export * from './same';
