"""The ``DESCR`` texts of the datasets, keyed by their data folder."""

__all__ = ["DESCR"]

_MNIST = """\
.. _mnist_dataset:

MNIST handwritten digits dataset
--------------------------------

**Data Set Characteristics:**

:Number of Instances: 70000 (60000 train, 10000 test)
:Number of Attributes: 784 (28x28 pixels)
:Attribute Information: pixel intensity, 0 (background) to 1 (ink)
:Classes: 10 (the digits 0 to 9)
:Creators: Yann LeCun, Corinna Cortes and Christopher J. C. Burges
:Source: http://yann.lecun.com/exdb/mnist/ (files read from
    https://ossci-datasets.s3.amazonaws.com/mnist/)

MNIST mixes NIST Special Databases 1 and 3: the training set holds digits
written by about 250 writers, and the test set digits by different writers.
Each digit was size-normalised to fit a 20x20 box, keeping its aspect ratio,
anti-aliased to grey levels, and centred by its centre of mass in a 28x28
image. The files store intensities as bytes 0 to 255; this loader divides
them by 255.

The test set holds 980, 1135, 1032, 1010, 982, 892, 958, 1028, 974 and 1009
images of the digits 0 to 9.

Yann LeCun and Corinna Cortes hold the copyright of MNIST, a derivative work
of the NIST databases, and make it available under the terms of the Creative
Commons Attribution-Share Alike 3.0 license.

**References**

- Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning
  applied to document recognition", Proceedings of the IEEE,
  86(11):2278-2324, 1998.
"""

_FASHION_MNIST = """\
.. _fashion_mnist_dataset:

Fashion-MNIST clothing images dataset
-------------------------------------

**Data Set Characteristics:**

:Number of Instances: 70000 (60000 train, 10000 test; 7000 per class)
:Number of Attributes: 784 (28x28 pixels)
:Attribute Information: pixel intensity, 0 (background) to 1
:Classes: 10 (T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt,
    Sneaker, Bag, Ankle boot)
:Creators: Han Xiao, Kashif Rasul and Roland Vollgraf (Zalando Research)
:Source: https://github.com/zalandoresearch/fashion-mnist (files read from
    http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/)

Fashion-MNIST holds product images of Zalando's articles of clothing,
trimmed, resized to 28x28 pixels, converted to grey levels and negated, so
that the article is bright on a dark background as in MNIST. It has the
image size, splits and file format of MNIST so as to be a drop-in
replacement for it, one that is harder to classify. The training set holds
6000 images and the test set 1000 images of each class. The files store
intensities as bytes 0 to 255; this loader divides them by 255.

Fashion-MNIST is copyright (c) 2017 Zalando SE and released under the MIT
license.

**References**

- H. Xiao, K. Rasul and R. Vollgraf, "Fashion-MNIST: a novel image dataset
  for benchmarking machine learning algorithms", arXiv:1708.07747, 2017.
"""

DESCR = {"mnist": _MNIST, "fashion-mnist": _FASHION_MNIST}
