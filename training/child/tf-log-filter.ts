// TensorFlow's C library logs through absl. What it logs before absl's logging is initialized (the oneDNN
// notice at library load, and absl's own "WARNING: All log messages before absl::InitializeLog() ...")
// ignores TF_CPP_MIN_LOG_LEVEL and goes straight to stderr. A training child's stderr passes through this
// filter on its way to the worker's console: lines below the level the environment asks for are dropped,
// as TensorFlow drops them once its logging is up. Everything else passes unchanged.
import { StringDecoder } from 'node:string_decoder';

/** TF_CPP_MIN_LOG_LEVEL as TensorFlow reads it (0 INFO, 1 WARNING, 2 ERROR, 3 FATAL); the backend sets 1 when unset. */
export function tfMinLogLevel(env: NodeJS.ProcessEnv = process.env): number {
  const level = Number(env.TF_CPP_MIN_LOG_LEVEL ?? 1);
  return Number.isInteger(level) ? level : 1;
}

const SEVERITY: Record<string, number> = { I: 0, W: 1, E: 2, F: 3 };
/** absl's prefix `I0000 00:00:1796526935.772157   16647 port.cc:153] ` (before init the date is zero). */
const ABSL_LINE = /^([IWEF])\d{4} [\d:.]+ +\d+ [\w./-]+:\d+\] /;
/** TensorFlow's older prefix `2024-05-01 10:00:00.000000: I tensorflow/core/...`. */
const TF_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: ([IWEF]) (?:tensorflow|external|third_party)\//;
const ABSL_PREAMBLE = 'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR';

/** Whether TensorFlow would have dropped this line at `level`. */
export function belowTfLogLevel(line: string, level: number): boolean {
  if (line.startsWith(ABSL_PREAMBLE)) return level >= 1;
  const severity = ABSL_LINE.exec(line)?.[1] ?? TF_LINE.exec(line)?.[1];
  return severity !== undefined && SEVERITY[severity]! < level;
}

/** Filters a stream chunk by chunk; a line split across chunks is held until its end arrives. */
export class TfLogFilter {
  private partial = '';
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly level = tfMinLogLevel()) {}

  /** The chunk's complete lines that pass (each with its newline). */
  push(chunk: Buffer | string): string {
    const lines = (this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk))).split('\n');
    this.partial = lines.pop()!;
    return lines.filter((line) => !belowTfLogLevel(line, this.level)).map((line) => `${line}\n`).join('');
  }

  /** What is left at the end of the stream. */
  flush(): string {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    return rest !== '' && !belowTfLogLevel(rest, this.level) ? rest : '';
  }
}
