// The plot builders (pure: trials → Vega-Lite spec) and the headless renderer (spec → SVG).
import { describe, expect, it } from 'vitest';
import {
  axisTicks,
  bestSoFar,
  buildReport,
  campaignPlots,
  CONTOUR_GRID,
  contourPairs,
  contourSpec,
  hypervolume,
  hypervolumeSpec,
  paretoNumbers,
  paretoSpec,
  retrainCurvesSpec,
  TRAINING_METRICS,
  HEALTH_METRICS,
  edfSpec,
  empiricalDistribution,
  historySpec,
  importanceSpec,
  intermediateSpec,
  paramImportance,
  parallelCoordinatesSpec,
  renderSvg,
  sliceSpec,
  timelineSpec,
  unitPosition,
  type ReportParam,
} from '../../report';
import { campaign, SIX } from './fixtures';
import type { CampaignData, ReportRetrain, ReportTrial } from '../../report';
import { HEALTH_METRICS as TRAINING_HEALTH_METRICS } from '../../training/health';

const objective = { label: 'val_loss', direction: 'minimize' as const };
const data = campaign(SIX);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const layerData = (spec: Any, i: number): Any[] => spec.layer[i].data.values;
/** Marks Vega drew: every item carries role="graphics-symbol" and an aria-roledescription naming its mark. */
const marks = (svg: string, kind: string) => (svg.match(new RegExp(`role="graphics-symbol" aria-roledescription="${kind}"`, 'g')) ?? []).length;

describe('spec builders', () => {
  it('history: one point per trial with a value, a tick per trial without, best-so-far over COMPLETE trials', () => {
    const spec: Any = historySpec(SIX, objective);
    expect(layerData(spec, 1)).toHaveLength(5); // 4 COMPLETE + the PRUNED one at its last intermediate value
    expect(layerData(spec, 1).find((p: Any) => p.trial === 2)).toMatchObject({ value: 1.5, state: 'PRUNED' });
    expect(layerData(spec, 2)).toEqual([{ trial: 3, state: 'FAIL' }]);
    expect(layerData(spec, 1).length + layerData(spec, 2).length).toBe(SIX.length);
    expect(layerData(spec, 0).map((p: Any) => p.best)).toEqual([0.9, 0.4, 0.4, 0.4, 0.4, 0.4]);
  });

  it('best-so-far follows the direction', () => {
    expect(bestSoFar(SIX, 'maximize').map((p) => p.best)).toEqual([0.9, 0.9, 0.9, 0.9, 0.9, 1.1]);
  });

  it('parallel coordinates: a log parameter on a log axis, a categorical one evenly spaced, one line per COMPLETE trial', () => {
    const lr = data.params[0]!;
    const units = data.params[1]!;
    expect(unitPosition(lr, Math.sqrt(1e-3 * 3e-2))).toBeCloseTo(0.5, 12);
    expect(unitPosition(lr, 1e-3)).toBe(0);
    expect(unitPosition({ ...lr, log: false } as ReportParam, (1e-3 + 3e-2) / 2)).toBeCloseTo(0.5, 12);
    expect(unitPosition(units, '16')).toBe(1);
    expect(axisTicks(lr).map((t) => t.label)).toContain('5.5e-3 (log)');
    expect(axisTicks(units).map((t) => t.label)).toEqual(['8', '16']);
    const spec: Any = parallelCoordinatesSpec(SIX, data.params, objective);
    const lines = layerData(spec, 1);
    expect(new Set(lines.map((r: Any) => r.trial)).size).toBe(4);
    expect(lines).toHaveLength(4 * 3); // two parameters and the objective per trial
  });

  it('slice: a log x scale for a log parameter, the choices for a categorical one', () => {
    const spec: Any = sliceSpec(SIX, data.params, objective);
    expect(spec.hconcat).toHaveLength(2);
    expect(spec.hconcat[0].encoding.x.scale.type).toBe('log');
    expect(spec.hconcat[0].data.values).toHaveLength(4);
    expect(spec.hconcat[1].encoding.x.scale.domain).toEqual(['8', '16']);
    const linear: Any = sliceSpec(SIX, [{ name: 'learningRate', kind: 'numeric', log: false, low: 0, high: 1 }], objective);
    expect(linear.hconcat[0].encoding.x.scale.type).toBe('linear');
  });

  it('intermediate values, timeline, EDF and importance carry one row per epoch, trial, COMPLETE trial, parameter', () => {
    expect((intermediateSpec(SIX, objective) as Any).data.values).toHaveLength(9);
    const timeline: Any = timelineSpec(SIX, data.readAt);
    expect(timeline.data.values).toHaveLength(6);
    expect(timeline.encoding.x.type).toBe('temporal');
    expect(empiricalDistribution(SIX)).toEqual([
      { value: 0.4, fraction: 0.25 },
      { value: 0.6, fraction: 0.5 },
      { value: 0.9, fraction: 0.75 },
      { value: 1.1, fraction: 1 },
    ]);
    expect((edfSpec(SIX, objective) as Any).data.values).toHaveLength(4);
    const importance = paramImportance(data);
    expect(importance.map((r) => r.param).sort()).toEqual(['learningRate', 'units']);
    expect(importance.reduce((s, r) => s + r.importance, 0)).toBeCloseTo(1, 12);
    expect((importanceSpec(importance) as Any).data.values).toHaveLength(2);
  });
});

describe('rendering to SVG', () => {
  it('draws one symbol per trial in the history and one bar per trial in the timeline', async () => {
    const history = await renderSvg(historySpec(SIX, objective));
    expect(history.startsWith('<svg')).toBe(true);
    expect(marks(history, 'point')).toBe(5);
    expect(marks(history, 'tick')).toBe(1); // the FAIL trial without a value
    expect(marks(await renderSvg(timelineSpec(SIX, data.readAt)), 'bar')).toBe(6);
    expect(marks(await renderSvg(importanceSpec(paramImportance(data))), 'bar')).toBe(2);
    expect(marks(await renderSvg(sliceSpec(SIX, data.params, objective)), 'point')).toBe(8);
  });

  it('the whole report: every plot drawn, a self-contained page, one CSV row per trial', async () => {
    const files = await buildReport(data);
    for (const name of ['history', 'intermediate', 'timeline', 'parallel-coordinates', 'slice', 'edf', 'importance']) expect(files.has(`plots/${name}.svg`)).toBe(true);
    const html = files.get('report.html')!;
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect((html.match(/<svg/g) ?? []).length).toBe(7);
    expect(files.get('trials.csv')!.trim().split('\n')).toHaveLength(1 + SIX.length);
    expect(files.get('leaderboard.csv')!.split('\n')[1]).toMatch(/^1,1,1,COMPLETE,0.4,2,0.01,16$/);
    expect(files.get('results.yaml')).toContain('trial: 1');
    expect(files.get('best_hyperparameters.yaml')).toBe(data.bestHyperparametersYaml);
  });

  it('zero finished trials: the report still comes out, with a sentence for each plot it cannot draw', async () => {
    const empty = campaign([]);
    const plots = campaignPlots(empty);
    expect(plots.every((p) => p.spec === null && p.note)).toBe(true);
    const files = await buildReport({ ...empty, bestHyperparametersYaml: null });
    const html = files.get('report.html')!;
    expect(html).toContain('No COMPLETE trial: there is no best configuration yet.');
    expect(html).toContain('One objective: no Pareto front.');
    expect([...files.keys()].filter((k) => k.startsWith('plots/'))).toEqual([]);
    expect(files.has('best_hyperparameters.yaml')).toBe(false);
    expect(files.get('trials.csv')!.trim().split('\n')).toHaveLength(1);
  });
});

/** A trial with the given params and objective values (COMPLETE unless said otherwise). */
const t = (number: number, params: Record<string, number>, values: number[] | null, extra: Partial<ReportTrial> = {}): ReportTrial => ({
  number,
  runId: `run${number}`,
  state: values ? 'COMPLETE' : 'PRUNED',
  params,
  values,
  history: {},
  epochs: 0,
  start: null,
  end: null,
  ...extra,
});

/** Three numeric parameters (one log), six COMPLETE trials and a PRUNED one. */
const numeric: CampaignData = {
  ...campaign([]),
  space: { lr: { type: 'float', low: 1e-4, high: 1e-1, log: true }, dropout: { type: 'float', low: 0, high: 0.5 }, units: { type: 'int', low: 8, high: 64 } },
  params: [
    { name: 'lr', kind: 'numeric', log: true, low: 1e-4, high: 1e-1 },
    { name: 'dropout', kind: 'numeric', log: false, low: 0, high: 0.5 },
    { name: 'units', kind: 'numeric', log: false, low: 8, high: 64 },
  ],
  trials: [
    t(0, { lr: 1e-3, dropout: 0.1, units: 16 }, [0.5]),
    t(1, { lr: 3e-2, dropout: 0.4, units: 32 }, [0.9]),
    t(2, { lr: 2e-4, dropout: 0.2, units: 64 }, [0.7]),
    t(3, { lr: 5e-3, dropout: 0.05, units: 8 }, [0.3]),
    t(4, { lr: 8e-2, dropout: 0.3, units: 48 }, [1.2]),
    t(5, { lr: 1e-2, dropout: 0.15, units: 24 }, [0.4]),
    t(6, { lr: 1e-2, dropout: 0.15, units: 24 }, null),
  ],
};

/** Two objectives (minimize, minimize), one constraint: front 0, 1, 3; trial 4 infeasible; trial 5 PRUNED. */
const twoObjectives: CampaignData = {
  ...campaign([]),
  objectives: [
    { label: 'val_loss', direction: 'minimize' },
    { label: 'param_count', direction: 'minimize' },
  ],
  trials: [
    t(0, {}, [1, 3], { constraints: [-1] }),
    t(1, {}, [2, 2], { constraints: [-1] }),
    t(2, {}, [3, 3], { constraints: [-1] }),
    t(3, {}, [3, 1], { constraints: [0] }),
    t(4, {}, [0.5, 0.5], { constraints: [0.5] }),
    t(5, {}, null),
  ],
};

/** Three objectives: every one of the five trials but the dominated trial 4 on the front. */
const threeObjectives: CampaignData = {
  ...campaign([]),
  objectives: [
    { label: 'val_loss', direction: 'minimize' },
    { label: 'val_accuracy', direction: 'maximize' },
    { label: 'param_count', direction: 'minimize' },
  ],
  trials: [t(0, {}, [1, 0.8, 100]), t(1, {}, [2, 0.9, 50]), t(2, {}, [0.5, 0.7, 300]), t(3, {}, [1.5, 0.95, 400]), t(4, {}, [2, 0.7, 400])],
};

describe('contour', () => {
  it('the numeric pairs by importance, up to three; a grid of cells and one point per COMPLETE trial in each', async () => {
    const importance = paramImportance(numeric);
    const pairs = contourPairs(numeric.params, importance);
    expect(pairs).toHaveLength(3);
    const ranked = importance.map((r) => r.param);
    expect(pairs[0]!.map((p) => p.name)).toEqual(ranked.slice(0, 2));
    expect(contourPairs(data.params, [])).toEqual([]); // one numeric parameter: no pair
    const spec: Any = contourSpec(numeric.trials, pairs, objective);
    expect(spec.hconcat).toHaveLength(3);
    for (const panel of spec.hconcat) {
      expect(panel.layer[0].data.values).toHaveLength(CONTOUR_GRID * CONTOUR_GRID);
      expect(panel.layer[1].data.values).toHaveLength(6);
    }
    const lrPanel = spec.hconcat.find((p: Any) => p.layer[0].encoding.x.field === 'x0' && p.layer[0].encoding.x.title === 'lr (log)');
    expect(lrPanel.layer[0].encoding.x.scale).toEqual({ type: 'log', domain: [1e-4, 1e-1] });
    // A cell's value lies between the smallest and largest trial value (a weighted mean of them).
    for (const cell of spec.hconcat[0].layer[0].data.values) expect(cell.value).toBeGreaterThanOrEqual(0.3 - 1e-12);
    const svg = await renderSvg(spec);
    expect(marks(svg, 'rect mark')).toBe(3 * CONTOUR_GRID * CONTOUR_GRID); // Vega describes a rect item as "rect mark"
    expect(marks(svg, 'point')).toBe(3 * 6);
  });

  it('a sentence with fewer than two numeric parameters or too few COMPLETE trials', () => {
    expect(campaignPlots(data).find((p) => p.name === 'contour')).toMatchObject({ spec: null, note: 'A contour needs two numeric parameters; the search space has 1.' });
    const few = { ...numeric, trials: numeric.trials.slice(0, 2) };
    expect(campaignPlots(few).find((p) => p.name === 'contour')).toMatchObject({ spec: null, note: 'A contour needs at least 3 COMPLETE trials; there are 2.' });
    expect(campaignPlots(numeric).find((p) => p.name === 'contour')!.spec).not.toBeNull();
  });
});

describe('Pareto front and hypervolume', () => {
  it('two objectives: a point per feasible COMPLETE trial, a square per trial on the front', async () => {
    expect(paretoNumbers(twoObjectives)).toEqual([0, 1, 3]);
    const spec: Any = paretoSpec(twoObjectives.trials, twoObjectives.objectives, paretoNumbers(twoObjectives));
    expect(spec.layer[1].data.values.map((r: Any) => r.trial)).toEqual([0, 1, 2, 3]);
    expect(spec.layer[2].data.values.map((r: Any) => r.trial)).toEqual([0, 1, 3]);
    const svg = await renderSvg(spec);
    expect(marks(svg, 'point')).toBe(4);
    expect(marks(svg, 'square')).toBe(3);
  });

  it('three objectives: one scatter per pair of objectives', async () => {
    const front = paretoNumbers(threeObjectives);
    expect(front).toEqual([0, 1, 2, 3]);
    const spec: Any = paretoSpec(threeObjectives.trials, threeObjectives.objectives, front);
    expect(spec.hconcat).toHaveLength(3);
    expect(spec.hconcat.map((p: Any) => [p.layer[1].encoding.x.title, p.layer[1].encoding.y.title])).toEqual([
      ['val_loss (minimize)', 'val_accuracy (maximize)'],
      ['val_loss (minimize)', 'param_count (minimize)'],
      ['val_accuracy (maximize)', 'param_count (minimize)'],
    ]);
    const svg = await renderSvg(spec);
    expect(marks(svg, 'point')).toBe(3 * 5);
    expect(marks(svg, 'square')).toBe(3 * 4);
  });

  it('hypervolume: one point per finished trial, never decreasing', async () => {
    const history = hypervolume(twoObjectives);
    expect(history.map((p) => p.trial)).toEqual([0, 1, 2, 3, 4, 5]);
    // Reference: the worst feasible values (3, 3); trial 1 adds the square [2,3]x[2,3], trial 3 nothing on its own edge.
    expect(history.map((p) => p.hypervolume)).toEqual([0, 1, 1, 1, 1, 1]);
    const svg = await renderSvg(hypervolumeSpec(history));
    expect(marks(svg, 'point')).toBe(6);
  });

  it('in the report: both plots for several objectives, a sentence for one', async () => {
    const plots = campaignPlots(twoObjectives);
    expect(plots.find((p) => p.name === 'pareto-front')!.spec).not.toBeNull();
    expect(plots.find((p) => p.name === 'hypervolume')!.spec).not.toBeNull();
    for (const name of ['pareto-front', 'hypervolume']) expect(campaignPlots(data).find((p) => p.name === name)).toMatchObject({ spec: null, note: 'One objective: no Pareto front.' });
    const files = await buildReport(twoObjectives);
    expect(files.has('plots/pareto-front.svg')).toBe(true);
    expect(files.has('plots/hypervolume.svg')).toBe(true);
    // pareto.csv: one row per trial on the front, only with several objectives, in ranked order: the
    // extremes (crowding distance Infinity) by the first objective (0, then 3), then trial 1.
    const pareto = files.get('pareto.csv')!.trim().split('\n');
    expect(pareto[0]).toMatch(/^rank,trial,val_loss,param_count\b/);
    expect(pareto.slice(1).map((line) => line.split(',').slice(0, 2).join(','))).toEqual(['1,0', '2,3', '3,1']);
    expect((await buildReport(data)).has('pareto.csv')).toBe(false);
    // report.html: a front column in the leaderboard, and the best trial named as the front's top-ranked.
    const html = files.get('report.html')!;
    expect(html).toContain('<th>rank</th><th>front</th><th>trial</th>');
    expect(html).toContain('<tr><td>1</td><td>1</td><td>0</td>');
    expect(html).toContain('The top-ranked trial of the Pareto front (3 trials');
    expect((await buildReport(data)).get('report.html')).not.toContain('<th>front</th>');
  });
});

/** A retrain run with `epochs` points of each metric in `metrics`. */
const retrain = (sourceTrial: number, seed: number, metrics: readonly string[], epochs = 3): ReportRetrain => ({
  runId: `retrain${sourceTrial}-${seed}`,
  sourceTrial,
  seed,
  state: 'COMPLETE',
  curves: Object.fromEntries(metrics.map((m, k) => [m, Array.from({ length: epochs }, (_, i) => ({ step: i + 1, value: k + 1 / (i + 1) }))])),
});

describe('retrained models', () => {
  const CLASSIFICATION = ['loss', 'val_loss', 'accuracy', 'val_accuracy'];
  const runs = [retrain(1, 0, [...CLASSIFICATION, 'dead_unit_fraction', 'grad_norm_max', 'health_score']), retrain(1, 1, [...CLASSIFICATION, 'dead_unit_fraction', 'grad_norm_max', 'health_score'])];

  it('the report lists the health metrics training records', () => {
    expect([...HEALTH_METRICS]).toEqual([...TRAINING_HEALTH_METRICS]);
  });

  it('training curves: one line per retrain run and metric, one panel per metric', async () => {
    const spec: Any = retrainCurvesSpec(runs, TRAINING_METRICS, 'curves');
    expect(spec.data.values).toHaveLength(2 * 4 * 3);
    expect(spec.facet.sort).toEqual(['loss', 'val_loss', 'accuracy', 'val_accuracy']);
    const svg = await renderSvg(spec);
    expect(marks(svg, 'line mark')).toBe(2 * 4);
  });

  it('training curves of a regression model: its error metrics, no accuracy panel', async () => {
    const regression = ['loss', 'val_loss', 'mse', 'mae', 'r2', 'val_mse', 'val_mae', 'val_r2'];
    const spec: Any = retrainCurvesSpec([retrain(2, 0, regression)], TRAINING_METRICS, 'curves');
    expect(spec.facet.sort).toEqual(['loss', 'val_loss', 'mse', 'mae', 'r2', 'val_mse', 'val_mae', 'val_r2']);
    expect(marks(await renderSvg(spec), 'line mark')).toBe(8);
  });

  it('health: only the health metrics the runs logged', async () => {
    const spec: Any = retrainCurvesSpec(runs, HEALTH_METRICS, 'health');
    expect(spec.facet.sort).toEqual(['dead_unit_fraction', 'grad_norm_max', 'health_score']);
    expect(marks(await renderSvg(spec), 'line mark')).toBe(2 * 3);
  });

  it('in the report: both plots with retrain runs, a sentence without', async () => {
    for (const name of ['training-curves', 'model-health']) {
      expect(campaignPlots(data).find((p) => p.name === name)).toMatchObject({ spec: null, note: expect.stringContaining('No retrain runs') });
    }
    const files = await buildReport({ ...data, retrains: runs });
    expect(marks(files.get('plots/training-curves.svg')!, 'line mark')).toBe(8);
    expect(marks(files.get('plots/model-health.svg')!, 'line mark')).toBe(6);
    const noHealth = campaignPlots({ ...data, retrains: [retrain(1, 0, CLASSIFICATION)] });
    expect(noHealth.find((p) => p.name === 'model-health')).toMatchObject({ spec: null, note: 'The retrain runs have logged no health metric.' });
  });
});
