"""Standard normal noise keyed by each row's content.

Monte-Carlo scores use this noise so that a row gets the same number whichever batch,
subset or order it is scored in, while different rows get independent draws (sharing
a few draws across all rows biases the mean score).
"""

import numpy as np
from scipy.special import ndtri

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
    """A 64-bit hash of each row of ``X`` (values compared as float64)."""
    n_rows, n_columns = X.shape
    positions = np.arange(1, n_columns + 1, dtype=np.uint64) + np.uint64(seed)
    weights = _mix64(positions * _GOLDEN) | np.uint64(1)
    sums = np.empty(n_rows, dtype=np.uint64)
    step = max(1, _BLOCK_VALUES // max(n_columns, 1))
    for start in range(0, n_rows, step):
        # + 0.0 maps -0.0 to 0.0, so equal values give equal keys.
        block = np.add(X[start : start + step], 0.0, dtype=np.float64)
        # The weighted sum wraps modulo 2**64 like the rest; einsum does it in one
        # pass, faster than a product and sum(axis=1).
        bits = _mix64(block.view(np.uint64))
        sums[start : start + step] = np.einsum("ij,j->i", bits, weights)
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
    ndarray of float64
    """
    return keyed_normal_noise(row_keys(X, seed), n_draws, dim, first_draw)


def keyed_normal_noise(keys, n_draws, dim, first_draw=0):
    """``row_normal_noise`` from the rows' ``row_keys``, to hash rows only once."""
    start = first_draw * dim + 1
    counters = np.arange(start, start + n_draws * dim, dtype=np.uint64) * _GOLDEN
    bits = _mix64(keys[:, None] + counters[None, :])
    # The top 53 bits, centred in their interval: a uniform in (0, 1), never 0 or 1.
    np.right_shift(bits, np.uint64(11), out=bits)
    uniform = bits.astype(np.float64)
    uniform += 0.5
    uniform *= 2.0**-53
    return ndtri(uniform, out=uniform).reshape(len(keys), n_draws, dim)
