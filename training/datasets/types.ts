// The in-memory data set shape every loader produces. Data stay as typed arrays (not tensors): a
// worker keeps them across trials and makes tensors per segment.

/** One split. Images are row-major [count, h, w, c]; a Uint8Array holds pixels 0..255 (scaled to [0, 1] on use). */
export interface Split {
  x: Uint8Array | Float32Array;
  /** Class indices 0..numClasses-1. */
  y: Uint8Array | Int32Array;
  count: number;
}

export interface Dataset {
  name: string;
  kind: 'image';
  /** [height, width, channels] */
  inputShape: [number, number, number];
  numClasses: number;
  classNames: string[];
  train: Split;
  /** Carved from the published train split with the experiment seed (`training.validationSplit`). */
  validation: Split;
  test: Split;
}

/** What a data set module loads: the published train and test splits. */
export type RawDataset = Omit<Dataset, 'validation'>;

export interface DatasetModule {
  name: string;
  description: string;
  /** Recognized `dataset.options` keys and what they do; any other key is an error. */
  options: Record<string, string>;
  load(options: Record<string, unknown>): Promise<RawDataset>;
}
