/** The `reference` backend: plain TypeScript loops, the oracle every faster backend is tested against. */
import { type Backend, registerBackend } from '../backend.js';
import { referenceCellBackward, referenceCellForward } from './cells.js';
import { referenceColumnSums, referenceGemm, referenceGemmPacked, referencePackB } from './gemm.js';

export const referenceBackend: Backend = {
  name: 'reference',
  gemm: referenceGemm,
  packB: referencePackB,
  gemmPacked: referenceGemmPacked,
  columnSums: referenceColumnSums,
  cellForward: referenceCellForward,
  cellBackward: referenceCellBackward,
};

registerBackend('reference', () => referenceBackend);
