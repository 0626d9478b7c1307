// MNIST handwritten digits: 60,000 train and 10,000 test 28x28 grayscale images, 10 classes.
// Checksums: tensorflow/datasets url_checksums/mnist.txt (sha256 of the published .gz files).
import { idxDatasetModule, type IdxImageSource } from './idx-dataset';

export const MNIST_SOURCE: IdxImageSource = {
  name: 'mnist',
  folder: 'mnist',
  mirrors: ['https://storage.googleapis.com/cvdf-datasets/mnist/', 'https://ossci-datasets.s3.amazonaws.com/mnist/'],
  files: {
    trainImages: { name: 'train-images-idx3-ubyte.gz', sha256: '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609' },
    trainLabels: { name: 'train-labels-idx1-ubyte.gz', sha256: '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c' },
    testImages: { name: 't10k-images-idx3-ubyte.gz', sha256: '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6' },
    testLabels: { name: 't10k-labels-idx1-ubyte.gz', sha256: 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6' },
  },
  classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
};

export const mnist = idxDatasetModule(MNIST_SOURCE, 'MNIST handwritten digits, 28x28 grayscale, 10 classes (60k train / 10k test)');
