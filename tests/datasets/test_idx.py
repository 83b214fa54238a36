"""Tests for the IDX reader."""

import gzip

import numpy as np
import pytest

from skvae.datasets._idx import read_idx

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@pytest.mark.parametrize("shape", [(5,), (5, 28, 28), (2, 3, 4, 1), (0, 28, 28)])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("suffix", [".gz", ""])
def test_round_trip(tmp_path, write_idx, shape, dtype, suffix):
    """Arrays of every IDX type and rank read back equal, gzip'd or plain."""
    rng = np.random.default_rng(0)
    array = rng.integers(0, 100, size=shape).astype(dtype)
    out = read_idx(write_idx(tmp_path / f"array-idx{suffix}", array))
    assert out.dtype == dtype and out.dtype.isnative
    assert out.shape == shape
    np.testing.assert_array_equal(out, array)


def test_mnist_magic_numbers(tmp_path, write_idx):
    """Images and labels carry the MNIST magic numbers 2051 and 2049."""
    images = write_idx(tmp_path / "i", np.zeros((2, 28, 28), np.uint8))
    labels = write_idx(tmp_path / "l", np.zeros(2, np.uint8))
    assert int.from_bytes(images.read_bytes()[:4], "big") == 2051
    assert int.from_bytes(labels.read_bytes()[:4], "big") == 2049
    assert read_idx(images).shape == (2, 28, 28)
    assert read_idx(labels).shape == (2,)


def test_accepts_str_path_and_returns_writable(tmp_path, write_idx):
    """A str path works and the array can be written to."""
    path = write_idx(tmp_path / "labels.gz", np.arange(4, dtype=np.uint8))
    out = read_idx(str(path))
    out[0] = 9
    assert out.tolist() == [9, 1, 2, 3]


def _labels(idx_bytes):
    return idx_bytes(np.arange(5, dtype=np.uint8))


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda data: data[:3], "too few for an IDX header"),
        (lambda data: b"\x1f\x8b" + data[2:], "not an IDX file: its magic number"),
        (lambda data: b"\x00\x00\x0a" + data[3:], "unsupported IDX type code 0x0a"),
        (lambda data: b"\x00\x00\x08\x00" + data[4:], "declares 0 dimensions"),
        (lambda data: b"\x00\x00\x08\x03" + data[4:], "header needs 16 bytes"),
        (lambda data: data[:-1], r"truncated: its header announces .*\(5,\)"),
        (lambda data: data + b"\x00\x00", "2 trailing bytes"),
    ],
    ids=["short", "magic", "dtype", "no-dims", "header", "truncated", "trailing"],
)
@pytest.mark.parametrize("suffix", [".gz", ""])
def test_rejects_corrupt_idx(tmp_path, idx_bytes, write_idx, corrupt, message, suffix):
    """Malformed IDX content is a ValueError naming the file and the problem."""
    path = write_idx(tmp_path / f"bad-labels{suffix}", corrupt(_labels(idx_bytes)))
    with pytest.raises(ValueError, match=message) as excinfo:
        read_idx(path)
    assert str(path) in str(excinfo.value)


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda gz: gz[:-10],
        lambda gz: gz[:-4] + bytes(4),
        lambda gz: gz[:12] + bytes(len(gz) - 20) + gz[-8:],
        lambda gz: b"not gzip at all",
    ],
    ids=["truncated", "bad-length", "bad-stream", "not-gzip"],
)
def test_rejects_corrupt_gzip(tmp_path, idx_bytes, corrupt):
    """A .gz file that fails to decompress is a ValueError naming the file."""
    path = tmp_path / "bad-labels.gz"
    path.write_bytes(corrupt(gzip.compress(_labels(idx_bytes) * 20)))
    with pytest.raises(ValueError, match="is not a valid gzip file") as excinfo:
        read_idx(path)
    assert str(path) in str(excinfo.value)


def test_missing_file(tmp_path):
    """A missing file is a FileNotFoundError."""
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "absent.gz")
