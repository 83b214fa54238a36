"""Reconstructions of fixed inputs recorded during training, one row per epoch."""

import numpy as np

from ..callbacks import RecordReconstructions
from ._common import _as_array, _as_numbers, _check_values, _fitted_model, _store_axes
from ._images import (
    _check_image_shape,
    _draw_tiles,
    _label_ticks,
    _resolve_image_shape,
    _tile_style,
)

_CALLBACK = RecordReconstructions.__name__
# Rows are labelled one by one up to this many, then every k-th.
_MAX_ROW_LABELS = 25


def _find_recorder(model):
    """The model's RecordReconstructions callback, or a ValueError saying how."""
    callbacks = getattr(getattr(model, "net_", None), "callbacks_", None) or []
    for _, callback in callbacks:
        if isinstance(callback, RecordReconstructions):
            return callback
    raise ValueError(
        f"{type(model).__name__} was not fitted with a {_CALLBACK} callback, so "
        "there are no reconstructions to show; fit with "
        f"callbacks=[{_CALLBACK}(X_fixed, every=k)] from skvae.callbacks."
    )


class ReconstructionProgressDisplay:
    """Reconstructions of the same inputs at successive training epochs.

    It is recommended to use :meth:`from_estimator` to create a
    :class:`ReconstructionProgressDisplay`. All parameters are stored as
    attributes.

    Parameters
    ----------
    originals : ndarray of shape (n_inputs, n_features)
        The fixed inputs; NaN marks a missing value, drawn as a gap.
    reconstructions_by_epoch : ndarray of shape (n_recorded, n_inputs, n_features)
        Their reconstructions at each recorded epoch, in data units.
    epochs : array-like of shape (n_recorded,)
        The epoch number of each recording.
    image_shape : tuple of int (C, H, W), default=None
        Shape of the image each row flattens (C, H, W order; C is 1 or 3).
        None treats rows as tabular.

    Attributes
    ----------
    originals : ndarray of shape (n_inputs, n_features)
        The inputs.
    reconstructions_by_epoch : ndarray of shape (n_recorded, n_inputs, n_features)
        The recorded reconstructions.
    epochs : ndarray of shape (n_recorded,)
        The epoch numbers.
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
    ReconstructionDisplay : Reconstructions by the fitted model.
    TrainingCurvesDisplay : The losses over the same epochs.

    Notes
    -----
    The originals form the top row and each recorded epoch a row below,
    labelled with its number (beyond 25 rows, every k-th row is labelled), one
    column per input. Tabular inputs are drawn as a heatmap:
    each input is a block of columns, one per feature, next to the others.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skvae import VAETransformer
    >>> from skvae.callbacks import RecordReconstructions
    >>> from skvae.plotting import ReconstructionProgressDisplay
    >>> X = load_digits().data[:50]
    >>> vae = VAETransformer(
    ...     hidden_dims=(8,), max_epochs=5, random_state=0,
    ...     callbacks=[RecordReconstructions(X[:6], every=2)],
    ... ).fit(X)
    >>> display = ReconstructionProgressDisplay.from_estimator(
    ...     vae, image_shape=(1, 8, 8)
    ... )
    >>> display.epochs
    array([1, 3, 5])
    """

    def __init__(
        self, originals, reconstructions_by_epoch, epochs, *, image_shape=None
    ):
        self.originals = originals
        self.reconstructions_by_epoch = reconstructions_by_epoch
        self.epochs = epochs
        self.image_shape = image_shape

    @classmethod
    def from_estimator(cls, estimator, *, image_shape=None, ax=None, **kwargs):
        """Plot the reconstructions recorded while a fitted estimator trained.

        The estimator must have been fitted with the callback
        ``skvae.callbacks.RecordReconstructions(X_fixed, every=k)``, which stores
        the reconstructions of ``X_fixed`` in ``history_`` under
        ``"reconstructions"`` every ``k`` epochs.

        Parameters
        ----------
        estimator : estimator instance
            Fitted estimator (or a Pipeline whose last step is one) whose
            ``net_.callbacks_`` holds a ``RecordReconstructions`` callback, or
            an instance of a subclass of it.
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
        display : ReconstructionProgressDisplay
            The drawn display.
        """
        model = _fitted_model(estimator, cls.__name__, uses=("history_",))
        recorder = _find_recorder(model)
        originals = _as_numbers(recorder.X, f"The rows of {_CALLBACK}")
        image_shape = _resolve_image_shape(
            image_shape, getattr(model, "image_shape", None), originals.shape[-1]
        )
        recorded = [
            (row.get("epoch", k + 1), row["reconstructions"])
            for k, row in enumerate(model.history_)
            if "reconstructions" in row
        ]
        if not recorded:
            raise ValueError(
                f"The {_CALLBACK} callback recorded no reconstructions: training ran "
                "fewer epochs than its `every`."
            )
        epochs, reconstructions = zip(*recorded, strict=True)
        return cls(
            originals,
            _as_numbers(reconstructions, "The recorded reconstructions"),
            _as_array(epochs, "The recorded epochs"),
            image_shape=image_shape,
        ).plot(ax=ax, **kwargs)

    def plot(self, *, ax=None, cmap=None, vmin=None, vmax=None, **kwargs):
        """Draw the originals and the reconstructions of each recorded epoch.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a new figure.
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
        self : ReconstructionProgressDisplay
            The display, with ``ax_``, ``figure_`` and ``image_`` set.
        """
        originals = _check_values(
            self.originals, "originals", ("n_inputs", "n_features"), allow_nan=True
        )
        by_epoch = _check_values(
            self.reconstructions_by_epoch,
            "reconstructions_by_epoch",
            ("n_recorded", "n_inputs", "n_features"),
        )
        epochs = _check_values(self.epochs, "epochs", ("n_recorded",))
        if by_epoch.shape[1:] != originals.shape:
            raise ValueError(
                "reconstructions_by_epoch must have shape (n_recorded,) + "
                f"originals.shape = (n_recorded, {originals.shape[0]}, "
                f"{originals.shape[1]}), got {by_epoch.shape}."
            )
        if len(epochs) != len(by_epoch):
            raise ValueError(
                f"epochs has {len(epochs)} entries for {len(by_epoch)} recordings."
            )
        image_shape = _check_image_shape(self.image_shape, originals.shape[1])
        ax, style = _tile_style(ax, [originals, by_epoch], cmap, vmin, vmax, kwargs)
        n_inputs = len(originals)
        rows = np.concatenate([originals[None], by_epoch]).reshape(
            -1, originals.shape[1]
        )
        self.image_, row_centres, col_centres = _draw_tiles(
            ax, rows, image_shape, n_inputs, **style
        )
        _label_ticks(
            ax.yaxis,
            row_centres,
            ["original"] + [f"epoch {e:.10g}" for e in epochs],
            max_ticks=_MAX_ROW_LABELS,
        )
        ax.tick_params(axis="y", length=0)
        if image_shape is None:
            _label_ticks(ax.xaxis, col_centres, [f"input {k}" for k in range(n_inputs)])
            ax.figure.colorbar(self.image_, ax=ax, label="value")
        return _store_axes(self, ax)
