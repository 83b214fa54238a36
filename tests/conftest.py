"""Fixtures shared by every test module: one torch thread, IDX files, tiny MNIST."""

import gzip
from hashlib import sha256

import numpy as np
import pytest
import torch

from skvae.datasets import _mnist

# IDX type code of each NumPy dtype the format can hold.
_IDX_CODES = {
    np.dtype(np.uint8): 0x08,
    np.dtype(np.int8): 0x09,
    np.dtype(np.int16): 0x0B,
    np.dtype(np.int32): 0x0C,
    np.dtype(np.float32): 0x0D,
    np.dtype(np.float64): 0x0E,
}


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """Run torch on one thread: the tests' tiny models gain nothing from more, and
    on a shared 2-core host thread hand-offs make them many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _encode_idx(array):
    header = bytes([0, 0, _IDX_CODES[array.dtype], array.ndim])
    sizes = b"".join(size.to_bytes(4, "big") for size in array.shape)
    return header + sizes + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write_idx(path, content):
    payload = content if isinstance(content, bytes) else _encode_idx(content)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)
    return path


@pytest.fixture
def idx_bytes():
    """Function returning the IDX encoding of an array."""
    return _encode_idx


@pytest.fixture
def write_idx():
    """Function writing an array (IDX-encoded) or raw bytes to a path, gzip'd if
    the path ends in ``.gz``."""
    return _write_idx


@pytest.fixture
def tiny_mnist(tmp_path, monkeypatch):
    """A data home with small random MNIST files whose digests the loader accepts."""
    folder = tmp_path / "data" / "mnist"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 40), ("t10k", 20)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = np.arange(n, dtype=np.uint8) % 10
        _write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        _write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    digests = {p.name: sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    monkeypatch.setitem(_mnist._SHA256, "mnist", digests)
    return folder.parent
