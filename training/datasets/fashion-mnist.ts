// Fashion-MNIST (Zalando): 60,000 train and 10,000 test 28x28 grayscale clothing images, 10 classes.
// Checksums: tensorflow/datasets url_checksums/fashion_mnist.txt (sha256 of the published .gz files).
import { idxDatasetModule, type IdxImageSource } from './idx-dataset';

export const FASHION_MNIST_SOURCE: IdxImageSource = {
  name: 'fashion-mnist',
  folder: 'fashion-mnist',
  mirrors: [
    'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
    'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
  ],
  files: {
    trainImages: { name: 'train-images-idx3-ubyte.gz', sha256: '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84' },
    trainLabels: { name: 'train-labels-idx1-ubyte.gz', sha256: 'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845' },
    testImages: { name: 't10k-images-idx3-ubyte.gz', sha256: '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073' },
    testLabels: { name: 't10k-labels-idx1-ubyte.gz', sha256: '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5' },
  },
  classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
};

export const fashionMnist = idxDatasetModule(
  FASHION_MNIST_SOURCE,
  'Fashion-MNIST clothing images, 28x28 grayscale, 10 classes (60k train / 10k test)',
);
