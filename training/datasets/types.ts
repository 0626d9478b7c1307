// The in-memory data set shape every loader produces. Data stay as typed arrays (not tensors): a
// worker keeps them across trials and makes tensors per segment.

/**
 * One split, row-major. Image data: [count, h, w, c], a Uint8Array holds pixels 0..255 (scaled to [0, 1]
 * on use), a Float32Array holds features used as they are. Sequence data: [count, maxLength] token ids
 * in an Int32Array, 0 = padding. Series data: [count, steps, features] floats.
 */
export interface Split {
  x: Uint8Array | Float32Array | Int32Array;
  /** Class indices 0..numClasses-1; for series data, [count, targets] regression targets (Float32Array). */
  y: Uint8Array | Int32Array | Float32Array;
  count: number;
}

interface DatasetBase {
  name: string;
  numClasses: number;
  classNames: string[];
  train: Split;
  /** Carved from the published train split with the experiment seed (`training.validationSplit`). */
  validation: Split;
  test: Split;
}

/** Images, or feature vectors stored as 1 x d x 1 "images" (tabular data). */
export interface ImageDataset extends DatasetBase {
  kind: 'image';
  /** [height, width, channels] */
  inputShape: [number, number, number];
}

/** Token sequences, padded (at the front, as Keras' pad_sequences does) to a fixed length. */
export interface SequenceDataset extends DatasetBase {
  kind: 'sequence';
  /** [maxLength] */
  inputShape: [number];
  /** Token ids are 0..vocabularySize-1. */
  vocabularySize: number;
}

/**
 * Multivariate time series [steps, features] of floats with real-valued targets (regression). `numClasses`
 * is the number of targets per example (the model's output width); `classNames` names them.
 */
export interface SeriesDataset extends DatasetBase {
  kind: 'series';
  /** [steps, features] */
  inputShape: [number, number];
}

export type Dataset = ImageDataset | SequenceDataset | SeriesDataset;

/** What a data set module loads: the published train and test splits. */
export type RawDataset = Omit<ImageDataset, 'validation'> | Omit<SequenceDataset, 'validation'> | Omit<SeriesDataset, 'validation'>;

export interface DatasetModule {
  name: string;
  description: string;
  /** Recognized `dataset.options` keys and what they do; any other key is an error. */
  options: Record<string, string>;
  /** Checks option names and values without reading any data (spec loading calls it); throws InvalidConfigurationError. */
  validateOptions(options: Record<string, unknown>): void;
  load(options: Record<string, unknown>): Promise<RawDataset>;
}
