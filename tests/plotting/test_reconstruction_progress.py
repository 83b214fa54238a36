"""ReconstructionProgressDisplay: reconstructions recorded while training."""

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from skvae import VAETransformer
from skvae.callbacks import RecordReconstructions
from skvae.plotting import ReconstructionProgressDisplay
from tests.conftest import ESTIMATORS


class _Recorder(RecordReconstructions):
    """A subclass of RecordReconstructions: found as one, whatever its name."""


class _Trained(BaseEstimator):
    """Stands in for an estimator fitted with the given callbacks and history."""

    def __init__(self, callbacks=(), history=()):
        self.callbacks = callbacks
        self.history = history

    def fit(self, X=None, y=None):
        return self

    def __sklearn_is_fitted__(self):
        return True

    @property
    def net_(self):
        return SimpleNamespace(callbacks_=list(self.callbacks))

    @property
    def history_(self):
        return self.history


def _trained(X, recorded_epochs, n_epochs=6):
    """A stand-in estimator whose history holds noisy reconstructions of X."""
    rng = np.random.RandomState(0)
    history = [
        {"epoch": epoch, "train_loss": 1.0 / epoch}
        | (
            {"reconstructions": X + rng.normal(scale=1 / epoch, size=X.shape)}
            if epoch in recorded_epochs
            else {}
        )
        for epoch in range(1, n_epochs + 1)
    ]
    callbacks = [("print_log", object()), ("record", _Recorder(X))]
    return _Trained(callbacks, history)


@pytest.mark.parametrize("image_shape", [(1, 8, 8), None])
def test_from_estimator_collects_the_recorded_epochs(image_shape):
    """Originals come from the callback, one row per recorded epoch from history_."""
    X = np.random.RandomState(1).uniform(size=(3, 64))
    estimator = _trained(X, recorded_epochs=(1, 3, 5))
    display = ReconstructionProgressDisplay.from_estimator(
        estimator, image_shape=image_shape
    )
    assert_allclose(display.originals, X)
    assert_allclose(display.epochs, [1, 3, 5])
    expected = [row["reconstructions"] for row in estimator.history_[::2]]
    assert_allclose(display.reconstructions_by_epoch, expected)
    labels = [t.get_text() for t in display.ax_.get_yticklabels()]
    assert labels == ["original", "epoch 1", "epoch 3", "epoch 5"]
    assert display.figure_ is display.ax_.figure
    mosaic = display.image_.get_array()
    if image_shape is None:  # blocks of 64 feature columns, one per input
        assert mosaic.shape == (4, 3 * 64 + 2)
        assert_allclose(mosaic[2, 65:129], expected[1][1])
    else:
        assert mosaic.shape == (4 * 8 + 3, 3 * 8 + 2)
        assert_allclose(mosaic[:8, 9:17], X[1].reshape(8, 8))


def test_real_callback(fitted):
    """With skvae.callbacks.RecordReconstructions the display shows its records."""
    _, X, _, image_shape = fitted(VAETransformer, "digits")
    estimator = VAETransformer(
        hidden_dims=(8,),
        max_epochs=3,
        random_state=0,
        callbacks=[RecordReconstructions(X[:4], every=2)],
    ).fit(X)
    display = ReconstructionProgressDisplay.from_estimator(
        estimator, image_shape=image_shape
    )
    assert_allclose(display.originals, X[:4])
    assert_allclose(display.epochs, [1, 3])
    assert display.reconstructions_by_epoch.shape == (2, 4, 64)


@pytest.mark.parametrize("n_epochs, n_labels", [(24, 25), (59, 20)])
def test_many_epochs_thin_the_labels(n_epochs, n_labels):
    """Up to 25 rows are all labelled; beyond that every k-th row is."""
    X = np.zeros((2, 4))
    estimator = _trained(X, recorded_epochs=range(1, n_epochs + 1), n_epochs=n_epochs)
    display = ReconstructionProgressDisplay.from_estimator(
        estimator, image_shape=(1, 2, 2)
    )
    labels = [t.get_text() for t in display.ax_.get_yticklabels()]
    assert len(labels) == n_labels
    assert labels[:2] == ["original", "epoch 1" if n_epochs < 25 else "epoch 3"]


def test_plot_draws_on_the_given_axes():
    """plot(ax=ax) draws on ax and records it and its figure."""
    _, ax = plt.subplots()
    X = np.zeros((2, 5))
    display = ReconstructionProgressDisplay(X, np.stack([X, X]), [1, 2]).plot(ax=ax)
    assert display.ax_ is ax
    assert display.figure_ is ax.figure


def test_without_the_callback_raises(fitted):
    """An estimator fitted without RecordReconstructions raises, saying how to fit."""
    estimator, _, _, _ = fitted(VAETransformer, "table")
    with pytest.raises(ValueError, match="callbacks=\\[RecordReconstructions"):
        ReconstructionProgressDisplay.from_estimator(estimator)


def test_no_recorded_epochs_raise():
    """A callback that recorded nothing raises a ValueError."""
    with pytest.raises(ValueError, match="recorded no reconstructions"):
        ReconstructionProgressDisplay.from_estimator(
            _trained(np.zeros((2, 4)), recorded_epochs=())
        )


@pytest.mark.parametrize(
    "args, match",
    [
        ((np.zeros((2, 4)), np.zeros((1, 3, 4)), [1]), "must have shape"),
        ((np.zeros((2, 4)), np.zeros((2, 2, 4)), [1]), "1 entries for 2"),
        ((np.zeros((2, 4)), np.zeros((1, 2, 4)), [1]), "holds 9 values.*4 features"),
    ],
)
def test_inconsistent_arrays_raise(args, match):
    """Mismatched recordings, epochs or image shape raise a ValueError."""
    image_shape = (1, 3, 3) if "holds" in match else None
    with pytest.raises(ValueError, match=match):
        ReconstructionProgressDisplay(*args, image_shape=image_shape).plot()


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_unfitted_estimator_raises(Estimator):
    """from_estimator on an unfitted estimator raises NotFittedError."""
    with pytest.raises(NotFittedError):
        ReconstructionProgressDisplay.from_estimator(Estimator())


def test_a_subclass_of_the_callback_is_found():
    """The callback is found by isinstance, whatever its subclass is named."""
    estimator = _trained(np.zeros((2, 4)), recorded_epochs=(2,))
    display = ReconstructionProgressDisplay.from_estimator(estimator)
    assert_allclose(display.epochs, [2])
