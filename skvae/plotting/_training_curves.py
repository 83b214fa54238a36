"""Per-epoch training and validation losses from an estimator's history."""

from collections.abc import Mapping

import numpy as np

from ._common import (
    _check_style,
    _check_values,
    _fitted_model,
    _get_axes,
    _store_axes,
)

# Quantities recorded by the estimators, with their colour and legend text.
_QUANTITIES = {
    "loss": ("C0", "total loss"),
    "reconstruction": ("C1", "reconstruction, -log p(x|z)"),
    "kl": ("C2", "KL(q(z|x) || p(z))"),
}
_SPLITS = {"train": "-", "valid": "--"}


def _names():
    """History keys this display plots, e.g. ``"train_loss"``, in drawing order."""
    return [f"{split}_{quantity}" for quantity in _QUANTITIES for split in _SPLITS]


class TrainingCurvesDisplay:
    """Training (and validation) loss, reconstruction term and KL per epoch.

    It is recommended to use :meth:`from_estimator` to create a
    :class:`TrainingCurvesDisplay`. All parameters are stored as attributes.

    Parameters
    ----------
    history : dict of str to array-like of shape (n_epochs,)
        Per-epoch values by name: any of ``"train_loss"``, ``"valid_loss"``,
        ``"train_reconstruction"``, ``"valid_reconstruction"``, ``"train_kl"`` and
        ``"valid_kl"``. NaN marks an epoch without a value. Other names are
        ignored.
    epochs : array-like of shape (n_epochs,), default=None
        Epoch numbers; None numbers them 1, 2, ...

    Attributes
    ----------
    history : dict of str to ndarray
        The per-epoch values.
    epochs : ndarray of shape (n_epochs,) or None
        The epoch numbers.
    ax_ : matplotlib.axes.Axes
        Axes with the curves.
    figure_ : matplotlib.figure.Figure
        Figure containing the curves.
    ax_kl_ : matplotlib.axes.Axes or None
        Twin Axes (right-hand scale) with the KL curves; None without them.
    lines_ : dict of str to matplotlib.lines.Line2D
        The line drawn for each plotted name in ``history``.

    See Also
    --------
    ReconstructionProgressDisplay : Reconstructions recorded during training.

    Notes
    -----
    All quantities are per-row means in nats: the total loss (for the VAE,
    reconstruction + beta * KL) and the reconstruction term on the left axis,
    the KL term on a right-hand axis of its own (it is often a few nats beside
    losses of hundreds), one colour each; training is solid and validation
    dashed. A
    reconstruction curve equal to the total loss (the AE's, whose loss is the
    reconstruction term) is not drawn twice: the loss line's label says so and
    ``lines_`` has no entry for it.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skvae import VAETransformer
    >>> from skvae.plotting import TrainingCurvesDisplay
    >>> X = load_digits().data[:50]
    >>> vae = VAETransformer(hidden_dims=(8,), max_epochs=3, random_state=0).fit(X)
    >>> display = TrainingCurvesDisplay.from_estimator(vae)
    >>> display.history["train_loss"].shape
    (3,)
    """

    def __init__(self, history, epochs=None):
        self.history = history
        self.epochs = epochs

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, **kwargs):
        """Plot the per-epoch curves in a fitted estimator's ``history_``.

        Parameters
        ----------
        estimator : estimator instance
            Fitted estimator with a skorch ``History`` as ``history_`` (one dict
            per epoch), e.g. :class:`~skvae.VAETransformer`.
        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a new figure.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : TrainingCurvesDisplay
            The drawn display.
        """
        rows = list(_fitted_model(estimator, cls.__name__, uses=("history_",)).history_)
        history = {
            name: np.array([row.get(name, np.nan) for row in rows], dtype=np.float64)
            for name in _names()
            if any(name in row for row in rows)
        }
        epochs = np.array([row.get("epoch", k + 1) for k, row in enumerate(rows)])
        return cls(history, epochs).plot(ax=ax, **kwargs)

    def plot(self, *, ax=None, **kwargs):
        """Draw one line per recorded quantity against the epoch.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a new figure.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for every line.

        Returns
        -------
        self : TrainingCurvesDisplay
            The display, with ``ax_``, ``figure_`` and ``lines_`` set.
        """
        if not isinstance(self.history, Mapping):
            raise TypeError(
                "history must be a dict of per-epoch values by name, got "
                f"{type(self.history).__name__}; for a fitted estimator use "
                "TrainingCurvesDisplay.from_estimator."
            )
        if not any(name in self.history for name in _names()):
            raise ValueError(
                f"history holds none of the quantities {_names()}; it has "
                f"{sorted(map(str, self.history))}."
            )
        from matplotlib.ticker import MaxNLocator

        history = {
            name: _check_values(
                self.history[name], f"history[{name!r}]", ("n_epochs",), allow_nan=True
            )
            for name in _names()
            if name in self.history
        }
        n_epochs = max(len(values) for values in history.values())
        epochs = (
            np.arange(1, n_epochs + 1)
            if self.epochs is None
            else _check_values(self.epochs, "epochs", ("n_epochs",))
        )
        for name, values in history.items():
            if len(values) != len(epochs):
                raise ValueError(
                    f"history[{name!r}] has {len(values)} values but there are "
                    f"{len(epochs)} epochs."
                )
        kwargs = _check_style(kwargs, "plot")
        curves = _curves(history)
        ax = _get_axes(ax)
        # The KL is often a few nats beside losses of hundreds: its own scale.
        has_kl = any(name.endswith("_kl") for name, *_ in curves)
        self.ax_kl_ = ax.twinx() if has_kl else None
        self.lines_ = {}
        for name, colour, linestyle, label in curves:
            values = history[name]
            style = {
                "color": colour,
                "linestyle": linestyle,
                # A lone epoch has no line to draw; show it as a point.
                "marker": "o" if np.isfinite(values).sum() == 1 else None,
                "label": label,
                **kwargs,
            }
            target = self.ax_kl_ if name.endswith("_kl") else ax
            (self.lines_[name],) = target.plot(epochs, values, **style)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss and reconstruction, nats per row")
        if has_kl:
            colour = _QUANTITIES["kl"][0]
            self.ax_kl_.set_ylabel("KL, nats per row (right axis)", color=colour)
            self.ax_kl_.tick_params(axis="y", colors=colour)
            # Keep the main Axes, and so its legend, above the twin's lines.
            ax.set_zorder(self.ax_kl_.get_zorder() + 1)
            ax.patch.set_visible(False)
        lines = list(self.lines_.values())
        ax.legend(lines, [line.get_label() for line in lines], fontsize="small")
        return _store_axes(self, ax)


def _curves(history):
    """``(name, colour, linestyle, label)`` of each line to draw, in order."""
    curves = []
    for quantity, (colour, text) in _QUANTITIES.items():
        for split, linestyle in _SPLITS.items():
            name = f"{split}_{quantity}"
            loss, reconstruction = f"{split}_loss", f"{split}_reconstruction"
            if name not in history:
                continue
            if quantity == "reconstruction" and _same(history, loss, name):
                continue  # e.g. the AE, whose loss is this term: drawn once
            label = f"{split} {text}"
            if quantity == "loss" and _same(history, name, reconstruction):
                label += f" = {_QUANTITIES['reconstruction'][1]}"
            curves.append((name, colour, linestyle, label))
    return curves


def _same(history, first, second):
    """Whether ``history`` holds both names with the same values."""
    if first not in history or second not in history:
        return False
    a, b = history[first], history[second]
    return a.shape == b.shape and np.allclose(a, b, equal_nan=True)
