"""Test-suite settings shared by every test module."""

import gzip
from hashlib import sha256

import numpy as np
import pytest
import torch

from skvae.datasets import _mnist


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """Run torch on one thread: the tests' tiny models gain nothing from more, and
    on a shared 2-core host thread hand-offs make them many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim])
    sizes = b"".join(size.to_bytes(4, "big") for size in array.shape)
    path.write_bytes(gzip.compress(header + sizes + array.tobytes()))


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
