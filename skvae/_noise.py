"""Standard normal noise keyed by each row's content.

Monte-Carlo scores use this noise so that a row gets the same number whichever batch,
subset or order it is scored in, while different rows get independent draws (sharing
a few draws across all rows biases the mean score).
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
# splitmix64's finaliser: xor-shift by each shift, then multiply (not after the last).
_MIX_STEPS = (
    (np.uint64(30), np.uint64(0xBF58476D1CE4E5B9)),
    (np.uint64(27), np.uint64(0x94D049BB133111EB)),
    (np.uint64(31), None),
)
# Rows are hashed in blocks of about this many values, so that the working arrays
# (8 bytes a value) stay in a core's L2 cache: arrays past the cache hash several
# times slower.
_BLOCK_VALUES = 2**15


def _mix64(x):
    """splitmix64's finaliser, a bijection on uint64 with good avalanche.

    Works in place on the uint64 array ``x`` (callers pass a fresh one) and returns
    it. uint64 arrays wrap silently (numpy scalars would warn), as hashing needs.
    """
    scratch = np.empty_like(x)
    for shift, multiplier in _MIX_STEPS:
        np.right_shift(x, shift, out=scratch)
        np.bitwise_xor(x, scratch, out=x)
        if multiplier is not None:
            np.multiply(x, multiplier, out=x)
    return x


def row_keys(X, seed):
    """A 64-bit hash of each row of ``X`` (values compared as float64).

    Large inputs are hashed on torch's number of threads (numpy releases the GIL),
    so a user or joblib worker that limits torch's threads limits these too.
    """
    n_rows, n_columns = X.shape
    positions = np.arange(1, n_columns + 1, dtype=np.uint64) + np.uint64(seed)
    weights = _mix64(positions * _GOLDEN) | np.uint64(1)
    sums = np.empty(n_rows, dtype=np.uint64)
    step = max(1, _BLOCK_VALUES // max(n_columns, 1))
    blocks = range(0, n_rows, step)
    threads = min(torch.get_num_threads(), len(blocks))

    def hash_blocks(starts):
        for start in starts:
            # + 0.0 maps -0.0 to 0.0, so equal values give equal keys.
            block = np.add(X[start : start + step], 0.0, dtype=np.float64)
            # The weighted sum wraps modulo 2**64 like the rest; einsum does it in
            # one pass, faster than a product and sum(axis=1).
            bits = _mix64(block.view(np.uint64))
            sums[start : start + step] = np.einsum("ij,j->i", bits, weights)

    if threads > 1:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(hash_blocks, (blocks[i::threads] for i in range(threads))))
    else:
        hash_blocks(blocks)
    # The seed enters the final mix too, so it changes even an all-zero row's key.
    seed_key = _mix64(np.array([seed], dtype=np.uint64) * _GOLDEN + _GOLDEN)
    sums ^= seed_key
    return _mix64(sums)


def row_normal_noise(X, n_draws, dim, seed, first_draw=0):
    """Standard normal noise of shape ``(n_rows, n_draws, dim)`` keyed by row.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
        The rows that key the noise.
    n_draws, dim : int
        Draws per row and dimensions per draw.
    seed : int
        Changes every draw.
    first_draw : int, default=0
        Index of the first draw: draws ``first_draw`` to ``first_draw + n_draws
        - 1`` of each row's stream, so a long stream can be made in chunks.

    Returns
    -------
    tensor of float64
    """
    return keyed_normal_noise(row_keys(X, seed), n_draws, dim, first_draw)


def keyed_normal_noise(keys, n_draws, dim, first_draw=0):
    """``row_normal_noise`` from the rows' ``row_keys``, to hash rows only once.

    ``keys`` is the uint64 array of ``row_keys`` or an int64 tensor with its bits
    (on any device); the noise is a float64 tensor on the keys' device. Between
    the model's operations this runs in torch: numpy, single-threaded, ran 2.4
    times slower there, as torch's idle worker threads spin on the other core.
    torch has no uint64 arithmetic, so the bits live in int64 tensors: int64
    products, sums and xors wrap modulo 2**64 like uint64 ones, and a masked
    arithmetic shift is the logical one. The draws are those of the uint64
    arithmetic, to rounding in ``ndtri``.
    """
    if isinstance(keys, np.ndarray):
        keys = torch.from_numpy(keys.view(np.int64))
    start = first_draw * dim + 1
    counters = torch.arange(
        start, start + n_draws * dim, dtype=torch.int64, device=keys.device
    )
    bits = _mix64_int64(keys[:, None] + counters[None, :] * _signed(_GOLDEN))
    # The top 53 bits, centred in their interval: a uniform in (0, 1), never 0 or 1.
    uniform = _shift_right(bits, 11).to(torch.float64)
    uniform += 0.5
    uniform *= 2.0**-53
    return torch.special.ndtri(uniform).reshape(len(keys), n_draws, dim)


def _mix64_int64(bits):
    """:func:`_mix64` on the uint64 bits held in the int64 tensor ``bits``, in place."""
    for shift, multiplier in _MIX_STEPS:
        bits ^= _shift_right(bits, int(shift))
        if multiplier is not None:
            bits *= _signed(multiplier)
    return bits


def _signed(value):
    """The int64 with the bits of the uint64 ``value``."""
    value = int(value)
    return value - 2**64 if value >= 2**63 else value


def _shift_right(x, shift):
    """The logical right shift of the uint64 bits held in the int64 tensor ``x``."""
    return (x >> shift) & ((1 << (64 - shift)) - 1)
