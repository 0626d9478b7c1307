// The compact form of the trial records a campaign carries across continue-as-new and sends to the
// suggestTrials activity. Temporal warns when a run's input passes 512 KB and refuses it at 2 MB, so
// the records travel column by column:
// numbers as one base64 block of float64s (10.7 characters each, exact, against ~20 as JSON text),
// states as one character each, repeated strings (choices, pruning reasons) through a dictionary, and
// run ids only for trials still running (finished ones never need theirs again). The bound is in
// docs/design-notes.md. Pure code: it runs inside the workflow.
import type { Params, Scalar } from '../search/space-types';
import type { TrialRecord, TrialState } from './record';

export interface PackedTrials {
  format: 'tuneflow.trials.v1';
  count: number;
  /** One character a trial: R running, Z running but paused at a rung, C complete, P pruned, F failed. */
  states: string;
  epochsDone: number[];
  /** Trials whose history ends at another epoch than epochsDone: trial → last epoch in the history. */
  historyEnds: Record<number, number>;
  /** Objectives per epoch (the width of a history row). */
  objectives: number;
  /**
   * One column a parameter, over all trials: `float` columns live in `numbers`; `int` columns as integers;
   * `word` columns (strings, booleans, mixed) as dictionary indices. Absent values: NaN, null and -1.
   */
  columns: { name: string; kind: 'float' | 'int' | 'word'; values?: (number | null)[] }[];
  /** Base64 float64s: per trial its float parameters (column order), then its history rows (epoch 1..end). */
  numbers: string;
  /** Strings used more than once (choices, reasons), indexed by word columns and `reasons`. */
  dictionary: Scalar[];
  /** Per trial the dictionary index of its reason, -1 for none. */
  reasons: number[];
  /** Per trial the dictionary index of its parameter names in their order (JSON), which the records keep. */
  keyOrders: number[];
  /** Values that are not the last history row (a COMPLETE trial's values are, unless listed here). */
  values: Record<number, number[] | null>;
  /** trial → its MLflow run id, for trials that may still log. */
  runIds: Record<number, string>;
  /** trial → its `search.constraints` values, for trials that have them (absent in older packed state). */
  constraints?: Record<number, number[]>;
  /** trial → its tie-break value (val_loss at the last epoch), for trials that have one (absent in older packed state). */
  tieBreaks?: Record<number, number>;
}

const STATE_CODE: Record<string, string> = { RUNNING: 'R', COMPLETE: 'C', PRUNED: 'P', FAIL: 'F' };
const CODE_STATE: Record<string, [TrialState, boolean]> = {
  R: ['RUNNING', false],
  Z: ['RUNNING', true],
  C: ['COMPLETE', false],
  P: ['PRUNED', false],
  F: ['FAIL', false],
};

export function isPacked(trials: unknown): trials is PackedTrials {
  return typeof trials === 'object' && trials !== null && (trials as PackedTrials).format === 'tuneflow.trials.v1';
}

function columnKind(values: (Scalar | undefined)[]): 'float' | 'int' | 'word' {
  const present = values.filter((v) => v !== undefined);
  if (!present.every((v) => typeof v === 'number' && Number.isFinite(v))) return 'word';
  return present.every((v) => Number.isSafeInteger(v)) ? 'int' : 'float';
}

const sameRow = (a: readonly number[] | undefined, b: readonly number[] | null) =>
  a !== undefined && b !== null && a.length === b.length && a.every((v, k) => Object.is(v, b[k]));

/** Trials in their compact form. `unpackTrials(packTrials(t))` gives `t` back, but for finished trials' run ids. */
export function packTrials(trials: readonly TrialRecord[]): PackedTrials {
  // Runs at every suggestion over every trial the campaign has had: loops, not spreads (Math.max(...xs)
  // overflows the stack on long arrays) and no per-trial arrays that only feed another array.
  trials.forEach((t, i) => {
    if (t.number !== i) throw new Error(`trial records must be numbered 0..n-1; record ${i} is trial ${t.number}`);
  });
  const dictionary: Scalar[] = [];
  // Keyed by the value itself: "1" and 1 stay two words, as do NaN and Infinity (JSON text would merge them).
  const dictionaryIndex = new Map<Scalar, number>();
  const word = (value: Scalar) => {
    let i = dictionaryIndex.get(value);
    if (i === undefined) dictionaryIndex.set(value, (i = dictionary.push(value) - 1));
    return i;
  };
  // Parameter names in their order, as a dictionary word, once per distinct order.
  const orderIndex = new Map<string, number>();
  const keyOrder = (params: Params) => {
    const names = Object.keys(params);
    const joined = names.join('\u0000');
    let i = orderIndex.get(joined);
    if (i === undefined) orderIndex.set(joined, (i = word(JSON.stringify(names))));
    return i;
  };
  const names = [...new Set(trials.flatMap((t) => Object.keys(t.params)))].sort();
  const columns: PackedTrials['columns'] = names.map((name) => {
    const values = trials.map((t) => t.params[name]);
    const kind = columnKind(values);
    if (kind === 'float') return { name, kind };
    return { name, kind, values: values.map((v) => (v === undefined ? (kind === 'int' ? null : -1) : kind === 'int' ? (v as number) : word(v))) };
  });
  const floats = columns.filter((c) => c.kind === 'float').map((c) => c.name);
  let objectives = 1;
  const lastEpochs = trials.map((t) => {
    let end = 0;
    for (const epoch in t.history) {
      end = Math.max(end, Number(epoch));
      objectives = Math.max(objectives, t.history[epoch]!.length);
    }
    objectives = Math.max(objectives, t.values?.length ?? 0);
    return end;
  });
  const numbers: number[] = [];
  const packed: PackedTrials = {
    format: 'tuneflow.trials.v1',
    count: trials.length,
    states: trials.map((t) => (t.paused ? 'Z' : STATE_CODE[t.state])).join(''),
    epochsDone: trials.map((t) => t.epochsDone),
    historyEnds: {},
    objectives,
    columns,
    numbers: '',
    dictionary,
    reasons: trials.map((t) => (t.reason === null ? -1 : word(t.reason))),
    keyOrders: trials.map((t) => keyOrder(t.params)),
    values: {},
    runIds: {},
  };
  trials.forEach((t, i) => {
    for (const name of floats) numbers.push((t.params[name] as number | undefined) ?? NaN);
    const end = lastEpochs[i]!;
    if (end !== t.epochsDone) packed.historyEnds[i] = end;
    // Epochs missing from the history are rows of NaN (a trained epoch's objective is never NaN: that trial failed).
    for (let epoch = 1; epoch <= end; epoch++) {
      const values = t.history[epoch];
      for (let k = 0; k < objectives; k++) numbers.push(values?.[k] ?? NaN);
    }
    const implied = t.state === 'COMPLETE' ? (t.history[end] ?? null) : null;
    if (!(t.values === implied || sameRow(t.history[end], t.values))) packed.values[i] = t.values;
    if (t.state === 'RUNNING' && t.runId !== null) packed.runIds[i] = t.runId;
    if (t.constraints) (packed.constraints ??= {})[i] = t.constraints;
    if (t.tieBreak !== undefined) (packed.tieBreaks ??= {})[i] = t.tieBreak;
  });
  packed.numbers = encodeFloat64(numbers);
  return packed;
}

export function unpackTrials(packed: PackedTrials): TrialRecord[] {
  const numbers = decodeFloat64Array(packed.numbers);
  let at = 0;
  const floats = packed.columns.filter((c) => c.kind === 'float');
  const others = packed.columns.filter((c) => c.kind !== 'float');
  // Parameter orders are few (one per shape of the space): parsed once each.
  const orders = new Map<number, string[]>();
  const orderOf = (index: number) => {
    let names = orders.get(index);
    if (names === undefined) orders.set(index, (names = JSON.parse(String(packed.dictionary[index])) as string[]));
    return names;
  };
  const trials: TrialRecord[] = [];
  for (let i = 0; i < packed.count; i++) {
    const [state, paused] = CODE_STATE[packed.states[i]!]!;
    const params: Params = {};
    for (const c of floats) {
      const v = numbers[at++]!;
      if (!Number.isNaN(v)) params[c.name] = v;
    }
    for (const c of others) {
      const v = c.values?.[i];
      if (c.kind === 'int' && v !== null && v !== undefined) params[c.name] = v;
      if (c.kind === 'word' && v !== null && v !== undefined && v >= 0) params[c.name] = packed.dictionary[v]!;
    }
    const epochsDone = packed.epochsDone[i]!;
    const end = packed.historyEnds[i] ?? epochsDone;
    const history: Record<number, number[]> = {};
    for (let epoch = 1; epoch <= end; epoch++) {
      const row = trimmed(numbers, at, at + packed.objectives);
      at += packed.objectives;
      if (row.length > 0) history[epoch] = row;
    }
    const values = i in packed.values ? packed.values[i]! : state === 'COMPLETE' ? (history[end] ?? null) : null;
    const reason = packed.reasons[i]!;
    const ordered: Params = {};
    for (const name of orderOf(packed.keyOrders[i]!)) ordered[name] = params[name]!;
    const constraints = packed.constraints?.[i];
    const tieBreak = packed.tieBreaks?.[i];
    trials.push({
      number: i,
      params: ordered,
      state,
      runId: packed.runIds[i] ?? null,
      epochsDone,
      history,
      values,
      reason: reason < 0 ? null : String(packed.dictionary[reason]),
      paused,
      ...(constraints ? { constraints } : {}),
      ...(tieBreak !== undefined ? { tieBreak } : {}),
    });
  }
  return trials;
}

/** `numbers[from..to)` as a history row, without the NaN padding at its end (an all-NaN row is empty). */
function trimmed(numbers: Float64Array, from: number, to: number): number[] {
  let end = to;
  while (end > from && Number.isNaN(numbers[end - 1])) end--;
  const row: number[] = [];
  for (let k = from; k < end; k++) row.push(numbers[k]!); // a loop: a subarray per row costs more than the row
  return row;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 of the numbers as little-endian float64 (no Buffer or btoa inside the workflow sandbox). */
export function encodeFloat64(values: readonly number[]): string {
  const bytes = new Uint8Array(new Float64Array(values).buffer);
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]!;
    out += i + 1 < bytes.length ? ALPHABET[(n >> 6) & 63]! : '=';
    out += i + 2 < bytes.length ? ALPHABET[n & 63]! : '=';
  }
  return out;
}

export function decodeFloat64(text: string): number[] {
  return Array.from(decodeFloat64Array(text));
}

/** Sextet of each base64 character code, -1 for others. */
const SEXTETS = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

function decodeFloat64Array(text: string): Float64Array {
  let length = text.length;
  while (length > 0 && text.charCodeAt(length - 1) === 61 /* = */) length--;
  const bytes = new Uint8Array(Math.floor((length * 3) / 4));
  let bits = 0;
  let buffer = 0;
  let j = 0;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? SEXTETS[code]! : -1;
    if (v < 0) throw new Error(`packed trials: bad base64 character ${JSON.stringify(text[i])}`);
    buffer = ((buffer << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[j++] = (buffer >> bits) & 0xff;
    }
  }
  return new Float64Array(bytes.buffer, 0, Math.floor(j / 8));
}
