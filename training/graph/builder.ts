// A small typed layer over the addon's addOp: named ops, constants, placeholders and the handful of
// attribute spellings the engine needs. Type attributes (T) are inferred by TensorFlow from inputs.
import type { Attr, DType, EngineHandle, GraphAddon, HostTensor, Output } from './native';

export function hostTensor(dtype: DType, shape: number[], values: ArrayLike<number>): HostTensor {
  if (dtype === 'float32') return { dtype, shape, data: Float32Array.from(values) };
  if (dtype === 'int32') return { dtype, shape, data: Int32Array.from(values) };
  if (dtype === 'int64') return { dtype, shape, data: BigInt64Array.from(Array.from(values, (v) => BigInt(v))) };
  return { dtype, shape, data: Uint8Array.from(values) };
}

export class GraphBuilder {
  private count = 0;
  constructor(
    readonly addon: GraphAddon,
    readonly handle: EngineHandle,
  ) {}

  /** Adds an op; the name is unique within the graph (`scope/type_n`). */
  op(type: string, inputs: (Output | { list: Output[] })[], attrs: Record<string, Attr> = {}, control: number[] | null = null, scope = 'g'): number {
    return this.addon.addOp(this.handle, type, `${scope}/${type}_${this.count++}`, inputs, attrs, control);
  }

  /** The first output of a new op. */
  out(type: string, inputs: (Output | { list: Output[] })[], attrs: Record<string, Attr> = {}, scope = 'g'): Output {
    return [this.op(type, inputs, attrs, null, scope), 0];
  }

  constant(dtype: DType, shape: number[], values: ArrayLike<number>): Output {
    return this.out('Const', [], { dtype: { type: dtype }, value: { tensor: hostTensor(dtype, shape, values) } });
  }

  scalar(value: number): Output {
    return this.constant('float32', [], [value]);
  }

  ints(values: number[]): Output {
    return this.constant('int32', [values.length], values);
  }

  placeholder(dtype: DType, shape: number[] | null, scope = 'feed'): Output {
    return this.out('Placeholder', [], { dtype: { type: dtype }, shape: { shape } }, scope);
  }

  shape(output: Output): number[] | null {
    return this.addon.outputShape(this.handle, output);
  }

  // Element-wise arithmetic, named as in the update rules they spell out.
  add(a: Output, b: Output): Output {
    return this.out('AddV2', [a, b]);
  }
  sub(a: Output, b: Output): Output {
    return this.out('Sub', [a, b]);
  }
  mul(a: Output, b: Output): Output {
    return this.out('Mul', [a, b]);
  }
  div(a: Output, b: Output): Output {
    return this.out('RealDiv', [a, b]);
  }
  unary(type: string, x: Output): Output {
    return this.out(type, [x]);
  }
  /** Sum (Mean, Max) over `axes`. */
  reduce(type: 'Sum' | 'Mean' | 'Max', x: Output, axes: number[], keepDims = false): Output {
    return this.out(type, [x, this.ints(axes)], { keep_dims: { b: keepDims } });
  }
  /** x with a dimension of 1 inserted at `axis`. */
  expandDims(x: Output, axis: number): Output {
    return this.out('ExpandDims', [x, this.constant('int32', [], [axis])]);
  }
  cast(x: Output, to: DType): Output {
    return this.out('Cast', [x], { DstT: { type: to } });
  }
}
