/**
 * RecurrentLayer: the sequence driver shared by `simpleRNN`, `lstm` and `gru`, written once.
 * A cell family supplies its weights' shapes, the projection of the inputs, one step, and (when
 * its configuration allows) its weights in the fused kernel's layout; the driver handles
 * returnSequences, returnState, goBackwards, masking, stateful, dropout and recurrentDropout,
 * and chooses between the fused kernel and the per-step path.
 *
 * Shapes (N batch, T time, F features, U units):
 *   input            (N, T, F)
 *   output           returnSequences ? (N, T, U) : (N, U)  — the hidden state h at every step,
 *                    or after the last step
 *   returnState      adds the final states: [output, h] (simpleRNN, gru), [output, h, c] (lstm),
 *                    each (N, U)
 *   initialState     the same list of states, each (N, U) (default zeros)
 * Traps (all as in Keras):
 *   - with `goBackwards`, the sequence output is in reversed time order: output[:, 0] is the
 *     step that read the LAST input;
 *   - with a mask, a masked step keeps the state and repeats the previous output, so
 *     `output[:, -1]` is each sequence's final state even when it was padded (`h` equals it);
 *   - a stateful layer starts each call from the previous call's final states (batch row i
 *     continues row i) until `resetStates()`.
 *
 * Kernel choice (`implementation`): 'auto' (default) uses the fused kernel when the layer maps
 * onto it (the default activations, no recurrent dropout while training, a mask that is
 * padding at one end of each row; GRU with resetAfter) and the per-step path otherwise;
 * 'fused' throws a ValueError saying why it cannot run; 'loop' always steps (the oracle).
 */
import { ShapeError, ValueError } from '../../errors.js';
import { dropout as dropoutOp } from '../../nn/dropout.js';
import { type CellFamily, FAMILIES, inversePermutation } from '../../families.js';
import { where } from '../../tensor/ops/elementwise.js';
import { concat, stack } from '../../tensor/ops/layout.js';
import type { Generator } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Activation } from '../activations.js';
import { positiveInteger, rate } from '../core.js';
import type { Initializer } from '../initializers.js';
import { type Arity, type CallContext, firstMask, Layer, type LayerOptions, type Mask } from '../layer.js';
import { formatSymbolicShape, type SymbolicShape } from '../shape.js';
import { type FusedWeights, maskLayout, runFusedPath, type StepResults } from './fused-path.js';

/** Which kernel runs the steps; see the file comment. */
export type Implementation = 'auto' | 'fused' | 'loop';

/** Options shared by simpleRNN, lstm and gru (Keras's names and defaults). */
export interface RecurrentLayerOptions extends LayerOptions {
  /** Features of the hidden state (U). */
  units: number;
  /** Activation of the candidate state (and of the LSTM's cell output). Default 'tanh'. */
  activation?: Activation;
  /** Add biases (default true). */
  useBias?: boolean;
  /** Return the output at every step `(N, T, U)` instead of the last one `(N, U)` (default false). */
  returnSequences?: boolean;
  /** Also return the final states (default false): `[output, h]`, or `[output, h, c]` for LSTM. */
  returnState?: boolean;
  /** Read the sequence from the last step to the first; the sequence output is reversed too (default false). */
  goBackwards?: boolean;
  /** Start each call from the previous call's final states (default false); see `resetStates()`. */
  stateful?: boolean;
  /** Fraction of the input's features dropped in training, the same mask at every step (default 0). */
  dropout?: number;
  /** Fraction of the recurrent state's features dropped in training, the same mask at every step (default 0). */
  recurrentDropout?: number;
  /** Default 'glorotUniform'. */
  kernelInitializer?: Initializer;
  /** Default 'orthogonal'. */
  recurrentInitializer?: Initializer;
  /** Default 'zeros'. */
  biasInitializer?: Initializer;
  /** Kernel choice (default 'auto'). */
  implementation?: Implementation;
  /** Generator for the initial weights and dropout masks (default: the global one). */
  generator?: Generator;
}

/** One step: input projection of this step (N, G*U) and states [h, ...] (h after recurrent dropout) -> new states. */
export type StepFunction = (xt: Tensor, states: Tensor[]) => Tensor[];

export abstract class RecurrentLayer<A extends Arity = Arity> extends Layer<A> {
  readonly units: number;
  readonly activation: Activation;
  readonly useBias: boolean;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly stateful: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly implementation: Implementation;
  kernel: Tensor | null = null;
  recurrentKernel: Tensor | null = null;
  bias: Tensor | null = null;
  protected override readonly acceptsInitialState = true;
  /** The options given, to clone the layer (bidirectional). */
  protected readonly options: RecurrentLayerOptions;
  private heldStates: Tensor[] | null = null;
  /** Which path the last call took, for tests and `explain`. */
  lastPath: 'fused' | 'loop' | null = null;

  /** The cell family: its row in the table of src/families.ts gives the gates and states. */
  abstract readonly family: CellFamily;

  /** Gate blocks in the kernels (the family's: 1, 4 or 3). */
  protected get gates(): number {
    return FAMILIES[this.family].gates;
  }

  /** Names of the states (the family's): ['h'] or ['h', 'c']. */
  protected get stateNames(): readonly string[] {
    return FAMILIES[this.family].states;
  }

  /**
   * `t`'s gate blocks along `dim` (each `units` wide) from Keras's order to PyTorch's (the
   * family's `kerasOrder`), for the fused kernel. Returns `t` itself when the orders agree.
   */
  protected kerasToTorchBlocks(t: Tensor, dim: number): Tensor {
    const { kerasOrder } = FAMILIES[this.family];
    if (kerasOrder.every((g, j) => g === j)) return t;
    const U = this.units;
    return concat(
      inversePermutation(kerasOrder).map((k) => t.slice(dim, k * U, (k + 1) * U)),
      dim,
    );
  }

  constructor(options: RecurrentLayerOptions) {
    super(options);
    this.options = { ...options };
    this.units = positiveInteger(this.name, 'units', options?.units);
    this.activation = options.activation ?? 'tanh';
    this.useBias = options.useBias ?? true;
    this.returnSequences = options.returnSequences ?? false;
    this.returnState = options.returnState ?? false;
    this.goBackwards = options.goBackwards ?? false;
    this.stateful = options.stateful ?? false;
    this.dropout = rate(this.name, 'dropout', options.dropout ?? 0);
    this.recurrentDropout = rate(this.name, 'recurrentDropout', options.recurrentDropout ?? 0);
    this.implementation = options.implementation ?? 'auto';
    if (!['auto', 'fused', 'loop'].includes(this.implementation)) {
      throw new ValueError(
        this.name,
        `implementation must be 'auto', 'fused' or 'loop', got ${String(this.implementation)}`,
      );
    }
    if (options.generator) this.generator = options.generator;
    this.supportsMasking = true;
    this.inputSpec = { rank: 3, rankText: '3 (batch, time, features)' };
  }

  /** Number of states: 1 ([h]) or 2 ([h, c]). */
  get stateCount(): number {
    return this.stateNames.length;
  }

  /** A copy of this layer's configuration with some options changed (new weights). */
  abstract cloneWith(overrides: Partial<RecurrentLayerOptions>): RecurrentLayer;

  /** Shape of `bias`. */
  protected abstract biasShape(): number[];
  /** Initial value of `bias` (LSTM's unitForgetBias). */
  protected biasInitializer(): Initializer {
    return this.options.biasInitializer ?? 'zeros';
  }
  /** The input bias part of `bias`, (G*U), or null. */
  protected abstract inputBias(): Tensor | null;
  /** The step function for this call (weights sliced once). */
  protected abstract stepFunction(): StepFunction;
  /** The weights in the fused kernel's layout, or why this configuration cannot use it. */
  protected abstract fusedWeights(): FusedWeights | string;

  override build(inputShape: SymbolicShape | readonly SymbolicShape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as SymbolicShape;
    const features = shape[2];
    if (shape.length !== 3 || features === null || features === undefined) {
      throw new ValueError(
        this.name,
        `needs input (batch, time, features) with known features, got ${formatSymbolicShape(shape)}`,
      );
    }
    const width = this.gates * this.units;
    this.kernel = this.addWeight('kernel', [features, width], this.options.kernelInitializer ?? 'glorotUniform');
    this.recurrentKernel = this.addWeight(
      'recurrent_kernel',
      [this.units, width],
      this.options.recurrentInitializer ?? 'orthogonal',
    );
    if (this.useBias) this.bias = this.addWeight('bias', this.biasShape(), this.biasInitializer());
    this.inputSpec = { rank: 3, rankText: '3 (batch, time, features)', sizes: { 2: features } };
  }

  override computeOutputShape(inputShape: SymbolicShape | readonly SymbolicShape[]): SymbolicShape | SymbolicShape[] {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as SymbolicShape;
    const [batch, time] = [shape[0] ?? null, shape[1] ?? null];
    const output = this.returnSequences ? [batch, time, this.units] : [batch, this.units];
    return this.returnState ? [output, ...this.stateNames.map(() => [batch, this.units])] : output;
  }

  /** The output keeps the input's mask when returning sequences; states have none. */
  override computeMask(_inputs: Tensor | Tensor[], mask: Mask | Mask[]): Mask | Mask[] {
    const output = this.returnSequences ? firstMask(mask) : null;
    return this.returnState ? [output, ...this.stateNames.map(() => null)] : output;
  }

  /** The states a stateful layer carries into its next call (copies), or null before the first call. */
  getStates(): Tensor[] | null {
    return this.heldStates ? this.heldStates.map((s) => s.clone()) : null;
  }

  /**
   * Stateful layers: the next call starts from zeros (no argument) or from `states`, each
   * `(batch, units)`.
   */
  resetStates(states?: readonly Tensor[]): void {
    if (!this.stateful)
      throw new ValueError(this.name, 'resetStates() is only for stateful layers (create it with stateful: true)');
    if (states === undefined) {
      this.heldStates = this.heldStates
        ? this.heldStates.map((s) => new Tensor(new Float32Array(s.size), s.shape))
        : null;
      return;
    }
    const batch = states[0]?.shape[0] ?? 0;
    this.heldStates = this.checkStates(states, batch).map((s) => s.detach());
  }

  override call(inputs: Tensor | Tensor[], context: CallContext): Tensor | Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const x = list[0]!;
    const [batch, time] = x.shape as [number, number];
    const states = this.initialStates(list.slice(1), batch);
    let mask = firstMask(context.mask);
    if (mask && (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== time)) {
      throw new ShapeError({
        where: this.name,
        what: 'mask shape',
        expected: [batch, time],
        actual: mask.shape,
        hint: 'a mask is (batch, time)',
      });
    }
    const layout = maskLayout(mask, this.goBackwards);
    if (layout.kind === 'none') mask = null;

    let xIn = x;
    if (context.training && this.dropout > 0) {
      const keep = dropoutOp(
        new Tensor(new Float32Array(batch * x.shape[2]!).fill(1), [batch, 1, x.shape[2]!]),
        this.dropout,
        true,
        this.generator,
      );
      xIn = x.mul(keep);
    }
    const recurrentMask =
      context.training && this.recurrentDropout > 0
        ? dropoutOp(
            new Tensor(new Float32Array(batch * this.units).fill(1), [batch, this.units]),
            this.recurrentDropout,
            true,
            this.generator,
          )
        : null;

    const fused = this.fusedWeights();
    const reason =
      typeof fused === 'string'
        ? fused
        : recurrentMask
          ? 'recurrentDropout is active in training'
          : layout.kind === 'other'
            ? layout.reason
            : null;
    if (this.implementation === 'fused' && reason !== null) {
      throw new ValueError(
        this.name,
        `implementation 'fused' cannot run: ${reason}; use 'auto' to fall back to the per-step path`,
      );
    }
    const useFused = this.implementation !== 'loop' && reason === null;
    this.lastPath = useFused ? 'fused' : 'loop';
    const result = useFused
      ? runFusedPath({
          weights: fused as FusedWeights,
          x: xIn,
          states,
          layout,
          mask,
          goBackwards: this.goBackwards,
          needSequence: this.returnSequences,
        })
      : this.runSteps(xIn, states, mask, recurrentMask);

    if (this.stateful) this.heldStates = result.states.map((s) => s.detach());
    const output = this.returnSequences ? result.sequence! : result.states[0]!;
    return this.returnState ? [output, ...result.states] : output;
  }

  /** The per-step path: one step function call per time step, masks applied with `where`. */
  private runSteps(x: Tensor, initial: Tensor[], mask: Tensor | null, recurrentMask: Tensor | null): StepResults {
    const [batch, time, features] = x.shape as [number, number, number];
    const width = this.gates * this.units;
    let projected = x.reshape([batch * time, features]).matmul(this.kernel!);
    const inputBias = this.inputBias();
    if (inputBias) projected = projected.add(inputBias);
    projected = projected.reshape([batch, time, width]);
    const step = this.stepFunction();
    let states = initial;
    const outputs: Tensor[] = [];
    for (let s = 0; s < time; s++) {
      const t = this.goBackwards ? time - 1 - s : s;
      const recurrent = recurrentMask ? [states[0]!.mul(recurrentMask), ...states.slice(1)] : states;
      let next = step(projected.select(1, t), recurrent);
      if (mask) {
        const column = new Float32Array(batch);
        for (let b = 0; b < batch; b++) column[b] = mask.data[b * time + t]!;
        if (column.every((v) => v === 0)) next = states;
        else if (!column.every((v) => v !== 0)) {
          const m = new Tensor(column, [batch, 1]);
          next = next.map((n, i) => where(m, n, states[i]!));
        }
      }
      states = next;
      if (this.returnSequences) outputs.push(states[0]!);
    }
    return { sequence: this.returnSequences ? stack(outputs, 1) : null, states };
  }

  /** Given states (checked), else the held states of a stateful layer, else zeros. */
  private initialStates(given: Tensor[], batch: number): Tensor[] {
    if (given.length > 0) return this.checkStates(given, batch);
    if (this.stateful && this.heldStates) {
      const held = this.heldStates[0]!.shape[0]!;
      if (held !== batch) {
        throw new ShapeError({
          where: this.name,
          what: 'batch size of a stateful layer',
          expected: held,
          actual: batch,
          hint: 'a stateful layer continues batch row i from the previous call; keep the batch size fixed or call resetStates() first',
        });
      }
      return this.heldStates;
    }
    return this.stateNames.map(() => new Tensor(new Float32Array(batch * this.units), [batch, this.units]));
  }

  private checkStates(states: readonly Tensor[], batch: number): Tensor[] {
    if (states.length !== this.stateNames.length) {
      throw new ValueError(
        this.name,
        `expects ${this.stateNames.length} initial state(s) [${this.stateNames.join(', ')}], received ${states.length}`,
      );
    }
    states.forEach((s, i) => {
      if (!(s instanceof Tensor) || s.rank !== 2 || s.shape[0] !== batch || s.shape[1] !== this.units) {
        throw new ShapeError({
          where: this.name,
          what: `initial state ${i} (${this.stateNames[i]})`,
          expected: [batch, this.units],
          actual: s instanceof Tensor ? s.shape : String(s),
          hint: 'each state is (batch, units)',
        });
      }
    });
    return [...states];
  }
}
