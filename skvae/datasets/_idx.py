"""Reader for the IDX array format of the MNIST files (LeCun et al., 1998).

An IDX file is a big-endian header -- two zero bytes, a type code, the number
of dimensions, then one 32-bit size per dimension -- followed by the values in
C order. See http://yann.lecun.com/exdb/mnist/ and LeCun, Bottou, Bengio and
Haffner, "Gradient-based learning applied to document recognition", Proc. IEEE
86(11), 1998.
"""

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

__all__ = ["read_idx"]

# Type codes of the IDX specification; all values are stored big-endian.
_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _read_bytes(path):
    if path.suffix != ".gz":
        return path.read_bytes()
    try:
        with gzip.open(path, "rb") as file:
            return file.read()
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise ValueError(
            f"{path} is not a valid gzip file ({exc}); it is probably truncated "
            "or corrupted."
        ) from exc


def read_idx(path):
    """Read an IDX file, gzip-compressed or plain, into a NumPy array.

    A path ending in ``.gz`` is decompressed with :mod:`gzip`; any other path
    is read as a plain IDX file. MNIST images (magic number 2051, 0x00000803)
    come back as a 3-D ``uint8`` array and labels (magic number 2049,
    0x00000801) as a 1-D one.

    Parameters
    ----------
    path : str or path-like
        The file to read.

    Returns
    -------
    ndarray
        The stored array, in native byte order, with the shape given by the
        header.

    Raises
    ------
    ValueError
        If the file is not valid IDX (wrong magic number, unknown type code,
        fewer or more bytes than the header announces) or not valid gzip. The
        message names the file.

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> from skvae.datasets._idx import read_idx
    >>> header = bytes([0, 0, 0x08, 1]) + (3).to_bytes(4, "big")
    >>> path = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte.gz")
    >>> with gzip.open(path, "wb") as file:
    ...     _ = file.write(header + bytes([7, 2, 1]))
    >>> read_idx(path)
    array([7, 2, 1], dtype=uint8)
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(
            f"{path} has {len(data)} bytes, too few for an IDX header (4 or more)."
        )
    if data[0] or data[1]:
        raise ValueError(
            f"{path} is not an IDX file: its magic number is "
            f"0x{data[:4].hex()}, but an IDX magic number starts with two zero "
            "bytes (MNIST images: 0x00000803, labels: 0x00000801)."
        )
    code, ndim = data[2], data[3]
    if code not in _DTYPES:
        known = ", ".join(f"0x{key:02x}" for key in _DTYPES)
        raise ValueError(
            f"{path} has the unsupported IDX type code 0x{code:02x}; "
            f"expected one of {known}."
        )
    if ndim == 0:
        raise ValueError(f"{path} declares 0 dimensions; an IDX array needs 1 or more.")
    offset = 4 + 4 * ndim
    if len(data) < offset:
        raise ValueError(
            f"{path} is truncated: its {ndim}-dimension IDX header needs {offset} "
            f"bytes, the file has {len(data)}."
        )
    shape = tuple(
        int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
    )
    dtype = _DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    found = len(data) - offset
    if found < expected:
        raise ValueError(
            f"{path} is truncated: its header announces an array of shape {shape} "
            f"({expected} bytes of data), the file holds {found}."
        )
    if found > expected:
        raise ValueError(
            f"{path} has {found - expected} trailing bytes after the array of "
            f"shape {shape} that its header announces."
        )
    array = np.frombuffer(data, dtype, count=math.prod(shape), offset=offset)
    return array.reshape(shape).astype(dtype.newbyteorder("="))
