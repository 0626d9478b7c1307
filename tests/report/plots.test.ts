// The plot builders (pure: trials → Vega-Lite spec) and the headless renderer (spec → SVG).
import { describe, expect, it } from 'vitest';
import {
  axisTicks,
  bestSoFar,
  buildReport,
  campaignPlots,
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
    expect(files.get('leaderboard.csv')!.split('\n')[1]).toMatch(/^1,1,COMPLETE,0.4,2,0.01,16$/);
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
    expect(html).toContain('Pareto front: not drawn, the campaign has one objective.');
    expect([...files.keys()].filter((k) => k.startsWith('plots/'))).toEqual([]);
    expect(files.has('best_hyperparameters.yaml')).toBe(false);
    expect(files.get('trials.csv')!.trim().split('\n')).toHaveLength(1);
  });
});
