// Pure builders: a campaign's trials → one Vega-Lite spec per plot. The data is inlined in the spec
// (`data.values`), so a spec renders anywhere without fetching. Every plot draws the first objective.
import type { TopLevelSpec } from 'vega-lite';
import { bestSoFar, empiricalDistribution } from './analysis';
import type { ReportObjective, ReportParam, ReportRetrain, ReportTrial } from './types';
import { maxOf, minOf } from '../search/math/extremes';

const WIDTH = 560;
const HEIGHT = 300;
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
const STATE_COLORS = { domain: ['COMPLETE', 'PRUNED', 'FAIL', 'RUNNING'], range: ['#4c78a8', '#f58518', '#e45756', '#9d9d9d'] };

/** The value a trial is drawn at: its final value when COMPLETE, else its last intermediate value. */
export function trialValue(t: ReportTrial): number | null {
  if (t.state === 'COMPLETE' && t.values?.[0] !== undefined && Number.isFinite(t.values[0])) return t.values[0];
  const epochs = Object.keys(t.history).map(Number).sort((a, b) => a - b);
  const last = epochs.length ? t.history[epochs[epochs.length - 1]!]?.[0] : undefined;
  return last !== undefined && Number.isFinite(last) ? last : null;
}

/**
 * Optimization history: one point per trial (its value; a pruned trial at its last intermediate value,
 * shape by state), a red vertical tick (mid-height) for a trial without any value (failed before its first epoch), and
 * the best-so-far line over COMPLETE trials.
 */
export function historySpec(trials: readonly ReportTrial[], objective: ReportObjective): TopLevelSpec {
  const points = trials.flatMap((t) => {
    const value = trialValue(t);
    return value === null ? [] : [{ trial: t.number, value, state: t.state }];
  });
  const missing = trials.filter((t) => trialValue(t) === null).map((t) => ({ trial: t.number, state: t.state }));
  const best = bestSoFar(trials, objective.direction);
  const x = { field: 'trial', type: 'quantitative' as const, title: 'trial', axis: { tickMinStep: 1 } };
  return {
    $schema: SCHEMA,
    title: `Optimization history: ${objective.label} (${objective.direction})`,
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values: best },
        mark: { type: 'line', interpolate: 'step-after', color: '#54a24b', strokeWidth: 2 },
        encoding: { x, y: { field: 'best', type: 'quantitative', title: objective.label, scale: { zero: false } } },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: objective.label, scale: { zero: false } },
          color: { field: 'state', type: 'nominal', scale: STATE_COLORS, title: 'state' },
          // The same domain as the colors: one legend for both.
          shape: { field: 'state', type: 'nominal', title: 'state', scale: { domain: STATE_COLORS.domain, range: ['circle', 'square', 'cross', 'diamond'] } },
          tooltip: [{ field: 'trial' }, { field: 'value' }, { field: 'state' }],
        },
      },
      {
        data: { values: missing },
        // A tick (not a rule): each is its own item in the SVG (role="graphics-symbol"), like the points.
        mark: { type: 'tick', color: '#e45756', thickness: 2 },
        encoding: { x, description: { field: 'state' }, tooltip: [{ field: 'trial' }, { field: 'state' }] },
      },
    ],
    resolve: { scale: { y: 'shared' } },
  } as TopLevelSpec;
}

/** A parameter value on [0, 1] along its axis: log params on a log scale, categories evenly spaced. */
export function unitPosition(param: ReportParam, value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (param.kind === 'categorical') {
    const i = param.choices.indexOf(String(value));
    if (i < 0) return null;
    return param.choices.length === 1 ? 0.5 : i / (param.choices.length - 1);
  }
  const v = Number(value);
  if (!Number.isFinite(v)) return null;
  if (param.high === param.low) return 0.5;
  if (param.log && v > 0 && param.low > 0) return (Math.log(v) - Math.log(param.low)) / (Math.log(param.high) - Math.log(param.low));
  return (v - param.low) / (param.high - param.low);
}

const fmt = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(1) : String(Number(v.toPrecision(3))));

/** Axis labels of a parameter: its ends (and the geometric middle on a log axis), or every category. */
export function axisTicks(param: ReportParam): { u: number; label: string }[] {
  if (param.kind === 'categorical') return param.choices.map((c, i) => ({ u: unitPosition(param, c) ?? i, label: c }));
  const ticks = [
    { u: 0, label: fmt(param.low) },
    { u: 1, label: fmt(param.high) },
  ];
  if (param.log && param.low > 0) ticks.push({ u: 0.5, label: `${fmt(Math.sqrt(param.low * param.high))} (log)` });
  return ticks;
}

/**
 * Parallel coordinates: one polyline per COMPLETE trial across every searched parameter and the
 * objective, colored by the objective. Positions are computed here (log axes for log parameters,
 * categorical axes evenly spaced), so the spec needs no transforms.
 */
export function parallelCoordinatesSpec(trials: readonly ReportTrial[], params: readonly ReportParam[], objective: ReportObjective): TopLevelSpec {
  const done = trials.filter((t) => t.state === 'COMPLETE' && trialValue(t) !== null);
  const values = done.map((t) => trialValue(t)!);
  const lo = minOf(values);
  const hi = maxOf(values);
  const objectiveAxis: ReportParam = { name: objective.label, kind: 'numeric', log: false, low: lo, high: hi };
  const axes = [...params, objectiveAxis];
  const lines = done.flatMap((t) =>
    axes.flatMap((p, k) => {
      const raw = k === params.length ? trialValue(t) : t.params[p.name];
      const u = unitPosition(p, raw);
      return u === null ? [] : [{ trial: t.number, axis: p.name, k, u, value: String(raw), objective: trialValue(t) }];
    }),
  );
  const ticks = axes.flatMap((p, k) => axisTicks(p).map((tick) => ({ axis: p.name, k, u: tick.u, label: tick.label })));
  const x = { field: 'axis', type: 'nominal' as const, sort: axes.map((p) => p.name), title: null, axis: { labelAngle: 0, domain: false, ticks: false } };
  const y = { field: 'u', type: 'quantitative' as const, axis: null, scale: { domain: [0, 1] } };
  return {
    $schema: SCHEMA,
    title: `Parallel coordinates (COMPLETE trials, colored by ${objective.label})`,
    width: Math.max(WIDTH, 140 * axes.length),
    height: HEIGHT,
    layer: [
      { data: { values: axes.map((p) => ({ axis: p.name })) }, mark: { type: 'rule', color: '#bbb' }, encoding: { x } },
      {
        data: { values: lines },
        mark: { type: 'line', opacity: 0.7 },
        encoding: {
          x,
          y,
          detail: { field: 'trial', type: 'nominal' },
          color: { field: 'objective', type: 'quantitative', title: objective.label, scale: { scheme: objective.direction === 'minimize' ? 'viridis' : 'plasma', reverse: objective.direction === 'minimize' } },
          tooltip: [{ field: 'trial' }, { field: 'axis' }, { field: 'value' }],
        },
      },
      { data: { values: ticks }, mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#444' }, encoding: { x, y, text: { field: 'label' } } },
    ],
  } as TopLevelSpec;
}

/** Intermediate values: one learning curve per trial (first objective by epoch), dashed when pruned. */
export function intermediateSpec(trials: readonly ReportTrial[], objective: ReportObjective): TopLevelSpec {
  const values = trials.flatMap((t) =>
    Object.entries(t.history)
      .map(([epoch, v]) => ({ trial: String(t.number), epoch: Number(epoch), value: v[0], state: t.state }))
      .filter((r) => r.value !== undefined && Number.isFinite(r.value)),
  );
  return {
    $schema: SCHEMA,
    title: `Intermediate values: ${objective.label} by epoch`,
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title: objective.label, scale: { zero: false } },
      color: { field: 'trial', type: 'nominal', legend: values.length > 0 && new Set(values.map((v) => v.trial)).size <= 20 ? {} : null },
      strokeDash: { field: 'state', type: 'nominal', title: 'state' },
      tooltip: [{ field: 'trial' }, { field: 'epoch' }, { field: 'value' }, { field: 'state' }],
    },
  } as TopLevelSpec;
}

/** Timeline: one bar per trial from its MLflow run's start to its end (`now` while still open), colored by state. */
export function timelineSpec(trials: readonly ReportTrial[], now: number): TopLevelSpec {
  const values = trials
    .filter((t) => t.start !== null)
    .map((t) => ({ trial: t.number, start: t.start!, end: t.end ?? now, state: t.state, seconds: Math.round(((t.end ?? now) - t.start!) / 100) / 10 }));
  return {
    $schema: SCHEMA,
    title: 'Timeline: each trial from run start to run end',
    width: WIDTH,
    height: Math.max(60, Math.min(HEIGHT * 2, 16 * values.length)),
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'start', type: 'temporal', title: 'time', axis: { format: '%H:%M:%S' } },
      x2: { field: 'end' },
      y: { field: 'trial', type: 'ordinal', sort: 'ascending', axis: values.length > 40 ? { labels: false, ticks: false } : {} },
      color: { field: 'state', type: 'nominal', scale: STATE_COLORS },
      tooltip: [{ field: 'trial' }, { field: 'state' }, { field: 'seconds', title: 'seconds' }],
    },
  } as TopLevelSpec;
}

/** Empirical distribution function of the COMPLETE trials' objective values. */
export function edfSpec(trials: readonly ReportTrial[], objective: ReportObjective): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: `Empirical distribution of ${objective.label} (COMPLETE trials)`,
    width: WIDTH,
    height: HEIGHT,
    data: { values: empiricalDistribution(trials) },
    mark: { type: 'line', interpolate: 'step-after', point: true },
    encoding: {
      x: { field: 'value', type: 'quantitative', title: objective.label, scale: { zero: false } },
      y: { field: 'fraction', type: 'quantitative', title: 'fraction of trials ≤ value', scale: { domain: [0, 1] } },
    },
  } as TopLevelSpec;
}

/** Parameter importance: one bar per parameter, largest first. */
export function importanceSpec(importance: readonly { param: string; importance: number }[]): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: 'Parameter importance',
    width: WIDTH,
    height: Math.max(40, 24 * importance.length),
    data: { values: importance.map((r) => ({ ...r })) },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'importance', type: 'quantitative', scale: { domain: [0, 1] } },
      y: { field: 'param', type: 'nominal', sort: '-x', title: null },
      tooltip: [{ field: 'param' }, { field: 'importance', format: '.3f' }],
    },
  } as TopLevelSpec;
}

/** Slice plot: the objective against each parameter (COMPLETE trials), a log x axis for a log parameter. */
export function sliceSpec(trials: readonly ReportTrial[], params: readonly ReportParam[], objective: ReportObjective): TopLevelSpec {
  const done = trials.filter((t) => t.state === 'COMPLETE' && trialValue(t) !== null);
  return {
    $schema: SCHEMA,
    title: `Slice: ${objective.label} against each parameter`,
    hconcat: params.map((p) => ({
      width: 220,
      height: 220,
      data: {
        values: done.filter((t) => t.params[p.name] !== undefined).map((t) => ({ trial: t.number, x: p.kind === 'categorical' ? String(t.params[p.name]) : Number(t.params[p.name]), value: trialValue(t) })),
      },
      mark: { type: 'point', filled: true },
      encoding: {
        x:
          p.kind === 'categorical'
            ? { field: 'x', type: 'nominal', title: p.name, sort: p.choices, scale: { domain: p.choices } }
            : { field: 'x', type: 'quantitative', title: p.log ? `${p.name} (log)` : p.name, scale: p.log ? { type: 'log', domain: [p.low, p.high] } : { type: 'linear', domain: [p.low, p.high], zero: false } },
        y: { field: 'value', type: 'quantitative', title: objective.label, scale: { zero: false } },
        color: { field: 'trial', type: 'quantitative', scale: { range: ['#9ecae1', '#08306b'] }, title: 'trial' },
        tooltip: [{ field: 'trial' }, { field: 'x', title: p.name }, { field: 'value' }],
      },
    })),
  } as TopLevelSpec;
}

/** Cells per axis of a contour's grid. */
export const CONTOUR_GRID = 12;

/** A parameter's value at position u in [0, 1] along its axis (the inverse of unitPosition for a numeric one). */
function valueAt(p: Extract<ReportParam, { kind: 'numeric' }>, u: number): number {
  if (p.log && p.low > 0) return p.low * Math.pow(p.high / p.low, u);
  return p.low + u * (p.high - p.low);
}

function numericAxis(p: Extract<ReportParam, { kind: 'numeric' }>, field: string) {
  return {
    field,
    type: 'quantitative' as const,
    title: p.log ? `${p.name} (log)` : p.name,
    scale: p.log && p.low > 0 ? { type: 'log' as const, domain: [p.low, p.high] } : { type: 'linear' as const, domain: [p.low, p.high], zero: false },
  };
}

/**
 * Contour: for each pair of numeric parameters, a CONTOUR_GRID × CONTOUR_GRID heatmap of the objective
 * over the two (each cell the inverse-distance-weighted mean of the COMPLETE trials, distances measured
 * along the axes as drawn: log for a log parameter) with the trials on top as points.
 */
export function contourSpec(trials: readonly ReportTrial[], pairs: readonly (readonly [ReportParam, ReportParam])[], objective: ReportObjective): TopLevelSpec {
  const done = trials.filter((t) => t.state === 'COMPLETE' && trialValue(t) !== null);
  const panels = pairs.flatMap(([a, b]) => {
    if (a.kind !== 'numeric' || b.kind !== 'numeric') return [];
    const known = done.flatMap((t) => {
      const ua = unitPosition(a, t.params[a.name]);
      const ub = unitPosition(b, t.params[b.name]);
      return ua === null || ub === null ? [] : [{ trial: t.number, ua, ub, x: Number(t.params[a.name]), y: Number(t.params[b.name]), value: trialValue(t)! }];
    });
    const cells: { x0: number; x1: number; y0: number; y1: number; value: number }[] = [];
    for (let i = 0; i < CONTOUR_GRID; i++) {
      for (let j = 0; j < CONTOUR_GRID; j++) {
        const cu = (i + 0.5) / CONTOUR_GRID;
        const cv = (j + 0.5) / CONTOUR_GRID;
        let weight = 0;
        let sum = 0;
        for (const k of known) {
          const w = 1 / Math.max(1e-9, (k.ua - cu) ** 2 + (k.ub - cv) ** 2);
          weight += w;
          sum += w * k.value;
        }
        if (weight > 0) cells.push({ x0: valueAt(a, i / CONTOUR_GRID), x1: valueAt(a, (i + 1) / CONTOUR_GRID), y0: valueAt(b, j / CONTOUR_GRID), y1: valueAt(b, (j + 1) / CONTOUR_GRID), value: sum / weight });
      }
    }
    return [
      {
        width: 260,
        height: 260,
        title: `${a.name} × ${b.name}`,
        layer: [
          {
            data: { values: cells },
            mark: { type: 'rect' },
            encoding: {
              x: numericAxis(a, 'x0'),
              x2: { field: 'x1' },
              y: numericAxis(b, 'y0'),
              y2: { field: 'y1' },
              color: { field: 'value', type: 'quantitative', title: objective.label, scale: { scheme: 'viridis', reverse: objective.direction === 'minimize' } },
            },
          },
          {
            data: { values: known.map(({ trial, x, y, value }) => ({ trial, x, y, value })) },
            mark: { type: 'point', filled: true, color: 'white', stroke: 'black', strokeWidth: 1, size: 50 },
            encoding: { x: numericAxis(a, 'x'), y: numericAxis(b, 'y'), tooltip: [{ field: 'trial' }, { field: 'x', title: a.name }, { field: 'y', title: b.name }, { field: 'value', title: objective.label }] },
          },
        ],
      },
    ];
  });
  return {
    $schema: SCHEMA,
    title: `Contour: ${objective.label} over the most important parameter pairs (COMPLETE trials)`,
    hconcat: panels,
    resolve: { scale: { color: 'shared' } },
  } as TopLevelSpec;
}

/** The pairs a contour draws: the numeric parameters by importance (most important first), up to `max` pairs. */
export function contourPairs(params: readonly ReportParam[], importance: readonly { param: string; importance: number }[], max = 3): [ReportParam, ReportParam][] {
  const rank = (p: ReportParam) => {
    const i = importance.findIndex((r) => r.param === p.name);
    return i < 0 ? importance.length : i;
  };
  const numeric = params.filter((p) => p.kind === 'numeric').sort((a, b) => rank(a) - rank(b));
  const pairs: [ReportParam, ReportParam][] = [];
  for (let j = 1; j < numeric.length; j++) for (let i = 0; i < j; i++) pairs.push([numeric[i]!, numeric[j]!]);
  return pairs.slice(0, max);
}

/** COMPLETE trials with a finite value per objective that satisfy every constraint: what a Pareto front is drawn from. */
export function feasibleComplete(trials: readonly ReportTrial[], objectives: number): ReportTrial[] {
  return trials.filter(
    (t) => t.state === 'COMPLETE' && t.values !== null && t.values.length === objectives && t.values.every((v) => Number.isFinite(v)) && (t.constraints ?? []).every((c) => c <= 0),
  );
}

/**
 * Pareto front: every feasible COMPLETE trial as a point, the trials on the front (`front`, trial numbers)
 * as squares joined by a line. Two objectives: one scatter; three or more: one scatter per pair of objectives.
 */
export function paretoSpec(trials: readonly ReportTrial[], objectives: readonly ReportObjective[], front: readonly number[]): TopLevelSpec {
  const onFront = new Set(front);
  const done = feasibleComplete(trials, objectives.length);
  const pairs: [number, number][] = [];
  for (let j = 1; j < objectives.length; j++) for (let i = 0; i < j; i++) pairs.push([i, j]);
  const panel = ([i, j]: [number, number]) => {
    const a = objectives[i]!;
    const b = objectives[j]!;
    const rows = done.map((t) => ({ trial: t.number, x: t.values![i]!, y: t.values![j]!, front: onFront.has(t.number) }));
    const x = { field: 'x', type: 'quantitative' as const, title: `${a.label} (${a.direction})`, scale: { zero: false } };
    const y = { field: 'y', type: 'quantitative' as const, title: `${b.label} (${b.direction})`, scale: { zero: false } };
    const tooltip = [{ field: 'trial' }, { field: 'x', title: a.label }, { field: 'y', title: b.label }];
    const frontRows = rows.filter((r) => r.front).sort((p, q) => p.x - q.x || p.y - q.y);
    return {
      width: objectives.length > 2 ? 260 : WIDTH,
      height: objectives.length > 2 ? 260 : HEIGHT,
      layer: [
        { data: { values: frontRows }, mark: { type: 'line', color: '#e45756', strokeDash: [4, 3] }, encoding: { x, y } },
        { data: { values: rows }, mark: { type: 'point', filled: true, color: '#4c78a8', opacity: 0.6, size: 50 }, encoding: { x, y, tooltip } },
        { data: { values: frontRows }, mark: { type: 'square', color: '#e45756', size: 90 }, encoding: { x, y, tooltip } },
      ],
    };
  };
  const title = `Pareto front (feasible COMPLETE trials; the front in red, ${front.length} trials)`;
  if (pairs.length === 1) return { $schema: SCHEMA, title, ...panel(pairs[0]!) } as TopLevelSpec;
  return { $schema: SCHEMA, title, hconcat: pairs.map(panel) } as TopLevelSpec;
}

/** Hypervolume of the feasible front after each finished trial (the reference: the worst value seen per objective). */
export function hypervolumeSpec(history: readonly { trial: number; hypervolume: number }[]): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: 'Hypervolume of the Pareto front after each finished trial',
    width: WIDTH,
    height: HEIGHT,
    data: { values: history.map((p) => ({ ...p })) },
    mark: { type: 'line', interpolate: 'step-after', point: true },
    encoding: {
      x: { field: 'trial', type: 'quantitative', axis: { tickMinStep: 1 } },
      y: { field: 'hypervolume', type: 'quantitative' },
      tooltip: [{ field: 'trial' }, { field: 'hypervolume', format: '.4g' }],
    },
  } as TopLevelSpec;
}

/** A retrain run's name in the legend. */
export const retrainLabel = (r: ReportRetrain) => `trial ${r.sourceTrial} seed ${r.seed}`;

/**
 * Retrain runs' per-epoch metrics: one line per run and metric (of `metrics`, those a run logged), one
 * panel per metric with its own y axis.
 */
export function retrainCurvesSpec(retrains: readonly ReportRetrain[], metrics: readonly string[], title: string): TopLevelSpec {
  const values = retrains.flatMap((r) => metrics.flatMap((metric) => (r.curves[metric] ?? []).map((p) => ({ run: retrainLabel(r), metric, epoch: p.step, value: p.value }))));
  const shown = metrics.filter((m) => values.some((v) => v.metric === m));
  return {
    $schema: SCHEMA,
    title,
    data: { values },
    facet: { field: 'metric', type: 'nominal', sort: shown, title: null },
    columns: 2,
    spec: {
      width: 260,
      height: 180,
      mark: { type: 'line' },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'run', type: 'nominal', title: 'retrain run' },
        tooltip: [{ field: 'run' }, { field: 'metric' }, { field: 'epoch' }, { field: 'value', format: '.4g' }],
      },
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}
