/**
 * The cell families (RNN, LSTM, GRU): the ONE table of what makes each what it is. Everything
 * else (kernels' kind codes, layer weight shapes, Keras <-> PyTorch and ONNX gate orders, state
 * names, detection from a Keras class name or ONNX op type) derives from it, as PyTorch's
 * `RNNBase` decides `gate_size` once from `mode`.
 *
 * Gate blocks. Every weight here is in PyTorch's layout: `W_ih` `(G*H, inputSize)`, `W_hh`
 * `(G*H, P)`, biases `(G*H)`, with G gate blocks of H rows in the order `torchGates`. The other
 * frameworks' orders are permutations of it: block j of a Keras kernel (or of an ONNX W/R/B)
 * holds PyTorch gate `kerasOrder[j]` (`onnxOrder[j]`).
 *
 * Kernel kinds. A kind is a family plus, for RNN, its nonlinearity (PyTorch's `mode`: RNN_TANH,
 * RNN_RELU, LSTM, GRU); `code` is the number the wasm and native kernels receive. Their
 * constants (`src/wasm/kinds.generated.as`, `native/src/kinds.generated.h`) are written from this
 * table by scripts/build-wasm.mjs and scripts/build-native.mjs, which read the literal between
 * the `table:begin`/`table:end` markers: keep it plain data (no expressions, no types).
 *
 * This module imports nothing, so every layer (backend, nn, layers, onnx, interop) may use it.
 */

/* table:begin */
const TABLE = {
  rnn: {
    // h' = act(W_ih x + b_ih + W_hh h + b_hh)
    torchClass: 'RNN',
    kerasClass: 'SimpleRNN',
    kerasFactory: 'simpleRNN',
    onnxOp: 'RNN',
    torchGates: ['h'],
    kerasOrder: [0],
    onnxOrder: [0],
    onnxActivations: ['Tanh'],
    states: ['h'],
    // floats cached per row and step for backward, in units of H: h'
    cacheBlocks: 1,
    // dh_prev has a path besides W_hh (GRU's z ⊙ h), and dGH differs from dGX
    directHiddenPath: false,
    kinds: { rnn_tanh: { code: 0, nonlinearity: 'tanh' }, rnn_relu: { code: 1, nonlinearity: 'relu' } },
  },
  lstm: {
    // i, f, g, o = σ, σ, tanh, σ of (W_ih x + b_ih + W_hh h + b_hh); c' = f c + i g; h' = o tanh(c')
    torchClass: 'LSTM',
    kerasClass: 'LSTM',
    kerasFactory: 'lstm',
    onnxOp: 'LSTM',
    torchGates: ['i', 'f', 'g', 'o'],
    // Keras i, f, c, o (its c is PyTorch's g)
    kerasOrder: [0, 1, 2, 3],
    // ONNX i, o, f, c
    onnxOrder: [0, 3, 1, 2],
    onnxActivations: ['Sigmoid', 'Tanh', 'Tanh'],
    states: ['h', 'c'],
    // i, f, g, o, tanh(c')
    cacheBlocks: 5,
    directHiddenPath: false,
    kinds: { lstm: { code: 2, nonlinearity: 'tanh' } },
  },
  gru: {
    // r, z = σ(...); n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)); h' = (1 - z) n + z h
    torchClass: 'GRU',
    kerasClass: 'GRU',
    kerasFactory: 'gru',
    onnxOp: 'GRU',
    torchGates: ['r', 'z', 'n'],
    // Keras z, r, h (its h is PyTorch's n)
    kerasOrder: [1, 0, 2],
    // ONNX z, r, h
    onnxOrder: [1, 0, 2],
    onnxActivations: ['Sigmoid', 'Tanh'],
    states: ['h'],
    // r, z, n, (W_hn h + b_hn)
    cacheBlocks: 4,
    directHiddenPath: true,
    kinds: { gru: { code: 3, nonlinearity: 'tanh' } },
  },
} as const;
/* table:end */

/** A cell family: PyTorch's nn.RNN (Keras SimpleRNN), nn.LSTM, nn.GRU. */
export type CellFamily = keyof typeof TABLE;

/** A kernel kind: a family plus, for RNN, its nonlinearity (PyTorch's `mode`). */
export type CellKind = { [F in CellFamily]: keyof (typeof TABLE)[F]['kinds'] }[CellFamily];

/** One family's row of the table. */
export interface FamilySpec {
  readonly family: CellFamily;
  /** PyTorch's class name (nn.RNN, nn.LSTM, nn.GRU), also the name of our nn modules. */
  readonly torchClass: 'RNN' | 'LSTM' | 'GRU';
  /** Keras's (and TF.js's) layer class name. */
  readonly kerasClass: 'SimpleRNN' | 'LSTM' | 'GRU';
  /** The `layers` factory that makes the Keras-style layer. */
  readonly kerasFactory: 'simpleRNN' | 'lstm' | 'gru';
  /** The ONNX operator. */
  readonly onnxOp: 'RNN' | 'LSTM' | 'GRU';
  /** Gate blocks G in W_ih / W_hh: weights are `(G*H, ·)`. */
  readonly gates: number;
  /** PyTorch's gate names in its block order (the layout of every weight here). */
  readonly torchGates: readonly string[];
  /** Keras block j holds PyTorch gate `kerasOrder[j]`. */
  readonly kerasOrder: readonly number[];
  /** ONNX block j (of W, R, B) holds PyTorch gate `onnxOrder[j]`. */
  readonly onnxOrder: readonly number[];
  /** ONNX's default `activations` for one direction. */
  readonly onnxActivations: readonly string[];
  /** The recurrent states, in the order layers take and return them (`h`, and `c` for LSTM). */
  readonly states: readonly ('h' | 'c')[];
  /** Whether there is a cell state c besides h. */
  readonly hasCell: boolean;
  /** Floats cached per batch row and step for backward, in units of H. */
  readonly cacheBlocks: number;
  /**
   * Whether the step's gradient reaches h_prev other than through W_hh (GRU's z ⊙ h). When it
   * does not, the kernels' dGX and dGH are equal and the driver may share one array for both.
   */
  readonly directHiddenPath: boolean;
  /** The kernel kinds of this family. */
  readonly kinds: readonly CellKind[];
}

/** One kernel kind's row. */
export interface KindSpec {
  readonly kind: CellKind;
  readonly family: CellFamily;
  /** The number the wasm and native kernels receive. */
  readonly code: number;
  readonly nonlinearity: 'tanh' | 'relu';
  /** Gate blocks G (the family's). */
  readonly gates: number;
  /** Floats cached per batch row and step, in units of H (the family's). */
  readonly cacheBlocks: number;
}

/** Every family, in the order CLIs and docs list them. */
export const CELL_FAMILIES: readonly CellFamily[] = Object.keys(TABLE) as CellFamily[];

function familyRow(family: CellFamily): FamilySpec {
  const row = TABLE[family];
  return {
    family,
    torchClass: row.torchClass,
    kerasClass: row.kerasClass,
    kerasFactory: row.kerasFactory,
    onnxOp: row.onnxOp,
    gates: row.torchGates.length,
    torchGates: row.torchGates,
    kerasOrder: row.kerasOrder,
    onnxOrder: row.onnxOrder,
    onnxActivations: row.onnxActivations,
    states: row.states,
    hasCell: (row.states as readonly string[]).includes('c'),
    cacheBlocks: row.cacheBlocks,
    directHiddenPath: row.directHiddenPath,
    kinds: Object.keys(row.kinds) as CellKind[],
  };
}

/** The table, by family. */
export const FAMILIES: Readonly<Record<CellFamily, FamilySpec>> = Object.freeze(
  Object.fromEntries(CELL_FAMILIES.map((f) => [f, Object.freeze(familyRow(f))])) as Record<CellFamily, FamilySpec>,
);

/** The kernel kinds, by name. */
export const CELL_KINDS: Readonly<Record<CellKind, KindSpec>> = Object.freeze(
  Object.fromEntries(
    CELL_FAMILIES.flatMap((family) =>
      Object.entries(TABLE[family].kinds as Record<string, { code: number; nonlinearity: 'tanh' | 'relu' }>).map(
        ([kind, k]) => [
          kind,
          Object.freeze({
            kind: kind as CellKind,
            family,
            code: k.code,
            nonlinearity: k.nonlinearity,
            gates: FAMILIES[family].gates,
            cacheBlocks: FAMILIES[family].cacheBlocks,
          }),
        ],
      ),
    ),
  ) as Record<CellKind, KindSpec>,
);

/** Number of gate blocks in W_ih/W_hh for a kernel kind or family. */
export function gateCount(kindOrFamily: CellKind | CellFamily): number {
  return (CELL_KINDS[kindOrFamily as CellKind] ?? FAMILIES[kindOrFamily as CellFamily]).gates;
}

/** Floats cached per batch row per step for backward. */
export function cacheWidth(kind: CellKind, hidden: number): number {
  return CELL_KINDS[kind].cacheBlocks * hidden;
}

/** The kernel kind of a family (`nonlinearity` chooses RNN's; the others have one). */
export function kindOf(family: CellFamily, nonlinearity: 'tanh' | 'relu' = 'tanh'): CellKind {
  const kind = FAMILIES[family].kinds.find((k) => CELL_KINDS[k].nonlinearity === nonlinearity);
  if (kind === undefined) throw new RangeError(`${FAMILIES[family].torchClass} has no ${nonlinearity} kernel`);
  return kind;
}

/** The family of a Keras/TF.js layer class name (`SimpleRNN`, `LSTM`, `GRU`), else null. */
export function familyOfKerasClass(className: string): CellFamily | null {
  return CELL_FAMILIES.find((f) => FAMILIES[f].kerasClass === className) ?? null;
}

/** The family of an ONNX op type (`RNN`, `LSTM`, `GRU`), else null. */
export function familyOfOnnxOp(opType: string): CellFamily | null {
  return CELL_FAMILIES.find((f) => FAMILIES[f].onnxOp === opType) ?? null;
}

/** The family of a PyTorch module class name (`RNN`, `LSTM`, `GRU`), else null. */
export function familyOfTorchClass(className: string): CellFamily | null {
  return CELL_FAMILIES.find((f) => FAMILIES[f].torchClass === className) ?? null;
}

/** `p` inverted: `inverse[p[j]] = j` (e.g. "PyTorch gate g is ONNX block inverse[g]"). */
export function inversePermutation(p: readonly number[]): number[] {
  const out = new Array<number>(p.length);
  p.forEach((to, j) => {
    out[to] = j;
  });
  return out;
}
