"""Loaders for MNIST (LeCun et al., 1998) and Fashion-MNIST (Xiao et al., 2017).

Both sets are four IDX files each, kept in ``<data_home>/mnist/`` and
``<data_home>/fashion-mnist/``, checked against the SHA-256 digests of the
published files and downloaded only when missing.

LeCun, Bottou, Bengio and Haffner, "Gradient-based learning applied to document
recognition", Proc. IEEE 86(11), 1998. Xiao, Rasul and Vollgraf, "Fashion-MNIST:
a novel image dataset for benchmarking machine learning algorithms",
arXiv:1708.07747, 2017.
"""

import os
from pathlib import Path

import numpy as np
from sklearn.datasets import get_data_home
from sklearn.utils import Bunch

from ._descr import DESCR
from ._idx import read_idx
from ._remote import ensure_files

__all__ = ["fetch_fashion_mnist", "fetch_mnist"]

_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

_URLS = {
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "fashion-mnist": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
}

# MNIST: torchvision's mirror, byte for byte LeCun's files (their MD5s are the
# ones torchvision publishes). Fashion-MNIST: the zalandoresearch release, whose
# README publishes MD5s (8d4fb7e6..., 25c81989..., bef4ecab..., bb300cfd...);
# these are the SHA-256 digests of the same files.
_SHA256 = {
    "mnist": {
        "train-images-idx3-ubyte.gz": (
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
        ),
        "train-labels-idx1-ubyte.gz": (
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
        ),
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": (
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"
        ),
        "train-labels-idx1-ubyte.gz": (
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"
        ),
    },
}

_TARGET_NAMES = {
    "mnist": tuple(str(digit) for digit in range(10)),
    "fashion-mnist": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
}

_HEIGHT = _WIDTH = 28


def _check_params(subset, data_home, download_if_missing, return_X_y):
    if not isinstance(subset, str) or subset not in ("train", "test", "all"):
        raise ValueError(f"subset must be 'train', 'test' or 'all'; got {subset!r}.")
    if data_home is not None and not isinstance(data_home, (str, os.PathLike)):
        raise ValueError(
            f"data_home must be None, a str or a path-like object; got {data_home!r}."
        )
    for name, value in [
        ("download_if_missing", download_if_missing),
        ("return_X_y", return_X_y),
    ]:
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{name} must be True or False; got {value!r}.")


def _load_split(image_path, label_path):
    images, labels = read_idx(image_path), read_idx(label_path)
    if images.dtype != np.uint8 or images.shape[1:] != (_HEIGHT, _WIDTH):
        raise ValueError(
            f"{image_path} holds a {images.dtype} array of shape {images.shape}; "
            f"expected uint8 images of shape (n_images, {_HEIGHT}, {_WIDTH}) "
            "(IDX magic number 2051)."
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(
            f"{label_path} holds a {labels.dtype} array of shape {labels.shape}; "
            "expected uint8 labels of shape (n_labels,) (IDX magic number 2049)."
        )
    if len(images) != len(labels):
        raise ValueError(
            f"{image_path} holds {len(images)} images but {label_path} holds "
            f"{len(labels)} labels; the two files must match one to one."
        )
    if np.any(labels > 9):
        raise ValueError(
            f"{label_path} holds labels outside 0..9, such as {labels.max()}."
        )
    return images, labels


def _fetch(dataset, caller, *, data_home, subset, download_if_missing, return_X_y):
    _check_params(subset, data_home, download_if_missing, return_X_y)
    folder = Path(get_data_home(data_home)) / dataset
    splits = ("train", "test") if subset == "all" else (subset,)
    names = [name for split in splits for name in _FILES[split]]
    digests = {name: _SHA256[dataset][name] for name in names}
    ensure_files(folder, digests, _URLS[dataset], download_if_missing, caller)
    loaded = [_load_split(*(folder / name for name in _FILES[s])) for s in splits]
    images = np.concatenate([images for images, _ in loaded])
    target = np.concatenate([labels for _, labels in loaded]).astype(np.int64)
    data = images.reshape(len(images), -1) / 255.0
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        images=data.reshape(images.shape),
        target=target,
        target_names=np.array(_TARGET_NAMES[dataset]),
        feature_names=[
            f"pixel_{row}_{col}" for row in range(_HEIGHT) for col in range(_WIDTH)
        ],
        DESCR=DESCR[dataset],
        image_shape=(1, _HEIGHT, _WIDTH),
    )


def fetch_mnist(
    *, data_home=None, subset="train", download_if_missing=True, return_X_y=False
):
    """Load the MNIST handwritten digits dataset (classification).

    70000 grey-level images of handwritten digits, 28x28 pixels each, split
    into 60000 training and 10000 test images. Pixel intensities, stored as
    bytes 0 (background) to 255 (ink), are divided by 255 so that they lie in
    [0, 1], the support ``likelihood="bernoulli"`` needs.

    =================   ==============
    Classes                         10
    Samples total                70000
    Samples train                60000
    Samples test                 10000
    Dimensionality                 784
    Features            real, 0 to 1
    =================   ==============

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder of the datasets; the files are read from, and downloaded to,
        its ``mnist/`` subfolder. By default all scikit-learn data is stored
        in '~/scikit_learn_data' (see :func:`sklearn.datasets.get_data_home`).

    subset : {"train", "test", "all"}, default="train"
        Which split to load: the 60000 training images, the 10000 test
        images, or all 70000, training images first.

    download_if_missing : bool, default=True
        If False, raise an ``OSError`` if the data is not locally available
        instead of trying to download it from the source site.

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch object.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        Dictionary-like object, with the following attributes.

        data : ndarray of shape (n_samples, 784)
            One flattened image per row (row by row), float64 in [0, 1].
        images : ndarray of shape (n_samples, 28, 28)
            The same values as ``data`` (a view of it), one array per image.
        target : ndarray of shape (n_samples,)
            The digit shown in each image, int64 from 0 to 9.
        target_names : ndarray of shape (10,)
            The class names, ``"0"`` to ``"9"``.
        feature_names : list of str
            ``"pixel_<row>_<col>"`` for each of the 784 columns of ``data``.
        DESCR : str
            Description of the dataset: source, size, citation and license.
        image_shape : tuple of int
            ``(1, 28, 28)``, the ``(channels, height, width)`` with which a
            convolutional model unflattens the rows of ``data``.

    (data, target) : tuple if ``return_X_y`` is True
        ``data`` and ``target`` as described above.

    Raises
    ------
    OSError
        If a file is missing and ``download_if_missing`` is False, if a
        download fails, or if a file's SHA-256 digest is not that of the
        published file (delete the file to download it again).
    ValueError
        If an argument is invalid, or a file is not a valid IDX file of the
        expected shape.

    See Also
    --------
    fetch_fashion_mnist : Images of clothing in the same format.
    sklearn.datasets.load_digits : 8x8 digits, bundled with scikit-learn.

    Notes
    -----
    The data are the four files ``train-images-idx3-ubyte.gz``,
    ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz`` and
    ``t10k-labels-idx1-ubyte.gz`` in ``<data_home>/mnist/``. Those a split
    needs are checked against the published SHA-256 digests at every call;
    missing ones are downloaded from torchvision's mirror,
    https://ossci-datasets.s3.amazonaws.com/mnist/. Without network access,
    download them elsewhere and copy them into that folder.

    References
    ----------
    .. [1] Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based
       learning applied to document recognition", Proceedings of the IEEE,
       86(11):2278-2324, 1998.

    Examples
    --------
    >>> import numpy as np
    >>> from skvae.datasets import fetch_mnist
    >>> X, y = fetch_mnist(return_X_y=True)  # doctest: +SKIP
    >>> X.shape, float(X.min()), float(X.max())  # doctest: +SKIP
    ((60000, 784), 0.0, 1.0)
    >>> test = fetch_mnist(subset="test")  # doctest: +SKIP
    >>> test.images.shape, test.image_shape  # doctest: +SKIP
    ((10000, 28, 28), (1, 28, 28))
    >>> np.bincount(test.target)  # doctest: +SKIP
    array([ 980, 1135, 1032, 1010,  982,  892,  958, 1028,  974, 1009])
    """
    return _fetch(
        "mnist",
        "fetch_mnist",
        data_home=data_home,
        subset=subset,
        download_if_missing=download_if_missing,
        return_X_y=return_X_y,
    )


def fetch_fashion_mnist(
    *, data_home=None, subset="train", download_if_missing=True, return_X_y=False
):
    """Load the Fashion-MNIST clothing images dataset (classification).

    70000 grey-level images of Zalando's articles of clothing, 28x28 pixels
    each, in 10 classes of 7000, split into 60000 training and 10000 test
    images: a drop-in replacement for MNIST that is harder to classify. Pixel
    intensities, stored as bytes 0 (background) to 255, are divided by 255 so
    that they lie in [0, 1], the support ``likelihood="bernoulli"`` needs.

    =================   ==============
    Classes                         10
    Samples per class             7000
    Samples total                70000
    Samples train                60000
    Samples test                 10000
    Dimensionality                 784
    Features            real, 0 to 1
    =================   ==============

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder of the datasets; the files are read from, and downloaded to,
        its ``fashion-mnist/`` subfolder. By default all scikit-learn data is
        stored in '~/scikit_learn_data' (see
        :func:`sklearn.datasets.get_data_home`).

    subset : {"train", "test", "all"}, default="train"
        Which split to load: the 60000 training images, the 10000 test
        images, or all 70000, training images first.

    download_if_missing : bool, default=True
        If False, raise an ``OSError`` if the data is not locally available
        instead of trying to download it from the source site.

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch object.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        Dictionary-like object, with the following attributes.

        data : ndarray of shape (n_samples, 784)
            One flattened image per row (row by row), float64 in [0, 1].
        images : ndarray of shape (n_samples, 28, 28)
            The same values as ``data`` (a view of it), one array per image.
        target : ndarray of shape (n_samples,)
            The class of each image, int64 from 0 to 9.
        target_names : ndarray of shape (10,)
            The class names: "T-shirt/top", "Trouser", "Pullover", "Dress",
            "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot".
        feature_names : list of str
            ``"pixel_<row>_<col>"`` for each of the 784 columns of ``data``.
        DESCR : str
            Description of the dataset: source, size, citation and license.
        image_shape : tuple of int
            ``(1, 28, 28)``, the ``(channels, height, width)`` with which a
            convolutional model unflattens the rows of ``data``.

    (data, target) : tuple if ``return_X_y`` is True
        ``data`` and ``target`` as described above.

    Raises
    ------
    OSError
        If a file is missing and ``download_if_missing`` is False, if a
        download fails, or if a file's SHA-256 digest is not that of the
        published file (delete the file to download it again).
    ValueError
        If an argument is invalid, or a file is not a valid IDX file of the
        expected shape.

    See Also
    --------
    fetch_mnist : Handwritten digits in the same format.

    Notes
    -----
    The data are the four files ``train-images-idx3-ubyte.gz``,
    ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz`` and
    ``t10k-labels-idx1-ubyte.gz`` in ``<data_home>/fashion-mnist/``. Those a
    split needs are checked against the published SHA-256 digests at every
    call; missing ones are downloaded from
    http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/. Without
    network access, download them elsewhere and copy them into that folder.

    References
    ----------
    .. [1] H. Xiao, K. Rasul and R. Vollgraf, "Fashion-MNIST: a novel image
       dataset for benchmarking machine learning algorithms",
       arXiv:1708.07747, 2017.

    Examples
    --------
    >>> from skvae.datasets import fetch_fashion_mnist
    >>> test = fetch_fashion_mnist(subset="test")  # doctest: +SKIP
    >>> test.data.shape, test.image_shape  # doctest: +SKIP
    ((10000, 784), (1, 28, 28))
    >>> float(test.data.min()), float(test.data.max())  # doctest: +SKIP
    (0.0, 1.0)
    >>> test.target_names[[0, 9]].tolist()  # doctest: +SKIP
    ['T-shirt/top', 'Ankle boot']
    """
    return _fetch(
        "fashion-mnist",
        "fetch_fashion_mnist",
        data_home=data_home,
        subset=subset,
        download_if_missing=download_if_missing,
        return_X_y=return_X_y,
    )
