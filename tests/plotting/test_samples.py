"""SamplesDisplay: rows drawn from a fitted model, tiled in a grid."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import NotFittedError

from skvae import VAETransformer
from skvae.plotting import SamplesDisplay
from tests.conftest import ESTIMATORS


@pytest.mark.parametrize("data", ["digits", "table"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_from_estimator_shows_the_estimators_samples(fitted, Estimator, data):
    """samples equals estimator.sample with the given seed; images form a square
    grid, tabular rows a heatmap."""
    estimator, _, _, image_shape = fitted(Estimator, data)
    display = SamplesDisplay.from_estimator(
        estimator, n_samples=9, random_state=3, image_shape=image_shape
    )
    assert_allclose(display.samples, estimator.sample(9, random_state=3))
    assert display.figure_ is display.ax_.figure
    mosaic = display.image_.get_array()
    if image_shape is None:
        assert_allclose(mosaic, display.samples)
    else:
        assert mosaic.shape == (3 * 8 + 2, 3 * 8 + 2)


def test_constructor_and_plot_on_the_given_axes():
    """A plain array plots on the caller's Axes, in n_cols columns, titled by them."""
    rows = np.random.RandomState(0).uniform(size=(10, 64))
    _, ax = plt.subplots()
    display = SamplesDisplay(rows, image_shape=(1, 8, 8)).plot(ax=ax, n_cols=4)
    display.ax_.set_title("decoded from the latent box")
    assert display.ax_ is ax
    assert display.figure_ is ax.figure
    mosaic = display.image_.get_array()
    assert mosaic.shape == (3 * 8 + 2, 4 * 8 + 3)
    assert np.isnan(np.ma.getdata(mosaic)[18:, 18:]).all()  # the two unused tiles


def test_value_range_and_colormap_are_forwarded():
    """cmap, vmin and vmax reach the image."""
    rows = np.random.RandomState(0).uniform(size=(4, 64))
    display = SamplesDisplay(rows, image_shape=(1, 8, 8)).plot(
        cmap="magma", vmin=0, vmax=2
    )
    assert display.image_.get_cmap().name.startswith("magma")
    assert display.image_.get_clim() == (0, 2)


def test_rgb_samples_are_clipped_to_the_value_range():
    """RGB rows are scaled from [vmin, vmax] to [0, 1] and clipped."""
    rows = np.random.RandomState(0).uniform(-1, 2, size=(4, 3 * 4 * 4))
    display = SamplesDisplay(rows, image_shape=(3, 4, 4)).plot(vmin=0, vmax=1)
    mosaic = display.image_.get_array()
    assert mosaic.shape == (2 * 4 + 1, 2 * 4 + 1, 4)
    assert mosaic.min() == 0 and mosaic.max() == 1


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_samples": 0}, "n_samples must be an integer >= 1"),
        ({"image_shape": (1, 4, 4)}, "holds 16 values.*64 features"),
    ],
)
def test_bad_arguments_raise(fitted, params, match):
    """A bad sample count or image shape raises a ValueError naming it."""
    estimator, _, _, _ = fitted(VAETransformer, "digits")
    with pytest.raises(ValueError, match=match):
        SamplesDisplay.from_estimator(estimator, **params)


def test_bad_n_cols_raises():
    """n_cols must be a positive integer."""
    with pytest.raises(ValueError, match="n_cols must be an integer >= 1"):
        SamplesDisplay(np.zeros((4, 4)), image_shape=(1, 2, 2)).plot(n_cols=0)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_unfitted_estimator_raises(Estimator):
    """from_estimator on an unfitted estimator raises NotFittedError."""
    with pytest.raises(NotFittedError):
        SamplesDisplay.from_estimator(Estimator())


def test_n_cols_is_capped_at_the_number_of_samples():
    """More columns than samples leaves no empty columns."""
    rows = np.zeros((4, 4))
    display = SamplesDisplay(rows, image_shape=(1, 2, 2)).plot(n_cols=10)
    assert display.image_.get_array().shape == (2, 4 * 2 + 3)
