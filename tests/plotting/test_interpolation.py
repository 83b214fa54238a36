"""InterpolationDisplay: rows decoded along a line between two codes."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from sklearn.exceptions import NotFittedError

from skvae import VAETransformer
from skvae.plotting import InterpolationDisplay
from tests.conftest import ESTIMATORS


@pytest.mark.parametrize("data", ["digits", "table"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_from_estimator_interpolates_between_the_codes(fitted, Estimator, data):
    """The path runs from transform(x_start) to transform(x_end) through their
    average, and decoded is its decoding."""
    estimator, X, _, image_shape = fitted(Estimator, data)
    display = InterpolationDisplay.from_estimator(
        estimator, X[0], X[1], n_steps=5, image_shape=image_shape
    )
    start, end = estimator.transform(X[:2])
    path = display.latent_path
    assert path.shape == (5, 2)
    assert_allclose(path[0], start)
    assert_allclose(path[-1], end)
    assert_allclose(path[2], (start + end) / 2)
    assert_allclose(display.decoded, estimator.inverse_transform(path))
    assert display.figure_ is display.ax_.figure
    if image_shape is None:
        assert_allclose(display.image_.get_array(), display.decoded)
    else:
        assert display.image_.get_array().shape == (8, 5 * 8 + 4)
        assert display.midpoint_ is not None
        ticks = [t.get_text() for t in display.ax_.get_xticklabels()]
        assert ticks == ["0", "0.25", "0.5", "0.75", "1"]


def test_rows_may_be_one_or_two_dimensional(fitted):
    """x_start and x_end may be 1-D rows or arrays of shape (1, n_features)."""
    estimator, X, _, _ = fitted(VAETransformer, "table")
    flat = InterpolationDisplay.from_estimator(estimator, X[0], X[1])
    rows = InterpolationDisplay.from_estimator(estimator, X[:1], X[1:2].tolist())
    assert_allclose(flat.latent_path, rows.latent_path)
    assert flat.decoded.shape == (9, 5)


def test_even_n_steps_has_no_midpoint(fitted):
    """With an even n_steps there is no midpoint to frame."""
    estimator, X, _, image_shape = fitted(VAETransformer, "digits")
    display = InterpolationDisplay.from_estimator(
        estimator, X[0], X[1], n_steps=4, image_shape=image_shape
    )
    assert display.midpoint_ is None
    assert len(display.decoded) == 4


def test_plot_draws_on_the_given_axes():
    """plot(ax=ax) draws on ax and records it and its figure."""
    _, ax = plt.subplots()
    display = InterpolationDisplay(np.zeros((3, 64)), image_shape=(1, 8, 8))
    display.plot(ax=ax)
    assert display.ax_ is ax
    assert display.figure_ is ax.figure
    assert display.latent_path is None


@pytest.mark.parametrize("n_steps", [1, 0, 3.0])
def test_bad_n_steps_raises(fitted, n_steps):
    """n_steps must be an integer of at least 2."""
    estimator, X, _, _ = fitted(VAETransformer, "table")
    with pytest.raises(ValueError, match="n_steps must be an integer >= 2"):
        InterpolationDisplay.from_estimator(estimator, X[0], X[1], n_steps=n_steps)


def test_a_path_beyond_memory_is_named(fitted):
    """n_steps=10**12 names the memory the path would need, before numpy does."""
    estimator, X, _, _ = fitted(VAETransformer, "table")
    with pytest.raises(ValueError, match="path of 1000000000000 codes.*n_steps"):
        InterpolationDisplay.from_estimator(estimator, X[0], X[1], n_steps=10**12)


def test_several_rows_raise(fitted):
    """x_start must be a single row."""
    estimator, X, _, _ = fitted(VAETransformer, "table")
    with pytest.raises(ValueError, match="x_start must be a single row.*\\(2, 5\\)"):
        InterpolationDisplay.from_estimator(estimator, X[:2], X[2])


def test_bad_image_shape_raises(fitted):
    """An image_shape that does not fit the rows raises, naming both sizes."""
    estimator, X, _, _ = fitted(VAETransformer, "table")
    with pytest.raises(ValueError, match="holds 4 values.*5 features"):
        InterpolationDisplay.from_estimator(
            estimator, X[0], X[1], image_shape=(1, 2, 2)
        )


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_unfitted_estimator_raises(Estimator):
    """from_estimator on an unfitted estimator raises NotFittedError."""
    with pytest.raises(NotFittedError):
        InterpolationDisplay.from_estimator(Estimator(), np.zeros(5), np.ones(5))


@pytest.mark.parametrize(
    "x_start, error, match",
    [
        (lambda X: X[0] + 1j, TypeError, "x_start must hold real numbers"),
        (lambda X: "abcde", TypeError, "x_start must hold numbers"),
        (lambda X: X[0, :3], ValueError, "x_start has 3 features but x_end has 5"),
    ],
)
def test_bad_rows_raise(fitted, x_start, error, match):
    """Complex, non-numeric or narrower rows are refused, naming x_start."""
    estimator, X, _, _ = fitted(VAETransformer, "table")
    with pytest.raises(error, match=match):
        InterpolationDisplay.from_estimator(estimator, x_start(X), X[1])


def test_rows_that_require_grad_are_read(fitted):
    """Torch rows that require grad are read detached."""
    estimator, X, _, _ = fitted(VAETransformer, "table")
    start = torch.tensor(X[0], requires_grad=True)
    display = InterpolationDisplay.from_estimator(estimator, start, X[1], n_steps=3)
    assert_allclose(display.latent_path[0], estimator.transform(X[:1])[0])


@pytest.mark.parametrize("image_shape", [(1, 2, 2), None])
def test_many_steps_thin_the_labels(image_shape):
    """A long path labels about ten of its steps, both ends included."""
    display = InterpolationDisplay(np.zeros((25, 4)), image_shape=image_shape).plot()
    axis = display.ax_.xaxis if image_shape else display.ax_.yaxis
    labels = [t.get_text() for t in axis.get_ticklabels()]
    assert len(labels) <= 10
    assert labels[0] == "0" and labels[-1] == "1"


def test_a_single_decoded_row_raises():
    """A path needs its two ends."""
    with pytest.raises(ValueError, match="decoded must hold at least 2 rows"):
        InterpolationDisplay(np.zeros((1, 4))).plot()
