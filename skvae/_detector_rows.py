"""Rows as the outlier detector reads them: complete, mapped without overflow,
and the estimator's categorical columns, which have no squared error."""

import numpy as np
import pandas as pd
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import check_array

from ._inference import NonFiniteOutputError
from ._validation import from_torch


def _mapped_without_overflow(method, A):
    """``method`` applied to the rows of ``A`` it maps to finite values, and the
    mask of those rows.

    skvae's networks refuse rows they overflow on (``NonFiniteOutputError``);
    the others are mapped again without them. Other transformers' non-finite
    output rows are dropped.
    """
    try:
        out = method(A)
    except NonFiniteOutputError as exc:
        ok = np.ones(len(exc.output), dtype=bool)
        ok[exc.rows] = False
        return (method(_safe_indexing(A, ok)) if ok.any() else None), ok
    out = np.asarray(out)
    if out.ndim != 2:
        raise ValueError(
            f"{getattr(method, '__qualname__', method)} gives an array of shape "
            f"{out.shape}; the detector needs 2-D rows."
        )
    ok = np.isfinite(out).all(axis=1)
    return (out if ok.all() else out[ok]), ok  # no copy in the usual case


def _categorical_columns(estimator):
    """Names (or indices) of the fitted estimator's categorical columns."""
    mask = getattr(estimator, "is_categorical_", None)
    if mask is None or not np.any(mask):
        return []
    names = getattr(estimator, "feature_names_in_", None)
    indices = np.flatnonzero(mask)
    return [str(names[i]) for i in indices] if names is not None else indices.tolist()


def _reject_missing(X):
    """Raise a ValueError when ``X`` has NaN entries (other checks are the
    estimator's)."""
    rows = check_array(from_torch(X), dtype=None, ensure_all_finite=False)
    # A table with categorical columns comes as objects, its missing values None
    # or NaN.
    if rows.dtype.kind in "fO" and pd.isna(rows).any():
        raise ValueError(
            "AutoencoderOutlierDetector needs complete rows, but X contains NaN. "
            "A row's score with missing entries is a density of its observed "
            "features alone, which cannot be ranked against rows observed on "
            "others. Impute X first, e.g. with skvae.VAEImputer."
        )
