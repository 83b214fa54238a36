"""The normal-score map of a mixed table's numeric columns, its inverse, and
the log-Jacobian that turns a density of the scores into one of the numbers.

Each column is mapped through its empirical quantiles, as scikit-learn's
``QuantileTransformer(output_distribution="normal")`` does: a probability
piecewise linear between the quantiles, then the normal quantile function.
"""

import numpy as np
from scipy import special

# Quantiles of each numeric column's map, as QuantileTransformer's default.
N_QUANTILES = 1000
# Probabilities are kept this far from 0 and 1, as QuantileTransformer does.
_BOUND = 1e-7
_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


def fit_quantiles(numeric):
    """Each column's quantiles at ``linspace(0, 1, n)``, NaN ignored."""
    grid = np.linspace(0.0, 1.0, min(N_QUANTILES, len(numeric)))
    return np.nanquantile(numeric, grid, axis=0)


def to_normal(numeric, quantiles):
    """Normal scores of the numbers (columns of ``quantiles``); NaN stays NaN."""
    grid = np.linspace(0.0, 1.0, len(quantiles))
    scores = np.empty_like(numeric)
    for i, q in enumerate(quantiles.T):
        x = numeric[:, i]
        # Both directions averaged, as QuantileTransformer: ties land mid-way.
        up = np.interp(x, q, grid)
        down = -np.interp(-x, -q[::-1], -grid[::-1])
        scores[:, i] = 0.5 * (up + down)
    return special.ndtri(np.clip(scores, _BOUND, 1.0 - _BOUND))


def from_normal(scores, quantiles):
    """Numbers of normal scores, on each column's training range."""
    grid = np.linspace(0.0, 1.0, len(quantiles))
    uniform = special.ndtr(scores)
    return np.column_stack(
        [np.interp(uniform[:, i], grid, q) for i, q in enumerate(quantiles.T)]
    )


def continuous(quantiles, integer):
    """The columns whose map is a bijection of their range: not integer-valued,
    no value repeated among the quantiles (a point mass)."""
    distinct = np.all(np.diff(quantiles, axis=0) > 0, axis=0)
    return distinct & ~integer


def log_jacobian(numeric, scores, quantiles, integer):
    """Each row's ``log |d score / d x|``, summed over its observed continuous
    columns (see :func:`continuous`); 0 for the others.

    With it a density of the normal scores becomes one of the numbers in their
    own units. The probability's slope is that of the quantile segment holding
    ``x``: at a quantile, the mean of the two either side (the map averages
    its directions); below or above the range, the end segment's. An integer
    column, or one with a point mass, has no density in its units: it counts
    in normal scores.
    """
    total = np.zeros(len(numeric))
    grid = np.linspace(0.0, 1.0, len(quantiles))
    step = np.diff(grid)
    for i in np.flatnonzero(continuous(quantiles, integer)):
        q, x = quantiles[:, i], numeric[:, i]
        slopes = step / np.diff(q)
        last = len(slopes) - 1
        k = np.clip(np.searchsorted(q, x, side="right") - 1, 0, last)
        at_knot = q[k] == x
        before = slopes[np.maximum(k - 1, 0)]
        # The maximum clips to the last segment, whose left end it is not.
        slope = np.where(at_knot, 0.5 * (before + slopes[k]), slopes[k])
        y = scores[:, i]
        log_normal = -0.5 * y**2 - _LOG_SQRT_2PI
        total += np.where(np.isnan(x), 0.0, np.log(slope) - log_normal)
    return total
