// The health probe: once per epoch, one forward and backward pass over a fixed probe batch (the
// first probeSize() validation samples) in inference mode, so it changes no weights, batch-norm
// statistics or random state. It yields per-unit activation maxima of ReLU-family layers, per-layer
// gradient norms and the peak tensor memory of a training-sized step; training/health.ts does the math.
// A trial on the graph engine computes the same layers inside its graph (GraphEngine.probe, laid out by
// graphProbeLayers here) in one session run; the peak memory, a property of the model and the probe
// batch, is then measured eagerly once per trial (training/segment.ts).
import type { LayersModel, Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import type { Tf } from './backend';
import type { GraphModel, ProbeLayerSpec } from './graph';
import { DEAD_PRONE_ACTIVATIONS, type LayerProbe } from './health';
import type { ModelLoss } from './models';

/**
 * Samples in the probe batch: 2 % of the training split, at least 32 (enough to call a unit dead)
 * and at most 128, so the probe stays small next to an epoch.
 */
export function probeSize(trainCount: number): number {
  return Math.min(128, Math.max(32, Math.ceil(trainCount / 50)));
}

/** Per-example loss of (one-hot targets, model outputs), as the model is compiled with. */
export type ExampleLoss = (yTrue: Tensor, yPred: Tensor) => Tensor;

/** A compiled loss per example: a loss function as it is, tfjs's categoricalCrossentropy by name; null for another name. */
export function perExampleLoss(tf: Tf, loss: ModelLoss): ExampleLoss | null {
  if (typeof loss === 'function') return loss;
  return loss === 'categoricalCrossentropy' ? (y, p) => tf.metrics.categoricalCrossentropy(y, p) : null;
}

export interface ProbeMeasurement {
  layers: LayerProbe[];
  /** Most tensor bytes TF.js held during the probe's forward and backward pass (sampled). */
  peakBytes: number;
}

interface ProbedLayer {
  name: string;
  /** The tfjs layer's own name (the graph engine's node names). */
  layer: string;
  /** Output tensor name, for ReLU-family layers. */
  output?: string;
  variables: Variable[];
}

function activationOf(layer: { getConfig(): Record<string, unknown> }): string | undefined {
  const activation = layer.getConfig().activation;
  return typeof activation === 'string' ? activation : undefined;
}

/** Stable per-layer names (`layer<i>_<class>`): tfjs's own names carry a process-wide counter. */
function probedLayers(model: LayersModel): ProbedLayer[] {
  return model.layers.map((layer, i) => {
    const probed: ProbedLayer = {
      name: `layer${i}_${layer.getClassName().toLowerCase()}`,
      layer: layer.name,
      variables: layer.trainableWeights.map((w) => w.read() as Variable),
    };
    const activation = activationOf(layer);
    if (activation && DEAD_PRONE_ACTIVATIONS.includes(activation)) {
      try {
        probed.output = layer.output instanceof Array ? undefined : layer.output.name;
      } catch {
        // a layer used at several places has no single output; it is not probed for dead units
      }
    }
    return probed;
  });
}

/**
 * The probe's layers as the graph engine of `graph` (the translation of `model`) computes them: each
 * layer's trainable weights by name, its watched output by layer name. Null when one does not map (the
 * eager probe then measures every epoch).
 */
export function graphProbeLayers(model: LayersModel, graph: GraphModel): ProbeLayerSpec[] | null {
  const weightIndex = new Map(graph.weights.map((w, i) => [w.name, i]));
  const nodeIndex = new Map(graph.nodes.map((n, i) => [n.layer.name, i]));
  const specs: ProbeLayerSpec[] = [];
  for (const probed of probedLayers(model)) {
    const weights = probed.variables.map((v) => weightIndex.get(v.name) ?? -1);
    if (weights.some((w) => !graph.weights[w]?.trainable)) return null;
    const spec: ProbeLayerSpec = { name: probed.name, weights };
    if (probed.output !== undefined) {
      const node = nodeIndex.get(probed.layer);
      if (node === undefined) return null;
      spec.node = node;
    }
    specs.push(spec);
  }
  return specs;
}

export class HealthProbe {
  private readonly layers: ProbedLayer[];

  constructor(
    private readonly tf: Tf,
    private readonly model: LayersModel,
    private readonly x: Tensor,
    private readonly y: Tensor,
    private readonly loss: ExampleLoss,
  ) {
    this.layers = probedLayers(model);
  }

  async measure(): Promise<ProbeMeasurement> {
    const { tf, model, x, y, loss } = this;
    const watched = this.layers.filter((l) => l.output !== undefined);
    const outputNames = [...watched.map((l) => l.output!), model.outputs[0]!.name];
    const variables = this.layers.flatMap((l) => l.variables);
    let unitMax: Tensor[] = [];
    let norms: Tensor | null = null;
    // Peak memory by sampling where a step holds most: after the forward pass (activations saved for
    // the gradients) and with all gradients alive. tf.profile would time every kernel: far dearer.
    let peakBytes = tf.memory().numBytes;
    const { value, grads } = tf.variableGrads(() => {
      const outs = model.execute(x, outputNames) as Tensor[];
      unitMax = outs.slice(0, -1).map((a) => tf.keep(tf.max(tf.reshape(a, [-1, a.shape[a.shape.length - 1]!]), 0)));
      const mean = tf.mean(loss(y, outs[outs.length - 1]!)) as Scalar;
      peakBytes = Math.max(peakBytes, tf.memory().numBytes);
      return mean;
    }, variables);
    peakBytes = Math.max(peakBytes, tf.memory().numBytes);
    const squared = (l: ProbedLayer) => tf.addN(l.variables.map((v) => tf.sum(tf.square(grads[v.name]!))));
    const weighted = this.layers.filter((l) => l.variables.length > 0);
    if (weighted.length > 0) norms = tf.tidy(() => tf.sqrt(tf.stack(weighted.map(squared))));
    tf.dispose([value, ...Object.values(grads)]);
    try {
      const normValues = norms ? await (norms as Tensor).data() : new Float32Array();
      const maxima = await Promise.all(unitMax.map((t) => t.data()));
      let next = 0;
      const layers = this.layers.map((l): LayerProbe => {
        const probe: LayerProbe = { name: l.name };
        const watchedIndex = watched.indexOf(l);
        if (watchedIndex >= 0) probe.unitMax = maxima[watchedIndex]!;
        if (l.variables.length > 0) probe.gradNorm = normValues[next++]!;
        return probe;
      });
      return { layers, peakBytes };
    } finally {
      tf.dispose([...unitMax, ...(norms ? [norms] : [])]);
    }
  }
}
