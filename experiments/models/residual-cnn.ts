// A small residual CNN (two residual stages, batch norm, global average pooling) as a user's model module:
// `model: {module: ./models/residual-cnn.ts, export: build}` in experiments/custom-model.yaml. tuneflow's
// engine compiles, trains, checkpoints and evaluates it like a built-in family. Parameters it reads:
// filters (first stage's width; the second has twice as many), blocks (residual blocks per stage), dropout.
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs';
import type { ModelBuilder } from 'tuneflow/trainable';

export const build: ModelBuilder = ({ tf, params, inputShape, numClasses, seed }): LayersModel => {
  const filters = Number(params.filters ?? 16);
  const blocks = Number(params.blocks ?? 1);
  const dropout = Number(params.dropout ?? 0);
  let layerSeed = seed;
  const init = () => tf.initializers.heNormal({ seed: layerSeed++ });
  const conv = (x: SymbolicTensor, units: number, strides = 1) =>
    tf.layers.conv2d({ filters: units, kernelSize: 3, strides, padding: 'same', useBias: false, kernelInitializer: init() }).apply(x) as SymbolicTensor;
  const norm = (x: SymbolicTensor) => tf.layers.batchNormalization().apply(x) as SymbolicTensor;
  const relu = (x: SymbolicTensor) => tf.layers.activation({ activation: 'relu' }).apply(x) as SymbolicTensor;

  /** conv-bn-relu-conv-bn plus the shortcut (a strided 1x1 conv when the shape changes), then relu. */
  const residual = (x: SymbolicTensor, units: number, strides: number) => {
    const branch = norm(conv(relu(norm(conv(x, units, strides))), units));
    const channels = x.shape.at(-1);
    const shortcut =
      strides === 1 && channels === units
        ? x
        : norm(tf.layers.conv2d({ filters: units, kernelSize: 1, strides, useBias: false, kernelInitializer: init() }).apply(x) as SymbolicTensor);
    return relu(tf.layers.add().apply([branch, shortcut]) as SymbolicTensor);
  };

  const input = tf.input({ shape: inputShape });
  let x = relu(norm(conv(input, filters)));
  for (let stage = 0; stage < 2; stage++) {
    for (let block = 0; block < blocks; block++) x = residual(x, filters * 2 ** stage, stage > 0 && block === 0 ? 2 : 1);
  }
  x = tf.layers.globalAveragePooling2d({}).apply(x) as SymbolicTensor;
  if (dropout > 0) x = tf.layers.dropout({ rate: dropout, seed: layerSeed++ }).apply(x) as SymbolicTensor;
  const output = tf.layers.dense({ units: numClasses, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: layerSeed }) }).apply(x) as SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
};
