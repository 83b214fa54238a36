"""Decoded rows along a straight line between two codes in latent space."""

import numpy as np

from .._validation import check_int
from ._common import (
    _as_row,
    _check_rows_memory,
    _check_values,
    _fitted_model,
    _store_axes,
)
from ._images import (
    _check_image_shape,
    _draw_heatmap,
    _draw_tiles,
    _label_ticks,
    _resolve_image_shape,
    _tile_style,
)


class InterpolationDisplay:
    """Rows decoded along a line in latent space, from one input to another.

    It is recommended to use :meth:`from_estimator` to create an
    :class:`InterpolationDisplay`. All parameters are stored as attributes.

    Parameters
    ----------
    decoded : ndarray of shape (n_steps, n_features)
        Decoded rows, from the start to the end of the path.
    latent_path : ndarray of shape (n_steps, latent_dim), default=None
        The latent points that were decoded.
    image_shape : tuple of int (C, H, W), default=None
        Shape of the image each row flattens (C, H, W order; C is 1 or 3).
        None treats rows as tabular.

    Attributes
    ----------
    decoded : ndarray of shape (n_steps, n_features)
        The decoded rows.
    latent_path : ndarray of shape (n_steps, latent_dim) or None
        The latent points.
    image_shape : tuple of int or None
        Shape of each image, or None for tabular rows.
    ax_ : matplotlib.axes.Axes
        Axes with the plot.
    figure_ : matplotlib.figure.Figure
        Figure containing the plot.
    image_ : matplotlib.image.AxesImage
        The tiled images, or the heatmap for tabular rows.
    midpoint_ : matplotlib.patches.Rectangle or None
        Frame around the midpoint image when ``n_steps`` is odd (None otherwise
        and for tabular rows).

    See Also
    --------
    LatentGridDisplay : Decoded rows over a grid of two latent dimensions.

    Notes
    -----
    Step ``k`` of ``n_steps`` sits at ``t = k / (n_steps - 1)`` along the path,
    so both ends are included and, when ``n_steps`` is odd, so is the midpoint
    ``t = 0.5`` (the "hybrid" of the two inputs), framed in red. Images form one
    row labelled with ``t`` (beyond 10 steps, every k-th is labelled); tabular
    rows form a heatmap with one row per step and one column per feature.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skvae import VAETransformer
    >>> from skvae.plotting import InterpolationDisplay
    >>> X = load_digits().data[:50]
    >>> vae = VAETransformer(hidden_dims=(8,), max_epochs=2, random_state=0).fit(X)
    >>> display = InterpolationDisplay.from_estimator(
    ...     vae, X[0], X[1], n_steps=5, image_shape=(1, 8, 8)
    ... )
    >>> display.latent_path.shape
    (5, 2)
    """

    def __init__(self, decoded, latent_path=None, *, image_shape=None):
        self.decoded = decoded
        self.latent_path = latent_path
        self.image_shape = image_shape

    @classmethod
    def from_estimator(
        cls,
        estimator,
        x_start,
        x_end,
        *,
        n_steps=9,
        image_shape=None,
        ax=None,
        **kwargs,
    ):
        """Interpolate linearly between the codes of two rows and decode the path.

        Parameters
        ----------
        estimator : estimator instance
            Fitted transformer with ``transform`` (for a VAE, the posterior
            mean) and ``inverse_transform``.
        x_start : array-like of shape (n_features,) or (1, n_features)
            Row at the start of the path.
        x_end : array-like of shape (n_features,) or (1, n_features)
            Row at the end of the path.
        n_steps : int, default=9
            Number of points on the path, both ends included; at least 2. An odd
            number includes the midpoint.
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
        display : InterpolationDisplay
            The drawn display.
        """
        model = _fitted_model(
            estimator,
            cls.__name__,
            uses=("transform", "inverse_transform"),
            inverts=True,
        )
        n_steps = check_int(n_steps, "n_steps", 2)
        start, end = _as_row(x_start, "x_start"), _as_row(x_end, "x_end")
        if start.shape != end.shape:
            raise ValueError(
                f"x_start has {start.shape[1]} features but x_end has "
                f"{end.shape[1]}; both must be rows of the estimator's inputs."
            )
        n_features = start.shape[1]
        image_shape = _resolve_image_shape(
            image_shape, getattr(model, "image_shape", None), n_features
        )
        ends = estimator.transform(np.concatenate([start, end])).astype(np.float64)
        _check_rows_memory(
            n_steps,
            n_features,
            ends.shape[1],
            f"A path of {n_steps} codes and their decoded rows",
            "Choose a smaller n_steps.",
        )
        t = np.linspace(0.0, 1.0, n_steps)[:, None]
        latent_path = (1 - t) * ends[0] + t * ends[1]
        decoded = estimator.inverse_transform(latent_path)
        return cls(decoded, latent_path, image_shape=image_shape).plot(ax=ax, **kwargs)

    def plot(self, *, ax=None, cmap=None, vmin=None, vmax=None, **kwargs):
        """Draw the decoded path.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a new figure.
        cmap : str or Colormap, default=None
            Colormap for one-channel images (None: ``"gray_r"``) or for the
            tabular heatmap (None: ``"viridis"``).
        vmin, vmax : float, default=None
            Value range of the colour scale; None uses the smallest and largest
            decoded value. RGB images are scaled from this range to [0, 1] and
            clipped.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.imshow`.

        Returns
        -------
        self : InterpolationDisplay
            The display, with ``ax_``, ``figure_``, ``image_`` and ``midpoint_``
            set.
        """
        decoded = _check_values(self.decoded, "decoded", ("n_steps", "n_features"))
        n_steps = len(decoded)
        if n_steps < 2:
            raise ValueError(
                "decoded must hold at least 2 rows, the two ends of the path; got 1."
            )
        image_shape = _check_image_shape(self.image_shape, decoded.shape[1])
        ax, style = _tile_style(ax, [decoded], cmap, vmin, vmax, kwargs)
        labels = [f"{t:.2g}" for t in np.linspace(0.0, 1.0, n_steps)]
        self.midpoint_ = None
        if image_shape is None:
            self.image_, row_centres = _draw_heatmap(
                ax, decoded, "decoded value", **style
            )
            _label_ticks(ax.yaxis, row_centres, labels)
            ax.set_ylabel("t (0 = start, 1 = end)")
        else:
            self.image_, _, col_centres = _draw_tiles(
                ax, decoded, image_shape, n_steps, **style
            )
            _label_ticks(ax.xaxis, col_centres, labels)
            ax.tick_params(axis="x", length=0)
            ax.set_xlabel("t (0 = start, 1 = end)")
            if n_steps % 2:
                self.midpoint_ = self._frame(ax, col_centres[n_steps // 2], image_shape)
        return _store_axes(self, ax)

    @staticmethod
    def _frame(ax, centre, image_shape):
        from matplotlib.patches import Rectangle

        _, height, width = image_shape
        return ax.add_patch(
            Rectangle(
                (centre - width / 2, -0.5),
                width,
                height,
                fill=False,
                edgecolor="tab:red",
                linewidth=1.5,
            )
        )
