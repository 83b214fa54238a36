"""Rows next to their reconstructions, decode(encode(x))."""

import numpy as np

from .._validation import check_int
from ._common import (
    _as_numbers,
    _check_colour_scale,
    _check_style,
    _check_values,
    _first_rows,
    _fitted_model,
    _get_axes,
    _store_axes,
)
from ._images import (
    _check_image_shape,
    _draw_tiles,
    _resolve_image_shape,
    _tile_style,
)


class ReconstructionDisplay:
    """Rows and their reconstructions: images in two rows, or lines for tables.

    It is recommended to use :meth:`from_estimator` to create a
    :class:`ReconstructionDisplay`. All parameters are stored as attributes.

    Parameters
    ----------
    originals : ndarray of shape (n_images, n_features)
        The input rows; NaN marks a missing value, drawn as a gap.
    reconstructions : ndarray of shape (n_images, n_features)
        Their reconstructions, e.g. ``inverse_transform(transform(originals))``.
    image_shape : tuple of int (C, H, W), default=None
        Shape of the image each row flattens (C, H, W order; C is 1 or 3).
        None treats rows as tabular.

    Attributes
    ----------
    originals : ndarray of shape (n_images, n_features)
        The input rows.
    reconstructions : ndarray of shape (n_images, n_features)
        The reconstructions.
    image_shape : tuple of int or None
        Shape of each image, or None for tabular rows.
    ax_ : matplotlib.axes.Axes
        Axes with the plot.
    figure_ : matplotlib.figure.Figure
        Figure containing the plot.
    image_ : matplotlib.image.AxesImage or None
        The tiled images (None for tabular rows).
    lines_ : list of tuple of matplotlib.lines.Line2D or None
        For tabular rows, one ``(original, reconstruction)`` pair per row (None
        for images).

    See Also
    --------
    ReconstructionProgressDisplay : Reconstructions recorded during training.

    Notes
    -----
    Images: originals in the top row, reconstructions below, all on one colour
    scale (see :meth:`plot`). Tabular rows: each row is a line over the feature
    index, the original solid and its reconstruction dashed in the same colour.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skvae import VAETransformer
    >>> from skvae.plotting import ReconstructionDisplay
    >>> X = load_digits().data[:50]
    >>> vae = VAETransformer(hidden_dims=(8,), max_epochs=2, random_state=0).fit(X)
    >>> display = ReconstructionDisplay.from_estimator(
    ...     vae, X, n_images=6, image_shape=(1, 8, 8)
    ... )
    >>> display.reconstructions.shape
    (6, 64)
    """

    def __init__(self, originals, reconstructions, *, image_shape=None):
        self.originals = originals
        self.reconstructions = reconstructions
        self.image_shape = image_shape

    @classmethod
    def from_estimator(
        cls, estimator, X, *, n_images=8, image_shape=None, ax=None, **kwargs
    ):
        """Reconstruct the first rows of ``X`` with a fitted estimator and plot them.

        Parameters
        ----------
        estimator : estimator instance
            Fitted transformer with ``transform`` and ``inverse_transform``.
        X : array-like of shape (n_samples, n_features)
            Rows; the first ``n_images`` are shown.
        n_images : int, default=8
            How many rows to show (all of ``X`` if it has fewer).
        image_shape : tuple of int (C, H, W), default=None
            Shape of the image each row flattens; None uses the estimator's
            (a Pipeline's last step's) ``image_shape`` where it fits the rows,
            else treats rows as tabular.
        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a new figure.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : ReconstructionDisplay
            The drawn display.
        """
        model = _fitted_model(
            estimator,
            cls.__name__,
            uses=("transform", "inverse_transform"),
            inverts=True,
        )
        n_images = check_int(n_images, "n_images", 1)
        rows = _first_rows(X, n_images)
        image_shape = _resolve_image_shape(
            image_shape, getattr(model, "image_shape", None), rows.shape[1]
        )
        reconstructions = estimator.inverse_transform(estimator.transform(rows))
        originals = _as_numbers(rows, "X")
        return cls(originals, reconstructions, image_shape=image_shape).plot(
            ax=ax, **kwargs
        )

    def plot(self, *, ax=None, cmap=None, vmin=None, vmax=None, **kwargs):
        """Draw the originals and their reconstructions.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a new figure.
        cmap : str or Colormap, default=None
            Colormap for one-channel images; None means ``"gray_r"``.
        vmin, vmax : float, default=None
            Value range of the image colour scale; None uses the smallest and
            largest value shown. RGB images are scaled from this range to [0, 1]
            and clipped. Ignored for tabular rows.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.imshow` (images) or
            :meth:`matplotlib.axes.Axes.plot` (tabular rows).

        Returns
        -------
        self : ReconstructionDisplay
            The display, with ``ax_``, ``figure_``, ``image_`` and ``lines_`` set.
        """
        axes = ("n_images", "n_features")
        originals = _check_values(self.originals, "originals", axes, allow_nan=True)
        reconstructions = _check_values(self.reconstructions, "reconstructions", axes)
        if originals.shape != reconstructions.shape:
            raise ValueError(
                f"originals has shape {originals.shape} but reconstructions has "
                f"shape {reconstructions.shape}; they must match."
            )
        image_shape = _check_image_shape(self.image_shape, originals.shape[1])
        self.image_, self.lines_ = None, None
        if image_shape is None:
            _check_colour_scale(cmap, vmin, vmax)
            kwargs = _check_style(kwargs, "plot")
            ax = _get_axes(ax)
            self.lines_ = self._plot_lines(ax, originals, reconstructions, kwargs)
        else:
            shown = [originals, reconstructions]
            ax, style = _tile_style(ax, shown, cmap, vmin, vmax, kwargs)
            self.image_, row_centres, _ = _draw_tiles(
                ax,
                np.concatenate([originals, reconstructions]),
                image_shape,
                n_cols=len(originals),
                **style,
            )
            ax.set_yticks(row_centres, ["original", "reconstruction"])
            ax.tick_params(axis="y", length=0)
        return _store_axes(self, ax)

    @staticmethod
    def _plot_lines(ax, originals, reconstructions, kwargs):
        from matplotlib.lines import Line2D

        features = np.arange(originals.shape[1])
        lines = []
        for k, (original, reconstruction) in enumerate(
            zip(originals, reconstructions, strict=True)
        ):
            colour = f"C{k % 10}"
            style = {"color": colour, "marker": "o", "markersize": 3, **kwargs}
            (solid,) = ax.plot(features, original, **{"linestyle": "-", **style})
            (dashed,) = ax.plot(
                features, reconstruction, **{"linestyle": "--", **style}
            )
            lines.append((solid, dashed))
        ax.legend(
            handles=[
                Line2D([], [], color="0.3", linestyle="-", label="original"),
                Line2D([], [], color="0.3", linestyle="--", label="reconstruction"),
            ],
            fontsize="small",
        )
        ax.set_xlabel("feature")
        ax.set_ylabel("value")
        if len(features) <= 20:
            ax.set_xticks(features)
        return lines
