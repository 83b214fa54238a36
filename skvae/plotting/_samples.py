"""Rows drawn from a fitted generative model, tiled in a grid."""

import math

from .._validation import check_int
from ._common import _check_rows_memory, _check_values, _fitted_model, _store_axes
from ._images import (
    _check_image_shape,
    _draw_heatmap,
    _draw_tiles,
    _label_ticks,
    _resolve_image_shape,
    _tile_style,
)


class SamplesDisplay:
    """A set of rows, such as samples from a generative model, in a grid.

    Use :meth:`from_estimator` to draw from a fitted estimator's ``sample``, or
    the constructor and :meth:`plot` for any array of rows (e.g. rows decoded
    from chosen latent points).

    Parameters
    ----------
    samples : ndarray of shape (n_samples, n_features)
        The rows to show.
    image_shape : tuple of int (C, H, W), default=None
        Shape of the image each row flattens (C, H, W order; C is 1 or 3).
        None treats rows as tabular.

    Attributes
    ----------
    samples : ndarray of shape (n_samples, n_features)
        The rows.
    image_shape : tuple of int or None
        Shape of each image, or None for tabular rows.
    ax_ : matplotlib.axes.Axes
        Axes with the plot.
    figure_ : matplotlib.figure.Figure
        Figure containing the plot.
    image_ : matplotlib.image.AxesImage
        The tiled images, or the heatmap for tabular rows.

    See Also
    --------
    LatentGridDisplay : Rows decoded from a regular latent grid.

    Notes
    -----
    Images are tiled row by row in a square-ish grid (``ceil(sqrt(n_samples))``
    columns unless ``n_cols`` is given). Tabular rows form a heatmap with one row
    per sample and one column per feature. No title is set; add one with
    ``display.ax_.set_title(...)``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skvae import VAETransformer
    >>> from skvae.plotting import SamplesDisplay
    >>> X = load_digits().data[:50]
    >>> vae = VAETransformer(hidden_dims=(8,), max_epochs=2, random_state=0).fit(X)
    >>> display = SamplesDisplay.from_estimator(
    ...     vae, n_samples=16, image_shape=(1, 8, 8)
    ... )
    >>> display.samples.shape
    (16, 64)
    >>> display = SamplesDisplay(X[:10], image_shape=(1, 8, 8)).plot(n_cols=5)
    >>> display.image_.get_array().shape
    (17, 44)
    """

    def __init__(self, samples, *, image_shape=None):
        self.samples = samples
        self.image_shape = image_shape

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        n_samples=64,
        random_state=0,
        image_shape=None,
        ax=None,
        **kwargs,
    ):
        """Draw rows with a fitted estimator's ``sample`` method and plot them.

        Parameters
        ----------
        estimator : estimator instance
            Fitted estimator with a ``sample(n_samples, random_state=...)``
            method, e.g. :class:`~skvae.VAETransformer`.
        n_samples : int, default=64
            Number of rows to draw.
        random_state : int, RandomState instance or None, default=0
            Seeds the draw, passed to ``sample``.
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
        display : SamplesDisplay
            The drawn display.
        """
        model = _fitted_model(estimator, cls.__name__, uses=("sample",), inverts=True)
        n_samples = check_int(n_samples, "n_samples", 1)
        n_features = getattr(estimator, "n_features_in_", None)
        image_shape = _resolve_image_shape(
            image_shape, getattr(model, "image_shape", None), n_features
        )
        _check_rows_memory(
            n_samples,
            n_features or 1,
            0,
            f"{n_samples} samples",
            "Choose a smaller n_samples.",
        )
        samples = model.sample(n_samples, random_state=random_state)
        if model is not estimator:  # back through the Pipeline's earlier steps
            samples = estimator[:-1].inverse_transform(samples)
        return cls(samples, image_shape=image_shape).plot(ax=ax, **kwargs)

    def plot(self, *, ax=None, n_cols=None, cmap=None, vmin=None, vmax=None, **kwargs):
        """Draw the rows.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a new figure.
        n_cols : int, default=None
            Images per grid row, at most ``n_samples``; None gives a square-ish
            grid. Ignored for tabular rows.
        cmap : str or Colormap, default=None
            Colormap for one-channel images (None: ``"gray_r"``) or for the
            tabular heatmap (None: ``"viridis"``).
        vmin, vmax : float, default=None
            Value range of the colour scale; None uses the smallest and largest
            value shown. RGB images are scaled from this range to [0, 1] and
            clipped.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.imshow`.

        Returns
        -------
        self : SamplesDisplay
            The display, with ``ax_``, ``figure_`` and ``image_`` set.
        """
        samples = _check_values(self.samples, "samples", ("n_samples", "n_features"))
        image_shape = _check_image_shape(self.image_shape, samples.shape[1])
        if n_cols is None:
            n_cols = math.ceil(math.sqrt(len(samples)))
        n_cols = min(check_int(n_cols, "n_cols", 1), len(samples))
        ax, style = _tile_style(ax, [samples], cmap, vmin, vmax, kwargs)
        if image_shape is None:
            self.image_, row_centres = _draw_heatmap(ax, samples, "value", **style)
            _label_ticks(ax.yaxis, row_centres, range(len(samples)))
            ax.set_ylabel("sample")
        else:
            self.image_, _, _ = _draw_tiles(ax, samples, image_shape, n_cols, **style)
        return _store_axes(self, ax)
