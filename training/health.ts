// Model health: pure math over what one probe batch and the epoch's batch losses measured. No
// TensorFlow here (training/probe.ts measures); docs/model-health.md explains every number.

/** A layer's gradient norm below this is flagged as vanishing. */
export const VANISHING_GRADIENT = 1e-7;
/** A layer's gradient norm above this (or not finite) is flagged as exploding. */
export const EXPLODING_GRADIENT = 1e3;
/** Activations whose output is exactly 0 on a whole region, so a unit can die. */
export const DEAD_PRONE_ACTIVATIONS: readonly string[] = ['relu', 'relu6'];
/** Weights of the health score's parts: dead units, gradient flags, loss stability. */
export const HEALTH_WEIGHTS = { alive: 0.4, gradients: 0.4, stability: 0.2 } as const;

/** What the probe measured on one layer (stable name such as `layer2_conv2d`). */
export interface LayerProbe {
  name: string;
  /** Largest activation of each unit (last axis) over the probe batch; only for ReLU-family layers. */
  unitMax?: ArrayLike<number>;
  /** L2 norm of the loss gradient over all the layer's trainable weights; only for layers with weights. */
  gradNorm?: number;
}

export interface HealthInput {
  layers: readonly LayerProbe[];
  /** Training loss of every batch of the epoch, in order. */
  batchLosses: readonly number[];
  /** Validation accuracy (training accuracy without a validation split). */
  accuracy: number;
  paramCount: number;
}

/** Units whose activation never exceeds 0 on the probe batch, as a count. */
export function deadUnits(unitMax: ArrayLike<number>): number {
  let dead = 0;
  for (let i = 0; i < unitMax.length; i++) if (!(unitMax[i]! > 0)) dead++;
  return dead;
}

export type GradientFlag = 'vanishing' | 'exploding' | null;

export function gradientFlag(norm: number): GradientFlag {
  if (!Number.isFinite(norm) || norm > EXPLODING_GRADIENT) return 'exploding';
  return norm < VANISHING_GRADIENT ? 'vanishing' : null;
}

/**
 * Noise of a curve: the standard deviation of its residuals around the least-squares line, divided by
 * the mean absolute value. The steady descent of a healthy epoch is the trend, not noise; 0 for fewer
 * than 3 points or a zero mean.
 */
export function detrendedCv(values: readonly number[]): number {
  const n = values.length;
  if (n < 3) return 0;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  values.forEach((v, i) => {
    sxy += (i - meanX) * (v - meanY);
    sxx += (i - meanX) ** 2;
  });
  const slope = sxy / sxx;
  let residual = 0;
  values.forEach((v, i) => (residual += (v - meanY - slope * (i - meanX)) ** 2));
  const scale = values.reduce((s, v) => s + Math.abs(v), 0) / n;
  if (!(scale > 0)) return 0;
  const cv = Math.sqrt(residual / (n - 2)) / scale;
  return Number.isFinite(cv) ? cv : Infinity;
}

/** Accuracy per decade of parameters: accuracy / log10(parameters), parameters floored at 10. */
export function parameterEfficiency(accuracy: number, paramCount: number): number {
  return accuracy / Math.log10(Math.max(10, paramCount));
}

/**
 * The overall score in [0, 1], 1 = healthy:
 *   0.4 * (1 - dead unit fraction) + 0.4 * (1 - flagged gradient layers / layers with weights)
 *   + 0.2 / (1 + loss cv)
 */
export function healthScore(parts: { deadUnitFraction: number; flaggedLayers: number; weightedLayers: number; lossCv: number }): number {
  const alive = 1 - clamp01(parts.deadUnitFraction);
  const gradients = parts.weightedLayers > 0 ? 1 - clamp01(parts.flaggedLayers / parts.weightedLayers) : 1;
  const stability = Number.isFinite(parts.lossCv) ? 1 / (1 + Math.max(0, parts.lossCv)) : 0;
  return HEALTH_WEIGHTS.alive * alive + HEALTH_WEIGHTS.gradients * gradients + HEALTH_WEIGHTS.stability * stability;
}

function clamp01(v: number): number {
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 1;
}

/**
 * Every health metric of one epoch: the aggregates (objective candidates, listed in HEALTH_METRICS) and
 * the per-layer values `dead_fraction/<layer>` and `grad_norm/<layer>`.
 */
export function healthMetrics(input: HealthInput): Record<string, number> {
  const metrics: Record<string, number> = {};
  let units = 0;
  let dead = 0;
  const norms: number[] = [];
  for (const layer of input.layers) {
    if (layer.unitMax && layer.unitMax.length > 0) {
      const layerDead = deadUnits(layer.unitMax);
      metrics[`dead_fraction/${layer.name}`] = layerDead / layer.unitMax.length;
      units += layer.unitMax.length;
      dead += layerDead;
    }
    if (layer.gradNorm !== undefined) {
      metrics[`grad_norm/${layer.name}`] = layer.gradNorm;
      norms.push(layer.gradNorm);
    }
  }
  const vanishing = norms.filter((n) => gradientFlag(n) === 'vanishing').length;
  const exploding = norms.filter((n) => gradientFlag(n) === 'exploding').length;
  const deadUnitFraction = units > 0 ? dead / units : 0;
  const lossCv = detrendedCv(input.batchLosses);
  Object.assign(metrics, {
    dead_unit_fraction: deadUnitFraction,
    grad_norm_min: norms.length > 0 ? Math.min(...norms) : 0,
    grad_norm_max: norms.length > 0 ? Math.max(...norms) : 0,
    vanishing_gradient_layers: vanishing,
    exploding_gradient_layers: exploding,
    loss_cv: lossCv,
    param_efficiency: parameterEfficiency(input.accuracy, input.paramCount),
    health_score: healthScore({ deadUnitFraction, flaggedLayers: vanishing + exploding, weightedLayers: norms.length, lossCv }),
  });
  return metrics;
}

/** The aggregate health metrics every epoch records (the list lives with the objective's `health_score`). */
export { HEALTH_METRICS } from '../spec/objective';
