"""Tests for fetch_mnist and fetch_fashion_mnist, on small synthetic IDX files."""

import hashlib
import io
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from skvae.datasets import _mnist, _remote, fetch_fashion_mnist, fetch_mnist

SHARED_DATA = Path(__file__).parents[2] / ".." / "shared" / "data"
FETCHERS = {"mnist": fetch_mnist, "fashion-mnist": fetch_fashion_mnist}
SIZES = {"train": 5, "test": 3}
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
FASHION_NAMES = [
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
]


def _split(split):
    """Synthetic images (holding both 0 and 255) and labels of a split."""
    rng = np.random.default_rng(list(SIZES).index(split))
    n = SIZES[split]
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    images[0, 0, :2] = 0, 255
    return images, rng.integers(0, 10, size=n, dtype=np.uint8)


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _trust(monkeypatch, folder, dataset):
    """Make the loader expect the digests of the files now in ``folder``."""
    digests = {path.name: _sha256(path) for path in folder.glob("*.gz")}
    monkeypatch.setitem(_mnist._SHA256, dataset, digests)


def _write_split(write_idx, folder, split, images, labels):
    image_file, label_file = FILES[split]
    write_idx(folder / image_file, images)
    write_idx(folder / label_file, labels)


@pytest.fixture
def data_home(tmp_path, monkeypatch, write_idx):
    """A data_home with synthetic files for both datasets, digests trusted."""
    for dataset in FETCHERS:
        for split in SIZES:
            _write_split(write_idx, tmp_path / dataset, split, *_split(split))
        _trust(monkeypatch, tmp_path / dataset, dataset)
    return tmp_path


def _serve(monkeypatch, files):
    """Replace the URL opener by one serving ``files`` (url -> bytes)."""
    requested = []

    def urlopen(url, timeout=None):
        requested.append(url)
        return io.BytesIO(files[url])

    monkeypatch.setattr(_remote, "_urlopen", urlopen)
    return requested


@pytest.mark.parametrize("subset", ["train", "test", "all"])
@pytest.mark.parametrize("dataset", list(FETCHERS))
def test_subsets(data_home, dataset, subset):
    """Each subset returns its images scaled by 1/255 and its labels, train first."""
    splits = ["train", "test"] if subset == "all" else [subset]
    images = np.concatenate([_split(split)[0] for split in splits])
    labels = np.concatenate([_split(split)[1] for split in splits])
    bunch = FETCHERS[dataset](data_home=data_home, subset=subset)
    assert bunch.data.shape == (len(images), 784)
    assert bunch.images.shape == (len(images), 28, 28)
    np.testing.assert_array_equal(bunch.images, images / 255.0)
    np.testing.assert_array_equal(bunch.data, images.reshape(-1, 784) / 255.0)
    np.testing.assert_array_equal(bunch.target, labels)


@pytest.mark.parametrize("dataset", list(FETCHERS))
def test_bunch_fields(data_home, dataset):
    """The Bunch has sklearn's fields with the documented types and ranges."""
    bunch = FETCHERS[dataset](data_home=data_home)
    assert set(bunch) == {
        "data",
        "images",
        "target",
        "target_names",
        "feature_names",
        "DESCR",
        "image_shape",
    }
    assert bunch.data.dtype == bunch.images.dtype == np.float64
    assert bunch.target.dtype == np.int64
    assert (bunch.data.min(), bunch.data.max()) == (0.0, 1.0)
    assert np.shares_memory(bunch.data, bunch.images)
    assert len(bunch.feature_names) == 784
    assert bunch.feature_names[:2] == ["pixel_0_0", "pixel_0_1"]
    assert bunch.feature_names[28] == "pixel_1_0"
    assert bunch.feature_names[-1] == "pixel_27_27"
    assert bunch.image_shape == (1, 28, 28)
    assert "arXiv:1708.07747" in bunch.DESCR or "LeCun" in bunch.DESCR
    assert "license" in bunch.DESCR


@pytest.mark.parametrize(
    "dataset, names",
    [("mnist", [str(digit) for digit in range(10)]), ("fashion-mnist", FASHION_NAMES)],
)
def test_target_names(data_home, dataset, names):
    """target_names lists the ten class names in label order."""
    assert FETCHERS[dataset](data_home=data_home).target_names.tolist() == names


@pytest.mark.parametrize("subset", ["train", "all"])
@pytest.mark.parametrize("dataset", list(FETCHERS))
def test_return_X_y(data_home, dataset, subset):
    """return_X_y=True returns the Bunch's data and target."""
    X, y = FETCHERS[dataset](data_home=data_home, subset=subset, return_X_y=True)
    bunch = FETCHERS[dataset](data_home=data_home, subset=subset)
    np.testing.assert_array_equal(X, bunch.data)
    np.testing.assert_array_equal(y, bunch.target)


def test_default_data_home(data_home, monkeypatch):
    """data_home=None reads from sklearn's data home (SCIKIT_LEARN_DATA)."""
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(data_home))
    assert fetch_mnist(subset="test").data.shape == (SIZES["test"], 784)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"subset": "valid"}, "subset must be 'train', 'test' or 'all'; got 'valid'"),
        ({"subset": None}, "subset must be"),
        ({"subset": ["train"]}, "subset must be"),
        ({"data_home": 3}, "data_home must be None, a str or a path-like"),
        ({"download_if_missing": "yes"}, "download_if_missing must be True or False"),
        ({"return_X_y": 1}, "return_X_y must be True or False"),
    ],
)
@pytest.mark.parametrize("dataset", list(FETCHERS))
def test_invalid_arguments(tmp_path, dataset, kwargs, message):
    """Invalid arguments are ValueErrors naming the argument."""
    kwargs = {"data_home": tmp_path, **kwargs}
    with pytest.raises(ValueError, match=message):
        FETCHERS[dataset](**kwargs)


def test_keyword_only():
    """The arguments are keyword-only."""
    with pytest.raises(TypeError):
        fetch_mnist(None)


@pytest.mark.parametrize("subset", ["train", "test", "all"])
@pytest.mark.parametrize("dataset", list(FETCHERS))
def test_missing_files_without_download(tmp_path, dataset, subset):
    """Missing files with download_if_missing=False are an OSError naming them."""
    with pytest.raises(OSError, match="`download_if_missing` is False") as excinfo:
        FETCHERS[dataset](data_home=tmp_path, subset=subset, download_if_missing=False)
    splits = ["train", "test"] if subset == "all" else [subset]
    for split in splits:
        for name in FILES[split]:
            assert str(tmp_path / dataset / name) in str(excinfo.value)


def test_one_missing_file_without_download(data_home):
    """Only the missing file is named, and nothing is downloaded."""
    missing = data_home / "mnist" / "t10k-labels-idx1-ubyte.gz"
    missing.unlink()
    with pytest.raises(OSError, match="t10k-labels") as excinfo:
        fetch_mnist(data_home=data_home, subset="test", download_if_missing=False)
    assert "t10k-images" not in str(excinfo.value)
    assert fetch_mnist(data_home=data_home, download_if_missing=False).data.size


@pytest.mark.parametrize("dataset", list(FETCHERS))
def test_download(tmp_path, monkeypatch, write_idx, dataset):
    """Missing files are downloaded from the dataset's URL, verified, then reused."""
    server = tmp_path / "server"
    for split in SIZES:
        _write_split(write_idx, server, split, *_split(split))
    _trust(monkeypatch, server, dataset)
    base = _mnist._URLS[dataset]
    requested = _serve(
        monkeypatch, {base + path.name: path.read_bytes() for path in server.iterdir()}
    )
    home = tmp_path / "home"
    bunch = FETCHERS[dataset](data_home=home, subset="all")
    assert sorted(requested) == sorted(base + name for s in SIZES for name in FILES[s])
    assert sorted(path.name for path in (home / dataset).iterdir()) == sorted(
        path.name for path in server.iterdir()
    )
    assert bunch.data.shape == (sum(SIZES.values()), 784)
    FETCHERS[dataset](data_home=home, subset="all")
    assert len(requested) == 4


def test_download_only_missing(data_home, monkeypatch):
    """Only the missing file of a split is downloaded."""
    missing = data_home / "mnist" / "t10k-images-idx3-ubyte.gz"
    payload = missing.read_bytes()
    missing.unlink()
    url = _mnist._URLS["mnist"] + missing.name
    requested = _serve(monkeypatch, {url: payload})
    fetch_mnist(data_home=data_home, subset="test")
    assert requested == [url]
    assert missing.read_bytes() == payload


def test_download_checksum_mismatch(tmp_path, monkeypatch):
    """A download with the wrong digest is an OSError and leaves no file behind."""
    url = _mnist._URLS["mnist"] + "t10k-images-idx3-ubyte.gz"
    _serve(monkeypatch, {url: b"not the published file"})
    with pytest.raises(OSError, match=f"downloaded from {url} has SHA-256"):
        fetch_mnist(data_home=tmp_path, subset="test")
    assert list((tmp_path / "mnist").iterdir()) == []


def test_download_network_error(tmp_path, monkeypatch):
    """A network failure is an OSError naming the URL and the folder to fill."""

    def urlopen(url, timeout=None):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(_remote, "_urlopen", urlopen)
    folder = tmp_path / "fashion-mnist"
    with pytest.raises(OSError, match="Could not download http") as excinfo:
        fetch_fashion_mnist(data_home=tmp_path)
    assert _mnist._URLS["fashion-mnist"] in str(excinfo.value)
    assert f"place them in {folder}" in str(excinfo.value)
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("dataset", list(FETCHERS))
def test_checksum_mismatch(tmp_path, write_idx, dataset):
    """A local file without the published digest is an OSError naming the file,
    both digests, and the fix."""
    _write_split(write_idx, tmp_path / dataset, "test", *_split("test"))
    path = tmp_path / dataset / "t10k-images-idx3-ubyte.gz"
    expected = _mnist._SHA256[dataset][path.name]
    with pytest.raises(OSError, match="Delete it and call") as excinfo:
        FETCHERS[dataset](data_home=tmp_path, subset="test")
    message = str(excinfo.value)
    assert str(path) in message and expected in message and _sha256(path) in message


@pytest.mark.parametrize(
    "images, labels, message, bad_file",
    [
        (np.zeros((3, 28, 28), np.uint8), np.zeros(4, np.uint8), "3 images", 0),
        (np.zeros((3, 28, 28), np.uint8), np.full(3, 10, np.uint8), "0..9", 1),
        (np.zeros((3, 27, 27), np.uint8), np.zeros(3, np.uint8), "2051", 0),
        (np.zeros((3, 28, 28), np.int32), np.zeros(3, np.uint8), "uint8 images", 0),
        (np.zeros((3, 28, 28), np.uint8), np.zeros((3, 1), np.uint8), "2049", 1),
    ],
    ids=["count", "label-range", "image-size", "image-dtype", "label-shape"],
)
def test_inconsistent_files(
    tmp_path, monkeypatch, write_idx, images, labels, message, bad_file
):
    """Valid IDX files that do not form an MNIST split are a ValueError naming
    the file."""
    folder = tmp_path / "mnist"
    _write_split(write_idx, folder, "test", images, labels)
    _trust(monkeypatch, folder, "mnist")
    with pytest.raises(ValueError, match=message) as excinfo:
        fetch_mnist(data_home=tmp_path, subset="test")
    assert str(folder / FILES["test"][bad_file]) in str(excinfo.value)


def test_corrupt_idx(data_home, monkeypatch, write_idx):
    """A corrupt IDX file with a trusted digest is a ValueError from the reader."""
    path = data_home / "mnist" / "t10k-labels-idx1-ubyte.gz"
    write_idx(path, b"\x00\x00\x08\x01\x00\x00\x00\x03\x01")
    _trust(monkeypatch, data_home / "mnist", "mnist")
    with pytest.raises(ValueError, match="truncated"):
        fetch_mnist(data_home=data_home, subset="test")


@pytest.mark.skipif(
    not (SHARED_DATA / "mnist").is_dir(), reason="no shared copy of MNIST"
)
def test_real_mnist_test_set():
    """On the real files, the test set has 10000 images with the known class counts."""
    bunch = fetch_mnist(data_home=SHARED_DATA, subset="test", download_if_missing=False)
    assert bunch.data.shape == (10000, 784)
    assert np.bincount(bunch.target).tolist() == MNIST_TEST_COUNTS
    assert (bunch.data.min(), bunch.data.max()) == (0.0, 1.0)


@pytest.mark.skipif(
    not (SHARED_DATA / "mnist").is_dir(), reason="no shared copy of MNIST"
)
def test_real_mnist_digests():
    """The module's MNIST digests are those of the canonical files."""
    for name, expected in _mnist._SHA256["mnist"].items():
        assert _sha256(SHARED_DATA / "mnist" / name) == expected
