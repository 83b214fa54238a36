"""Scatter of latent codes on two or three latent dimensions, coloured by a label."""

import numpy as np

from ._common import (
    _as_array,
    _check_bool,
    _check_dims,
    _check_style,
    _check_values,
    _fitted_model,
    _get_axes,
    _store_axes,
)

# Numeric labels with more distinct values than this are drawn as continuous.
_MAX_CLASSES = 20


def _is_discrete(labels):
    """True for class labels, False for a continuous quantity."""
    if labels.dtype.kind not in "biuf":
        return True
    if labels.dtype.kind == "f" and not np.all(np.mod(labels, 1) == 0):
        return False
    return len(np.unique(labels)) <= _MAX_CLASSES


def _check_labels(labels, n_rows):
    """``labels`` as a 1-D array of ``n_rows`` entries, or an error naming them.

    Numbers must be finite; objects (e.g. a mix of numbers and strings) become
    classes named by their ``str``.
    """
    array = _as_array(labels, "labels")
    if array.ndim != 1:
        raise ValueError(
            f"labels must be 1-D, one per row of latent, got shape {array.shape}."
        )
    if len(array) != n_rows:
        raise ValueError(
            f"labels has {len(array)} entries but latent has {n_rows} rows."
        )
    if array.dtype.kind == "O":
        return array.astype(str)
    if array.dtype.kind in "biuf":
        _check_values(array, "labels", ("n_samples",))
    return array


def _class_colours(n_classes):
    import matplotlib as mpl

    palette = mpl.colormaps["tab10" if n_classes <= 10 else "tab20"].colors
    return [palette[k % len(palette)] for k in range(n_classes)]


class LatentSpaceDisplay:
    """Latent codes scattered on two or three latent dimensions, coloured by a label.

    It is recommended to use :meth:`from_estimator` to create a
    :class:`LatentSpaceDisplay`. All parameters are stored as attributes.

    Parameters
    ----------
    latent : ndarray of shape (n_samples, latent_dim)
        Latent codes, e.g. from ``estimator.transform(X)``.
    labels : array-like of shape (n_samples,), default=None
        Colours the points: class labels (strings, booleans, objects, which are
        named by their ``str``, or at most 20 distinct integer values) get one
        colour each and a legend; other numbers, which must be finite, get a
        continuous colormap and a colorbar. None draws one colour.
    dims : tuple of int of length 2 or 3, default=(0, 1)
        The latent dimensions on the x and y axes, and with three entries on the
        z axis of a 3-D scatter. Two dims are ignored when ``latent_dim == 1``;
        three need ``latent_dim >= 3``.
    cdf : bool, default=False
        Map each coordinate through the standard normal CDF, so the axes run over
        [0, 1] and codes from an N(0, I) prior would fill the unit square (or
        cube) evenly.

    Attributes
    ----------
    latent : ndarray of shape (n_samples, latent_dim)
        The latent codes, as given (before any CDF).
    labels : ndarray of shape (n_samples,) or None
        The labels.
    dims : tuple of int
        The plotted dimensions.
    cdf : bool
        Whether coordinates are drawn through the normal CDF.
    ax_ : matplotlib.axes.Axes
        Axes with the scatter; a :class:`mpl_toolkits.mplot3d.axes3d.Axes3D` for
        three dims.
    figure_ : matplotlib.figure.Figure
        Figure containing the scatter.
    scatter_ : matplotlib.collections.PathCollection
        The scatter. With two dims ``scatter_.get_offsets()`` holds the plotted
        coordinates; with three it is a 3-D collection
        (:class:`mpl_toolkits.mplot3d.art3d.Path3DCollection`).

    See Also
    --------
    LatentGridDisplay : Decoded images over a grid of two of the dimensions.

    Notes
    -----
    With ``latent_dim == 1`` the code ``z0`` is on the x axis and the label on
    the y axis (a strip per class, jittered with a fixed seed; a strip at 0
    without labels).

    Three dims draw on matplotlib's 3-D Axes (``projection="3d"``), which shade
    farther points paler to show depth.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skvae import VAETransformer
    >>> from skvae.plotting import LatentSpaceDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> vae = VAETransformer(hidden_dims=(8,), max_epochs=2, random_state=0)
    >>> vae = vae.fit(X[:50])
    >>> display = LatentSpaceDisplay.from_estimator(vae, X[:50], y[:50], cdf=True)
    >>> display.scatter_.get_offsets().shape
    (50, 2)
    >>> vae3 = VAETransformer(latent_dim=3, hidden_dims=(8,), max_epochs=2,
    ...                       random_state=0).fit(X[:50])
    >>> display = LatentSpaceDisplay.from_estimator(vae3, X[:50], y[:50],
    ...                                             dims=(0, 1, 2))
    >>> display.ax_.name
    '3d'
    """

    def __init__(self, latent, labels=None, *, dims=(0, 1), cdf=False):
        self.latent = latent
        self.labels = labels
        self.dims = dims
        self.cdf = cdf

    @classmethod
    def from_estimator(
        cls, estimator, X, y=None, *, dims=(0, 1), cdf=False, ax=None, **kwargs
    ):
        """Encode ``X`` with a fitted estimator and scatter the codes.

        Parameters
        ----------
        estimator : estimator instance
            Fitted transformer whose ``transform`` gives latent codes, e.g.
            :class:`~skvae.VAETransformer` (posterior means).
        X : array-like of shape (n_samples, n_features)
            Rows to encode.
        y : array-like of shape (n_samples,), default=None
            Labels that colour the points; see ``labels`` in the class docstring.
        dims : tuple of int of length 2 or 3, default=(0, 1)
            The latent dimensions to plot; three draw a 3-D scatter.
        cdf : bool, default=False
            Plot ``Phi(z)``, the standard normal CDF of each coordinate.
        ax : matplotlib Axes, default=None
            Axes to plot on, 3-D (``projection="3d"``) for three dims; None
            creates a new figure.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.scatter`.

        Returns
        -------
        display : LatentSpaceDisplay
            The drawn display.
        """
        _fitted_model(estimator, cls.__name__, uses=("transform",))
        latent = estimator.transform(X)
        return cls(latent, y, dims=dims, cdf=cdf).plot(ax=ax, **kwargs)

    def plot(self, *, ax=None, **kwargs):
        """Draw the scatter.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on, 3-D (``projection="3d"``) for three dims; None
            creates a new figure.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.scatter`, overriding the
            defaults (``s=14`` up to 1,000 points and smaller for more, so dense
            clouds keep their shape; ``alpha=0.8``; no edges). With labels, the
            labels colour the points, so ``c`` and ``color`` cannot be passed.

        Returns
        -------
        self : LatentSpaceDisplay
            The display, with ``ax_``, ``figure_`` and ``scatter_`` set.
        """
        latent = _check_values(self.latent, "latent", ("n_samples", "latent_dim"))
        one_dim = latent.shape[1] == 1
        dims = _check_dims(
            self.dims, None if one_dim else latent.shape[1], lengths=(2, 3)
        )
        three_d = len(dims) == 3
        if one_dim and three_d:
            raise ValueError(
                f"dims={dims} asks for a 3-D scatter, but the latent space has "
                "latent_dim=1, which is drawn against the labels; leave dims at "
                "its default, or fit with latent_dim >= 3."
            )
        if one_dim:
            why = "latent_dim=1 is drawn against the labels"
            dims = (0,)
        elif three_d:
            why = f"dims={dims} names 3 dimensions"
        else:
            why = f"dims={dims} names 2 dimensions; 3 would draw in 3-D"
        cdf = _check_bool(self.cdf, "cdf")
        coords = latent[:, dims]
        if cdf:
            from scipy.stats import norm

            coords = norm.cdf(coords)
        names = [f"Phi(z{d})" if cdf else f"z{d}" for d in dims]

        size = 14 * min(1.0, (1000 / len(latent)) ** 0.5)
        style = {"s": max(size, 2.0), "alpha": 0.8, "linewidth": 0}
        labels = (
            None if self.labels is None else _check_labels(self.labels, len(latent))
        )
        kwargs = _check_style(kwargs, "scatter")
        colour = [key for key in ("c", "color", "facecolor") if key in kwargs]
        if labels is not None and colour:
            raise ValueError(
                f"{colour[0]}= would hide the colours of the labels; pass labels=None "
                "to colour the points yourself."
            )
        ax = _get_axes(ax, three_d=three_d, why=why)
        discrete = labels is not None and _is_discrete(labels)
        if discrete:
            classes, codes = np.unique(labels, return_inverse=True)
            colours = np.array(_class_colours(len(classes)))
            style["c"] = colours[codes]
        elif labels is not None:
            style.update(c=labels.astype(np.float64), cmap="viridis")

        if one_dim:
            if discrete:
                y_values = codes.astype(np.float64)
            elif labels is not None:
                y_values = labels.astype(np.float64)
            else:
                y_values = np.zeros(len(latent))
            if labels is None or discrete:
                jitter = np.random.RandomState(0).uniform(-0.25, 0.25, len(latent))
                y_values = y_values + jitter
            coords = np.column_stack([coords[:, 0], y_values])

        self.scatter_ = ax.scatter(*coords.T, **{**style, **kwargs})
        ax.set_xlabel(names[0])
        if one_dim:
            ax.set_ylabel("label" if labels is not None else "")
            if discrete:
                ax.set_yticks(np.arange(len(classes)), [str(c) for c in classes])
            elif labels is None:
                ax.set_yticks([])
        else:
            ax.set_ylabel(names[1])
            if three_d:
                ax.set_zlabel(names[2])
            if discrete:
                self._add_legend(ax, classes, colours, three_d)
        if labels is not None and not discrete:
            ax.figure.colorbar(self.scatter_, ax=ax, label="label")
        if cdf:
            ax.set_xlim(0, 1)
            if not one_dim:
                ax.set_ylim(0, 1)
                if three_d:
                    ax.set_zlim(0, 1)
                ax.set_aspect("equal")

        return _store_axes(self, ax)

    @staticmethod
    def _add_legend(ax, classes, colours, three_d):
        from matplotlib.lines import Line2D

        handles = [
            Line2D([], [], ls="", marker="o", color=colour, label=str(name))
            for name, colour in zip(classes, colours, strict=True)
        ]
        ax.legend(
            handles=handles,
            title="label",
            loc="center left",
            # Clear of the z label, which a 3-D Axes draws beside its box.
            bbox_to_anchor=(1.12 if three_d else 1.01, 0.5),
            frameon=False,
            fontsize="small",
        )
