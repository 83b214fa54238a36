"""Decoded rows over a regular grid of two latent dimensions (a latent "manifold")."""

from numbers import Real

import numpy as np

from .._validation import check_int
from ._common import (
    _check_dims,
    _check_rows_memory,
    _check_values,
    _fitted_model,
    _latent_dim,
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


def _check_quantile_range(quantile_range):
    pair = () if isinstance(quantile_range, str) else quantile_range
    pair = tuple(pair) if np.iterable(pair) else ()
    numbers = all(isinstance(q, Real) and not isinstance(q, bool) for q in pair)
    if len(pair) != 2 or not numbers or not 0 < pair[0] < pair[1] < 1:
        raise ValueError(
            "quantile_range must be a pair (q0, q1) with 0 < q0 < q1 < 1, got "
            f"{quantile_range!r}."
        )
    return float(pair[0]), float(pair[1])


def _check_grid_values(grid_values):
    """The two arrays of ``grid_values``, each 1-D and finite."""
    pair = () if isinstance(grid_values, str) else grid_values
    if not np.iterable(pair) or len(pair) != 2:
        raise ValueError(
            "grid_values must be a pair (values along dims[0], values along "
            f"dims[1]), got {grid_values!r}."
        )
    return [
        _check_values(values, f"grid_values[{k}]", (f"n{k}",))
        for k, values in enumerate(pair)
    ]


def _tick_label(value):
    """A latent value as a tick label: two decimals, or three digits when large."""
    return f"{value:.2f}" if abs(value) < 1e5 else f"{value:.3g}"


class LatentGridDisplay:
    """Rows decoded from a grid of points spanning two latent dimensions.

    It is recommended to use :meth:`from_estimator` to create a
    :class:`LatentGridDisplay`. All parameters are stored as attributes.

    Parameters
    ----------
    decoded : ndarray of shape (n0 * n1, n_features)
        Decoded rows, one per grid point, ordered along ``dims[0]`` first: row
        ``i * n1 + j`` is the point with ``z[dims[0]] = grid_values[0][i]`` and
        ``z[dims[1]] = grid_values[1][j]``.
    grid_values : pair of array-like of shapes (n0,) and (n1,)
        The latent values along ``dims[0]`` and ``dims[1]``, increasing.
    dims : tuple of int, default=(0, 1)
        The two latent dimensions the grid spans (used for axis labels).
    image_shape : tuple of int (C, H, W), default=None
        Shape of the image each row flattens (C, H, W order; C is 1 or 3).
        None treats rows as tabular.

    Attributes
    ----------
    decoded : ndarray of shape (n0 * n1, n_features)
        The decoded rows.
    grid_values : pair of ndarray
        The latent values along each of the two dimensions.
    dims : tuple of int
        The two latent dimensions.
    image_shape : tuple of int or None
        Shape of each image, or None for tabular rows.
    ax_ : matplotlib.axes.Axes
        Axes with the grid.
    figure_ : matplotlib.figure.Figure
        Figure containing the grid.
    image_ : matplotlib.image.AxesImage
        The tiled images, or the heatmap for tabular rows.

    See Also
    --------
    LatentSpaceDisplay : Where encoded data falls in the same two dimensions.

    Notes
    -----
    Images are laid out like a scatter plot of the two dimensions: ``dims[0]``
    grows to the right and ``dims[1]`` upwards, and the ticks show the latent
    values. Tabular rows are drawn as a heatmap with one row per grid point, in
    the order of ``decoded`` (blocks of constant ``dims[0]`` value, labelled, with
    ``dims[1]`` increasing down each block) and one column per feature.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skvae import VAETransformer
    >>> from skvae.plotting import LatentGridDisplay
    >>> X = load_digits().data[:50]
    >>> vae = VAETransformer(hidden_dims=(8,), max_epochs=2, random_state=0).fit(X)
    >>> display = LatentGridDisplay.from_estimator(
    ...     vae, n_per_side=5, image_shape=(1, 8, 8)
    ... )
    >>> display.decoded.shape
    (25, 64)
    """

    def __init__(self, decoded, grid_values, *, dims=(0, 1), image_shape=None):
        self.decoded = decoded
        self.grid_values = grid_values
        self.dims = dims
        self.image_shape = image_shape

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        n_per_side=15,
        dims=(0, 1),
        quantile_range=(0.05, 0.95),
        image_shape=None,
        ax=None,
        **kwargs,
    ):
        """Decode a grid over two latent dimensions of a fitted estimator.

        The grid takes ``n_per_side`` evenly spaced quantiles in
        ``quantile_range`` of each dimension's distribution, the other latent
        dimensions held at its centre. For a VAE that distribution is the N(0, 1)
        prior, so the values are ``scipy.stats.norm.ppf`` of the quantiles and the
        other dimensions are 0. For an estimator with a fitted latent Gaussian
        (``latent_mean_`` and ``latent_covariance_``, as
        :class:`~skvae.AETransformer`) they are ``latent_mean_ + std * ppf`` and
        the other dimensions sit at ``latent_mean_``. For a Pipeline, these are
        read from its last step, and the decoded rows go back through its
        earlier steps.

        Parameters
        ----------
        estimator : estimator instance
            Fitted transformer with ``inverse_transform``, with at least two
            latent dimensions.
        n_per_side : int, default=15
            Grid points along each dimension.
        dims : tuple of int, default=(0, 1)
            The two latent dimensions the grid spans.
        quantile_range : tuple of float, default=(0.05, 0.95)
            Lowest and highest quantile, strictly between 0 and 1.
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
        display : LatentGridDisplay
            The drawn display.
        """
        from scipy.stats import norm

        model = _fitted_model(
            estimator,
            cls.__name__,
            uses=("inverse_transform", "get_feature_names_out"),
            inverts=True,
        )
        n_per_side = check_int(n_per_side, "n_per_side", 1)
        q0, q1 = _check_quantile_range(quantile_range)
        n_features = getattr(estimator, "n_features_in_", None)
        image_shape = _resolve_image_shape(
            image_shape, getattr(model, "image_shape", None), n_features
        )
        latent_dim = _latent_dim(model)
        if latent_dim < 2:
            raise ValueError(
                "LatentGridDisplay needs at least two latent dimensions, but the "
                f"estimator has latent_dim={latent_dim}."
            )
        dims = _check_dims(dims, latent_dim)
        if hasattr(model, "latent_mean_"):
            centre = np.asarray(model.latent_mean_, dtype=np.float64)
            scale = np.sqrt(np.diag(model.latent_covariance_))
        else:
            centre, scale = np.zeros(latent_dim), np.ones(latent_dim)
        _check_rows_memory(
            n_per_side**2,
            n_features or 1,
            latent_dim,
            f"A grid of {n_per_side} x {n_per_side} codes and their decoded rows",
            "Choose a smaller n_per_side.",
        )
        ppf = norm.ppf(np.linspace(q0, q1, n_per_side))
        grid_values = centre[list(dims), None] + scale[list(dims), None] * ppf
        latent = np.tile(centre, (n_per_side**2, 1))
        latent[:, dims[0]] = np.repeat(grid_values[0], n_per_side)
        latent[:, dims[1]] = np.tile(grid_values[1], n_per_side)
        decoded = estimator.inverse_transform(latent)
        return cls(decoded, grid_values, dims=dims, image_shape=image_shape).plot(
            ax=ax, **kwargs
        )

    def plot(self, *, ax=None, cmap=None, vmin=None, vmax=None, **kwargs):
        """Draw the decoded grid.

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
        self : LatentGridDisplay
            The display, with ``ax_``, ``figure_`` and ``image_`` set.
        """
        decoded = _check_values(self.decoded, "decoded", ("n0 * n1", "n_features"))
        values = _check_grid_values(self.grid_values)
        d0, d1 = _check_dims(self.dims)
        if len(decoded) != len(values[0]) * len(values[1]):
            raise ValueError(
                "decoded must have one row per grid point: got "
                f"{len(decoded)} rows for grid_values of lengths "
                f"{[len(v) for v in values]}."
            )
        image_shape = _check_image_shape(self.image_shape, decoded.shape[1])
        ax, style = _tile_style(ax, [decoded], cmap, vmin, vmax, kwargs)
        n0, n1 = len(values[0]), len(values[1])
        if image_shape is None:
            self.image_, _ = _draw_heatmap(ax, decoded, "decoded value", **style)
            blocks = np.arange(n0) * n1
            _label_ticks(
                ax.yaxis, blocks + (n1 - 1) / 2, [_tick_label(v) for v in values[0]]
            )
            for start in blocks[1:]:
                ax.axhline(start - 0.5, color="white", linewidth=0.8)
            ax.set_ylabel(f"z{d0} (blocks); z{d1} increases down each block")
        else:
            # Tile (r, c) shows z[d0] = values[0][c], z[d1] = values[1][n1 - 1 - r].
            tiles = decoded.reshape(n0, n1, -1).transpose(1, 0, 2)[::-1]
            self.image_, row_centres, col_centres = _draw_tiles(
                ax, tiles.reshape(n0 * n1, -1), image_shape, n0, **style
            )
            _label_ticks(ax.xaxis, col_centres, [_tick_label(v) for v in values[0]])
            _label_ticks(
                ax.yaxis, row_centres, [_tick_label(v) for v in values[1][::-1]]
            )
            ax.set_xlabel(f"z{d0}")
            ax.set_ylabel(f"z{d1}")
        return _store_axes(self, ax)
