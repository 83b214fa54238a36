"""Helpers every Display shares: its Axes, argument checks and latent sizes."""

from numbers import Integral

import numpy as np
from sklearn.pipeline import Pipeline


def _get_axes(ax):
    """``ax``, or the Axes of a new figure when ``ax`` is None."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(layout="constrained")
    return ax


def _store_axes(display, ax):
    """Set ``display.ax_`` and ``display.figure_`` to ``ax`` and its figure."""
    display.ax_ = ax
    display.figure_ = ax.figure
    return display


def _check_dims(dims, latent_dim):
    """Two distinct latent dimensions, both in ``range(latent_dim)``."""
    if not np.iterable(dims) or len(dims) != 2:
        raise ValueError(f"dims must be a pair of latent dimensions, got {dims!r}.")
    dims = tuple(dims)
    for d in dims:
        if not isinstance(d, Integral) or isinstance(d, bool):
            raise ValueError(f"dims must hold integers, got {dims!r}.")
        if not 0 <= d < latent_dim:
            raise ValueError(
                f"dims={dims} is out of range: the latent space has latent_dim="
                f"{latent_dim}, so dimensions run from 0 to {latent_dim - 1}."
            )
    if dims[0] == dims[1]:
        raise ValueError(f"dims must be two different dimensions, got {dims}.")
    return int(dims[0]), int(dims[1])


def _latent_dim(estimator):
    """Number of latent dimensions of a fitted transformer (its output width)."""
    return len(estimator.get_feature_names_out())


def _first_rows(X, n):
    """The first ``n`` rows of ``X`` (a DataFrame stays a DataFrame)."""
    return X.iloc[:n] if hasattr(X, "iloc") else np.asarray(X)[:n]


def _as_row(x, name):
    """``x`` (a 1-D row or a (1, n_features) array) as a float array of one row."""
    row = np.asarray(x, dtype=np.float64)
    if row.ndim == 1:
        row = row[None, :]
    if row.ndim != 2 or len(row) != 1:
        raise ValueError(
            f"{name} must be a single row: shape (n_features,) or (1, n_features), "
            f"got shape {np.shape(x)}."
        )
    return row


def _autoencoder(estimator, needs, display):
    """The fitted skvae model behind ``estimator``: itself, or a Pipeline's last step.

    A TypeError names what ``display`` needs (the attribute ``needs``) when the
    estimator is something else, e.g. a PCA.
    """
    model = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    if not hasattr(model, needs):
        raise TypeError(
            f"{display} needs a fitted VAETransformer or AETransformer, or a "
            f"Pipeline ending in one (it reads `{needs}`); got "
            f"{type(estimator).__name__}."
        )
    return model
