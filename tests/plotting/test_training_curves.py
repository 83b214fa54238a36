"""TrainingCurvesDisplay: per-epoch losses from an estimator's history."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from skorch.history import History

from skvae.plotting import TrainingCurvesDisplay
from tests.conftest import ESTIMATORS

ALL_KEYS = [
    "train_loss",
    "valid_loss",
    "train_reconstruction",
    "valid_reconstruction",
    "train_kl",
    "valid_kl",
]


class _Trained(BaseEstimator):
    """Stands in for a fitted estimator with a given history."""

    def __init__(self, history=None):
        self.history = history

    def fit(self, X=None, y=None):
        return self

    def __sklearn_is_fitted__(self):
        return True

    @property
    def history_(self):
        return self.history


def _history(n_epochs, keys, first_epoch=1):
    history = History()
    for epoch in range(first_epoch, first_epoch + n_epochs):
        history.new_epoch()
        history.record("epoch", epoch)
        for k, key in enumerate(keys):
            history.record(key, 10.0 * (k + 1) / epoch)
    return history


@pytest.mark.parametrize("data", ["digits", "table"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_from_estimator_plots_the_recorded_losses(fitted, Estimator, data):
    """Every known key in history_ gets a line with its per-epoch values."""
    estimator, _, _, _ = fitted(Estimator, data)
    display = TrainingCurvesDisplay.from_estimator(estimator)
    recorded = [k for k in ALL_KEYS if k in estimator.history_[-1]]
    assert "train_loss" in recorded
    assert set(display.history) == set(recorded)
    assert set(display.lines_) <= set(recorded)
    assert_allclose(
        display.lines_["train_loss"].get_ydata(), estimator.history_[:, "train_loss"]
    )
    assert_allclose(display.lines_["train_loss"].get_xdata(), [1, 2])
    assert display.figure_ is display.ax_.figure


def test_all_quantities_train_solid_valid_dashed():
    """Loss, reconstruction and KL each get one colour; validation is dashed."""
    display = TrainingCurvesDisplay.from_estimator(_Trained(_history(4, ALL_KEYS)))
    assert list(display.lines_) == [
        "train_loss",
        "valid_loss",
        "train_reconstruction",
        "valid_reconstruction",
        "train_kl",
        "valid_kl",
    ]
    lines = display.lines_
    for quantity in ("loss", "reconstruction", "kl"):
        train, valid = lines[f"train_{quantity}"], lines[f"valid_{quantity}"]
        assert train.get_color() == valid.get_color()
        assert (train.get_linestyle(), valid.get_linestyle()) == ("-", "--")
    assert lines["train_loss"].get_color() != lines["train_kl"].get_color()
    assert_allclose(lines["valid_kl"].get_ydata(), 60.0 / np.arange(1, 5))
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert len(legend) == 6 and legend[0] == "train total loss"


def test_kl_gets_its_own_right_hand_axis():
    """The KL curves sit on a twin Axes; loss and reconstruction on the main one."""
    display = TrainingCurvesDisplay.from_estimator(_Trained(_history(4, ALL_KEYS)))
    assert display.ax_kl_ is not None and display.ax_kl_ is not display.ax_
    for name, line in display.lines_.items():
        expected = display.ax_kl_ if name.endswith("_kl") else display.ax_
        assert line.axes is expected
    assert "KL" in display.ax_kl_.get_ylabel()


def test_only_train_loss_is_enough():
    """A history with just train_loss (and no KL, as for the AE) plots one line."""
    display = TrainingCurvesDisplay.from_estimator(
        _Trained(_history(3, ["train_loss"]))
    )
    assert list(display.lines_) == ["train_loss"]
    assert display.ax_kl_ is None


def test_a_reconstruction_equal_to_the_loss_is_drawn_once():
    """When the loss is the reconstruction term (the AE), one line shows both."""
    history = _history(3, ["train_loss", "valid_loss"])
    for row in history:
        row["train_reconstruction"] = row["train_loss"]
        row["valid_reconstruction"] = row["valid_loss"] + 1.0
    display = TrainingCurvesDisplay.from_estimator(_Trained(history))
    assert list(display.lines_) == ["train_loss", "valid_loss", "valid_reconstruction"]
    labels = [line.get_label() for line in display.lines_.values()]
    assert labels[0] == "train total loss = reconstruction, -log p(x|z)"
    assert labels[1] == "valid total loss"


def test_epochs_come_from_the_history_and_gaps_are_nan():
    """Epoch numbers are read from the history; missing values become NaN."""
    history = _history(3, ["train_loss"], first_epoch=5)
    history.record("valid_loss", 1.5)  # only in the last epoch
    display = TrainingCurvesDisplay.from_estimator(_Trained(history))
    assert_allclose(display.epochs, [5, 6, 7])
    assert_allclose(display.history["valid_loss"], [np.nan, np.nan, 1.5])
    assert display.lines_["valid_loss"].get_marker() == "o"  # a lone point shows


def test_plot_draws_on_the_given_axes():
    """plot(ax=ax) draws on ax, numbering epochs from 1 when none are given."""
    _, ax = plt.subplots()
    display = TrainingCurvesDisplay({"train_loss": [3.0, 2.0, 1.5]}).plot(ax=ax)
    assert display.ax_ is ax
    assert display.figure_ is ax.figure
    assert_allclose(display.lines_["train_loss"].get_xdata(), [1, 2, 3])


def test_unknown_history_raises():
    """A history with none of the known quantities raises, listing what it has."""
    with pytest.raises(ValueError, match="none of the quantities.*'dur'"):
        TrainingCurvesDisplay({"dur": [0.1, 0.2]}).plot()


def test_epochs_of_the_wrong_length_raise():
    """epochs must match the number of values."""
    with pytest.raises(ValueError, match="has 2 values but there are 3 epochs"):
        TrainingCurvesDisplay({"train_loss": [1.0, 2.0]}, epochs=[1, 2, 3]).plot()


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_unfitted_estimator_raises(Estimator):
    """from_estimator on an unfitted estimator raises NotFittedError."""
    with pytest.raises(NotFittedError):
        TrainingCurvesDisplay.from_estimator(Estimator())


@pytest.mark.parametrize(
    "history, epochs, error, match",
    [
        (None, None, TypeError, "history must be a dict.*got NoneType"),
        (History(), None, TypeError, "history must be a dict.*from_estimator"),
        ({"train_loss": [[1.0, 2.0]]}, None, ValueError, "'train_loss'\\] must be 1-D"),
        ({"train_loss": [1.0, np.inf]}, None, ValueError, "holds infinite values"),
        ({"valid_loss": [np.nan] * 2}, None, ValueError, "holds only NaN values"),
        ({"train_loss": [1.0]}, 3, ValueError, "epochs must be 1-D.*shape \\(\\)"),
        ({"train_loss": [1.0, 2.0]}, [1, np.nan], ValueError, "epochs holds NaN"),
    ],
)
def test_bad_history_or_epochs_raise(history, epochs, error, match):
    """history is a dict of 1-D values (NaN gaps allowed); epochs are finite."""
    with pytest.raises(error, match=match):
        TrainingCurvesDisplay(history, epochs).plot()
