"""Fixtures that write small IDX files and keep the dataset tests offline."""

import gzip

import numpy as np
import pytest

from skvae.datasets import _remote

# IDX type code of each NumPy dtype the format can hold.
_IDX_CODES = {
    np.dtype(np.uint8): 0x08,
    np.dtype(np.int8): 0x09,
    np.dtype(np.int16): 0x0B,
    np.dtype(np.int32): 0x0C,
    np.dtype(np.float32): 0x0D,
    np.dtype(np.float64): 0x0E,
}


def _encode(array):
    header = bytes([0, 0, _IDX_CODES[array.dtype], array.ndim])
    sizes = b"".join(size.to_bytes(4, "big") for size in array.shape)
    return header + sizes + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write(path, content):
    payload = content if isinstance(content, bytes) else _encode(content)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)
    return path


@pytest.fixture
def idx_bytes():
    """Function returning the IDX encoding of an array."""
    return _encode


@pytest.fixture
def write_idx():
    """Function writing an array (IDX-encoded) or raw bytes to a path, gzip'd if
    the path ends in ``.gz``."""
    return _write


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """Make any download attempt fail the test instead of reaching the network."""

    def refuse(url, timeout=None):
        raise AssertionError(f"a test tried to download {url}")

    monkeypatch.setattr(_remote, "_urlopen", refuse)
