/**
 * Which operator input slots the ONNX specification marks optional, for the operators this
 * runtime implements. A graph input that only such slots read may be left out of a run: it is
 * then absent, exactly as if the node named '' there (for example an RNN's sequence_lens,
 * initial_h or B, Gemm's C, Clip's min and max, Slice's axes and steps).
 *
 * Slots are 0-based positions in the node's input list.
 */

const OPTIONAL_SLOTS: Readonly<Record<string, readonly number[]>> = {
  RNN: [3, 4, 5], // B, sequence_lens, initial_h
  GRU: [3, 4, 5], // B, sequence_lens, initial_h
  LSTM: [3, 4, 5, 6, 7], // B, sequence_lens, initial_h, initial_c, P
  Gemm: [2], // C
  Clip: [1, 2], // min, max
  Slice: [3, 4], // axes, steps
  Squeeze: [1], // axes
  Split: [1], // split
  Dropout: [1, 2], // ratio, training_mode
  ReduceSum: [1], // axes (opset 13), the other reductions from opset 18
  ReduceMean: [1],
  ReduceMax: [1],
  ReduceMin: [1],
  ReduceProd: [1],
  ReduceSumSquare: [1],
  ReduceLogSumExp: [1],
};

/** Whether input slot `k` of operator `op` may be absent. */
export function isOptionalSlot(op: string, k: number): boolean {
  return OPTIONAL_SLOTS[op]?.includes(k) ?? false;
}
