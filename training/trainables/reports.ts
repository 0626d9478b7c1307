// What a trainable reported, kept durably beside its checkpoints: every accepted epoch is appended to
// `<job>/.tuneflow/reports.jsonl` before it is passed on (logged to MLflow). A retried segment replays
// the epochs a killed attempt already reported and ignores them when the resumed code reports them
// again, so no epoch is logged twice and the workflow sees each epoch once.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TrainableError, TrainingDivergedError } from '../errors';
import type { EpochResult } from '../types';

/** A trainable's folders inside its job folder: its own checkpoints, its artifacts, and tuneflow's files. */
export function trainableDirs(jobDir: string) {
  const own = join(jobDir, '.tuneflow');
  return {
    checkpoints: join(jobDir, 'checkpoints'),
    artifacts: join(jobDir, 'artifacts'),
    own,
    reports: join(own, 'reports.jsonl'),
    trialFile: join(own, 'trial.json'),
    results: join(own, 'results.jsonl'),
    log: join(own, 'output.log'),
  };
}

/** One line a program wrote: an epoch's metrics, or (no epoch) final metrics. */
export interface ResultLine {
  epoch?: number;
  metrics: Record<string, number>;
}

const NON_FINITE: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

/**
 * Parses `{"epoch": 3, "metrics": {...}}`. Python's json writes NaN and Infinity bare, which JSON does not
 * allow: they are read as numbers so the trial fails as diverged rather than as garbage.
 */
export function parseResultLine(text: string, where: string): ResultLine {
  const bad = (why: string) => new TrainableError(`${where}: ${why}; expected a line like {"epoch": 3, "metrics": {"val_accuracy": 0.91}} (got ${JSON.stringify(text.slice(0, 200))})`);
  let parsed: unknown;
  try {
    const quoted = text.replace(/(?<=[:[,]\s*)(-?Infinity|NaN)(?=\s*[,}\]])/g, '"\\u0000$1"');
    parsed = JSON.parse(quoted, (_key, value: unknown) => (typeof value === 'string' && value.startsWith('\u0000') ? NON_FINITE[value.slice(1)] : value));
  } catch {
    throw bad('not JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw bad('not a JSON object');
  const { epoch, metrics, ...rest } = parsed as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw bad(`unknown field ${Object.keys(rest).map((k) => JSON.stringify(k)).join(', ')}`);
  if (epoch !== undefined && (typeof epoch !== 'number' || !Number.isInteger(epoch) || epoch < 1)) throw bad('"epoch" must be an integer >= 1');
  if (!metrics || typeof metrics !== 'object' || Array.isArray(metrics)) throw bad('"metrics" must be an object of metric name to number');
  for (const [name, value] of Object.entries(metrics)) {
    if (typeof value !== 'number') throw bad(`metric "${name}" is ${JSON.stringify(value)}, not a number`);
  }
  return { ...(epoch === undefined ? {} : { epoch }), metrics: metrics as Record<string, number> };
}

/** Accepts a trainable's epoch reports for (fromEpoch, toEpoch], once each, in order, with the metrics the spec needs. */
export class EpochRecorder {
  private readonly reported = new Map<number, EpochResult>();
  /** Epochs the code reported again after a resume (trained twice): the cost of a kill. */
  repeated = 0;
  private newlyReported = 0;
  private lastReportAt = performance.now();

  private constructor(
    private readonly file: string,
    private readonly fromEpoch: number,
    private readonly toEpoch: number,
    /** Metrics every epoch must have (the objectives' and constraints'). */
    private readonly required: readonly string[],
    /** Who reports, for messages: `trainable.command [python3 train.py]`. */
    private readonly source: string,
  ) {}

  static async open(file: string, range: { fromEpoch: number; toEpoch: number }, required: readonly string[], source: string): Promise<EpochRecorder> {
    const recorder = new EpochRecorder(file, range.fromEpoch, range.toEpoch, required, source);
    await mkdir(join(file, '..'), { recursive: true });
    const text = await readFile(file, 'utf8').catch(() => '');
    // End a torn last line, so the next record starts on a line of its own.
    if (text && !text.endsWith('\n')) await appendFile(file, '\n');
    for (const line of text.split('\n')) {
      // A line cut short by a kill is the last one and was never passed on: skip it.
      if (!line.trim()) continue;
      try {
        const epoch = JSON.parse(line) as EpochResult;
        if (epoch.epoch <= recorder.toEpoch) recorder.reported.set(epoch.epoch, epoch);
      } catch {
        /* torn last line */
      }
    }
    return recorder;
  }

  /** The last epoch reported so far (at least fromEpoch). */
  get lastEpoch(): number {
    let last = this.fromEpoch;
    while (this.reported.has(last + 1)) last += 1;
    return last;
  }

  get complete(): boolean {
    return this.lastEpoch >= this.toEpoch;
  }

  /** Epochs in (fromEpoch, toEpoch] reported so far (by this attempt or a killed earlier one), in order. */
  epochs(): EpochResult[] {
    const out: EpochResult[] = [];
    for (let epoch = this.fromEpoch + 1; epoch <= this.lastEpoch; epoch++) out.push(this.reported.get(epoch)!);
    return out;
  }

  get trainedNow(): number {
    return this.newlyReported;
  }

  /**
   * Checks and records a report; returns the epoch to pass on, or null for one already reported (a resumed
   * trainable repeating itself) or before this segment. Throws for a gap, NaN, or a missing metric.
   */
  async accept(epoch: number, metrics: Record<string, number>): Promise<EpochResult | null> {
    if (epoch <= this.lastEpoch) {
      if (epoch > this.fromEpoch || this.reported.has(epoch)) this.repeated += 1;
      return null;
    }
    if (epoch > this.toEpoch) throw new TrainableError(`${this.source} reported epoch ${epoch}, but this segment trains epochs ${this.fromEpoch + 1}-${this.toEpoch}`);
    if (epoch !== this.lastEpoch + 1) throw new TrainableError(`${this.source} reported epoch ${epoch} before epoch ${this.lastEpoch + 1}`);
    const missing = this.required.filter((name) => !(name in metrics));
    if (missing.length > 0) {
      throw new TrainableError(
        `${this.source} reported epoch ${epoch} without the metric${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} ` +
          `that the objective or constraints need (it reported: ${Object.keys(metrics).join(', ') || 'nothing'})`,
      );
    }
    const nonFinite = Object.keys(metrics).filter((name) => !Number.isFinite(metrics[name]));
    if (nonFinite.length > 0) throw new TrainingDivergedError(epoch, metrics, nonFinite.join(', '));
    const now = performance.now();
    const seconds = (now - this.lastReportAt) / 1000;
    this.lastReportAt = now;
    const result: EpochResult = { epoch, endedAt: Date.now(), seconds, metrics: { epoch_seconds: seconds, ...metrics } };
    await appendFile(this.file, `${JSON.stringify(result)}\n`);
    this.reported.set(epoch, result);
    this.newlyReported += 1;
    return result;
  }

  /** After the code returned: every epoch of the segment must have been reported. */
  finish(): EpochResult[] {
    if (!this.complete) {
      const from = this.lastEpoch + 1;
      const missing = from === this.toEpoch ? `epoch ${from}` : `epochs ${from}-${this.toEpoch}`;
      throw new TrainableError(`${this.source} finished without reporting ${missing} (it must report every epoch from ${this.fromEpoch + 1} to ${this.toEpoch})`);
    }
    return this.epochs();
  }
}
