"""Checks every Display shares: its estimator, its Axes, its style and its arrays.

Each is decided here, before matplotlib, numpy or torch sees the value, so a bad
argument gets an error in our words that names it.
"""

import inspect
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .._device import check_memory
from .._validation import from_torch

# The largest value drawn: matplotlib's axis limits and tickers overflow on
# values of about a third of float64's maximum (measured with matplotlib 3.11).
_LARGEST = 1e307
# Bytes per value shown as a tile: the decoded rows, the mosaic and the copies of
# it matplotlib makes while drawing (measured: about 18 float64 copies).
_BYTES_PER_VALUE = 8 * 20
# Keywords of each drawing call that a Display sets itself: passing them would
# move or recolour what it draws, so its ticks and legend would lie.
_RESERVED = {
    "imshow": ("X", "data", "extent", "origin", "norm", "colorizer", "transform"),
    "scatter": ("x", "y", "data", "offsets", "offset_transform", "transform"),
    "plot": ("data", "xdata", "ydata", "transform"),
}
# Keywords of a drawing call that say the same thing: at most one may be passed.
_EXCLUSIVE = {"scatter": ("c", "color", "facecolor")}
# How messages count the entries of dims.
_COUNTS = {2: "two", 3: "three"}


def _fitted_model(estimator, display, *, uses, inverts=False):
    """The fitted model behind ``estimator``: itself, or a Pipeline's last step.

    A TypeError names what ``display`` needs when the model lacks an attribute in
    ``uses``, or, with ``inverts`` (rows are mapped back through the Pipeline),
    when an earlier step has no ``inverse_transform``.
    """
    check_is_fitted(estimator)
    pipeline = isinstance(estimator, Pipeline)
    model = estimator[-1] if pipeline else estimator
    for name in uses:
        if not hasattr(model, name):
            hint = (
                " Pass its fitted `estimator_` instead."
                if hasattr(model, "estimator_")
                else ""
            )
            raise TypeError(
                f"{display} needs a fitted VAETransformer or AETransformer, or a "
                f"Pipeline ending in one (it uses `{name}`); got "
                f"{type(model).__name__}.{hint}"
            )
    if inverts and pipeline:
        for step_name, step in estimator.steps[:-1]:
            if step not in (None, "passthrough") and not hasattr(
                step, "inverse_transform"
            ):
                raise TypeError(
                    f"{display} maps rows back through the Pipeline, but its step "
                    f"{step_name!r} ({type(step).__name__}) has no "
                    "`inverse_transform`. Remove that step, or pass the last step "
                    "alone."
                )
    return model


def _latent_dim(model):
    """Number of latent dimensions of a fitted transformer (its output width)."""
    return len(model.get_feature_names_out())


def _check_rows_memory(n_rows, n_features, latent_dim, what, remedy):
    """Raise a ValueError when ``n_rows`` codes, their decoded rows and their
    picture would need more than all the memory there is."""
    n_bytes = n_rows * (8 * latent_dim + _BYTES_PER_VALUE * n_features)
    check_memory(n_bytes, "cpu", what, remedy)


def _get_axes(ax, *, three_d=False, why=""):
    """``ax``, checked, or the Axes of a new figure when ``ax`` is None.

    ``three_d`` asks for matplotlib's 3-D Axes instead of a 2-D rectilinear one;
    ``why`` says in the error for any other Axes why that kind is needed.
    """
    import matplotlib.axes

    if ax is None:
        import matplotlib.pyplot as plt

        projection = "3d" if three_d else None
        _, ax = plt.subplots(
            layout="constrained", subplot_kw={"projection": projection}
        )
        return ax
    if not isinstance(ax, matplotlib.axes.Axes):
        raise TypeError(
            f"ax must be a matplotlib Axes or None, got {type(ax).__name__}; pass "
            "a single Axes, e.g. ax from `fig, ax = plt.subplots()`."
        )
    reason = f" ({why})" if why else ""
    if three_d:
        from mpl_toolkits.mplot3d import Axes3D

        if not isinstance(ax, Axes3D):
            raise ValueError(
                f"ax must be a 3-D Axes, got a {ax.name!r} projection{reason}; make "
                "one with plt.figure().add_subplot(projection='3d'), or pass ax=None."
            )
    elif ax.name != "rectilinear":
        raise ValueError(
            f"ax must be a 2-D rectilinear Axes, got a {ax.name!r} projection"
            f"{reason}; make one with plt.subplots(), without a projection."
        )
    if ax.get_figure() is None:
        raise ValueError("ax was removed from its figure; pass an Axes in a figure.")
    return ax


def _store_axes(display, ax):
    """Set ``display.ax_`` and ``display.figure_`` to ``ax`` and its figure."""
    display.ax_ = ax
    display.figure_ = ax.figure
    return display


def _check_style(kwargs, draw):
    """``kwargs`` for ``Axes.<draw>`` with aliases spelt out in full, or an error.

    A keyword is taken when it is a named argument of the drawing method or a
    property of the artist it makes (one with a ``set_<name>`` method: the rule
    ``Artist.set`` follows), unless the Display sets it itself. Aliases become
    their full names (``lw`` -> ``linewidth``), so they merge with a Display's
    defaults.
    """
    from matplotlib.artist import ArtistInspector
    from matplotlib.axes import Axes
    from matplotlib.collections import PathCollection
    from matplotlib.image import AxesImage
    from matplotlib.lines import Line2D

    artist = {"imshow": AxesImage, "scatter": PathCollection, "plot": Line2D}[draw]
    parameters = inspect.signature(getattr(Axes, draw)).parameters.values()
    named = {
        p.name
        for p in parameters
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"
    }
    full = {
        alias: name
        for name, aliases in ArtistInspector(artist).aliasd.items()
        for alias in aliases
    }
    style = {}
    for key, value in kwargs.items():
        name = full.get(key, key)
        if name in _RESERVED[draw] or key in _RESERVED[draw]:
            raise TypeError(
                f"{key!r} is set by the Display itself; it cannot be passed to "
                f"Axes.{draw}."
            )
        if name not in named and not callable(getattr(artist, f"set_{name}", None)):
            raise TypeError(
                f"Unexpected keyword {key!r}: it is not an argument of the "
                f"Display's plot, of Axes.{draw} or a property of "
                f"{artist.__name__}."
            )
        if name in style:
            raise TypeError(f"{key!r} is another name of {name!r}; pass only one.")
        style[name] = value
    given = [key for key in _EXCLUSIVE.get(draw, ()) if key in style]
    if len(given) > 1:
        raise TypeError(f"{' and '.join(given)} both colour the points; pass one.")
    _check_colour_scale(style.get("cmap"), style.get("vmin"), style.get("vmax"))
    return style


def _check_colour_scale(cmap, vmin, vmax):
    """Raise unless ``cmap`` is None, a colormap's name or a Colormap, and
    ``vmin`` and ``vmax`` are None or finite numbers with ``vmin < vmax``."""
    import matplotlib as mpl
    from matplotlib.colors import Colormap

    if cmap is not None and not isinstance(cmap, Colormap):
        if not isinstance(cmap, str):
            raise TypeError(
                f"cmap must be a colormap name or a matplotlib Colormap, got {cmap!r}."
            )
        if cmap not in mpl.colormaps:
            raise ValueError(
                f"cmap={cmap!r} is not a matplotlib colormap; use a name in "
                "matplotlib.colormaps, e.g. 'viridis'."
            )
    for name, value in (("vmin", vmin), ("vmax", vmax)):
        if value is None:
            continue
        if not isinstance(value, Real) or isinstance(value, bool):
            raise TypeError(f"{name} must be a number or None, got {value!r}.")
        # float() first: numpy would cast _LARGEST to a float32 value's dtype.
        if isinstance(value, Integral):
            too_large = abs(value) > _LARGEST
        else:
            too_large = not abs(float(value)) <= _LARGEST
        if too_large:
            raise ValueError(
                f"{name} must be finite and at most {_LARGEST:g} in size, got "
                f"{_show(value)}."
            )
    if vmin is not None and vmax is not None and not vmin < vmax:
        raise ValueError(
            f"vmin must be below vmax, got vmin={_show(vmin)}, vmax={_show(vmax)}."
        )


def _show(value):
    """``value`` as a message writes it: a numpy scalar as a plain number."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _as_array(values, name):
    """``values`` as a numpy array (a torch tensor's values), refusing sparse
    matrices and nested sequences of uneven lengths."""
    values = from_torch(values)
    if sp.issparse(values):
        raise TypeError(
            f"{name} is a sparse matrix; pass dense rows, e.g. {name}.toarray()."
        )
    try:
        return np.asarray(values)
    except ValueError:  # numpy cannot make one array of uneven nesting
        raise ValueError(
            f"{name} must be a regular array (rows of one length), got "
            f"{type(values).__name__} of uneven nesting."
        ) from None


def _as_numbers(values, name):
    """``values`` as a float64 array, or a TypeError unless they are real numbers."""
    array = _as_array(values, name)
    if array.dtype.kind == "c":
        raise TypeError(f"{name} must hold real numbers, got complex values.")
    if array.dtype.kind not in "biufO":
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}.")
    try:
        return array.astype(np.float64)
    except (TypeError, ValueError):  # an object array holding something else
        raise TypeError(f"{name} must hold numbers, but some values are not.") from None


def _check_values(values, name, axes, *, allow_nan=False):
    """``values`` as a float64 array to draw, of one axis per name in ``axes``.

    A ValueError names a wrong number of axes, nothing to draw, NaN (unless
    ``allow_nan``: a missing value, drawn as a gap) or infinite values, and values
    too large to draw.
    """
    array = _as_numbers(values, name)
    shape = f"({', '.join(axes)}{',' if len(axes) == 1 else ''})"
    if array.ndim != len(axes):
        raise ValueError(
            f"{name} must be {len(axes)}-D, of shape {shape}, got shape {array.shape}."
        )
    if not array.size:
        raise ValueError(
            f"{name} has shape {array.shape}, so there is nothing to draw; each of "
            f"{shape} must be at least 1."
        )
    finite = np.isfinite(array)
    if not finite.all():
        if np.isinf(array).any():
            raise ValueError(
                f"{name} holds infinite values, which cannot be drawn; clip or "
                "drop them."
            )
        if not allow_nan:
            raise ValueError(
                f"{name} holds NaN values, which cannot be drawn; fill or drop them."
            )
        if not finite.any():
            raise ValueError(f"{name} holds only NaN values: nothing to draw.")
    largest = float(np.max(np.abs(array[finite])))
    if largest > _LARGEST:
        raise ValueError(
            f"{name} holds values up to {largest:g} in size, beyond the "
            f"{_LARGEST:g} matplotlib can draw; rescale it."
        )
    return array


def _first_rows(X, n):
    """The first ``n`` rows of ``X`` (a DataFrame stays a DataFrame)."""
    if hasattr(X, "iloc") and getattr(X, "ndim", None) == 2:
        return X.iloc[:n]
    X = _as_array(X, "X")
    if X.ndim != 2:
        raise ValueError(
            f"X must be 2-D, of shape (n_samples, n_features), got shape {X.shape}."
        )
    return X[:n]


def _as_row(x, name):
    """``x`` (a 1-D row or a (1, n_features) array) as a float array of one row."""
    row = _as_numbers(x, name)
    if row.ndim == 1:
        row = row[None, :]
    if row.ndim != 2 or len(row) != 1:
        raise ValueError(
            f"{name} must be a single row: shape (n_features,) or (1, n_features), "
            f"got shape {row.shape}."
        )
    return row


def _check_dims(dims, latent_dim=None, *, lengths=(2,)):
    """Distinct latent dimensions, as many as an entry of ``lengths`` says, all in
    ``range(latent_dim)`` when it is given."""
    if not np.iterable(dims) or isinstance(dims, str) or len(dims) not in lengths:
        counts = (
            "a pair of" if lengths == (2,) else " or ".join(_COUNTS[n] for n in lengths)
        )
        raise ValueError(f"dims must be {counts} latent dimensions, got {dims!r}.")
    for d in dims:
        if not isinstance(d, Integral) or isinstance(d, bool):
            raise ValueError(f"dims must hold integers, got {tuple(dims)!r}.")
    dims = tuple(int(d) for d in dims)
    count = _COUNTS[len(dims)]
    if latent_dim is None:
        if min(dims) < 0:
            raise ValueError(f"dims must be non-negative, got {dims!r}.")
    elif len(dims) > latent_dim:
        raise ValueError(
            f"dims={dims} names {count} dimensions, but the latent space has only "
            f"latent_dim={latent_dim}."
        )
    elif not all(0 <= d < latent_dim for d in dims):
        raise ValueError(
            f"dims={dims} is out of range: the latent space has latent_dim="
            f"{latent_dim}, so dimensions run from 0 to {latent_dim - 1}."
        )
    if len(set(dims)) < len(dims):
        raise ValueError(f"dims must be {count} different dimensions, got {dims}.")
    return dims


def _check_bool(value, name):
    """``value`` as a bool, or a TypeError unless it is True or False."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}.")
    return bool(value)
