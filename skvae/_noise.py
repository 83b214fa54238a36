"""Standard normal noise keyed by each row's content.

Monte-Carlo scores use this noise so that a row gets the same number whichever batch,
subset or order it is scored in, while different rows get independent draws (sharing
a few draws across all rows biases the mean score).
"""

import numpy as np
from scipy.special import ndtri

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix64(x):
    # splitmix64's finaliser: a bijection on uint64 with good avalanche.
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def row_keys(X, seed):
    """A 64-bit hash of each row of ``X`` (values compared as float64)."""
    # + 0.0 maps -0.0 to 0.0, so equal values give equal keys.
    bits = (np.asarray(X, dtype=np.float64) + 0.0).view(np.uint64)
    positions = np.arange(1, X.shape[1] + 1, dtype=np.uint64) + np.uint64(seed)
    weights = _mix64(positions * _GOLDEN) | np.uint64(1)
    # The seed enters the final mix too, so it changes even an all-zero row's key.
    # uint64 arrays wrap silently (numpy scalars would warn), as hashing needs.
    seed_key = _mix64(np.array([seed], dtype=np.uint64) * _GOLDEN + _GOLDEN)
    return _mix64((_mix64(bits) * weights).sum(axis=1, dtype=np.uint64) ^ seed_key)


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
    keys = row_keys(X, seed)
    start = first_draw * dim + 1
    counters = np.arange(start, start + n_draws * dim, dtype=np.uint64) * _GOLDEN
    bits = _mix64(keys[:, None] + counters[None, :])
    uniform = ((bits >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53
    return ndtri(uniform).reshape(len(X), n_draws, dim)
