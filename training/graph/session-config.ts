// The ConfigProto the graph engine's sessions start with, serialized by hand: four scalar fields do
// not justify a protobuf library and generated code for TensorFlow's config.proto. Field numbers from
// tensorflow/core/protobuf/config.proto: ConfigProto.intra_op_parallelism_threads = 2,
// inter_op_parallelism_threads = 5, gpu_options = 6 (GPUOptions message), allow_soft_placement = 7;
// GPUOptions.allow_growth = 4. Fields are written in field-number order, as protobuf's own serializer
// does, so the bytes equal Python's ConfigProto(...).SerializeToString() (the unit test holds them).

export interface SessionSettings {
  /** Threads of one op's kernel (0: TensorFlow's default, all cores). */
  intraOp?: number;
  /** Ops run side by side (0: TensorFlow's default). */
  interOp?: number;
  /**
   * Place an op on the CPU when it has no kernel for the device it was given (a variable and the ops
   * colocated with it included), rather than fail: the same graph then runs on CPU and GPU builds.
   */
  allowSoftPlacement?: boolean;
  /**
   * Take GPU memory as it is needed instead of nearly all of it at the first session: several
   * training processes (worker slots, several workers) can share one GPU. GPU memory settings are
   * per process, and the first user of the GPU fixes them; tfjs's own context is usually first, so
   * the backend also sets TF_FORCE_GPU_ALLOW_GROWTH (training/backend.ts).
   */
  allowGrowth?: boolean;
}

function varint(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/** Serialized ConfigProto; fields left at their default are omitted, as protobuf does. */
export function sessionConfig(settings: SessionSettings = {}): Uint8Array {
  const bytes: number[] = [];
  const field = (number: number, wireType: 0 | 2) => varint(bytes, (number << 3) | wireType);
  const count = (number: number, value: number | undefined) => {
    if (value === undefined || value <= 0) return;
    if (!Number.isInteger(value)) throw new Error(`session config: field ${number} must be a whole number, got ${value}`);
    field(number, 0);
    varint(bytes, value);
  };
  count(2, settings.intraOp);
  count(5, settings.interOp);
  if (settings.allowGrowth) {
    field(6, 2);
    varint(bytes, 2); // the GPUOptions message's length: allow_growth's tag and value
    bytes.push((4 << 3) | 0, 1);
  }
  if (settings.allowSoftPlacement) {
    field(7, 0);
    bytes.push(1);
  }
  return Uint8Array.from(bytes);
}

/** What the graph engine's training sessions use: soft placement and GPU memory on demand. */
export function trainingSessionConfig(threads: { intraOp: number; interOp: number }): Uint8Array {
  return sessionConfig({ ...threads, allowSoftPlacement: true, allowGrowth: true });
}
