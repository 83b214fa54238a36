"""ReconstructionDisplay: rows next to decode(encode(rows))."""

import copy

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from numpy.testing import assert_allclose
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skvae import VAETransformer
from skvae.plotting import ReconstructionDisplay
from tests.conftest import ESTIMATORS


@pytest.mark.parametrize("data", ["digits", "table"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_from_estimator_shows_rows_and_reconstructions(fitted, Estimator, data):
    """The first n_images rows and their reconstructions are stored and drawn."""
    estimator, X, _, image_shape = fitted(Estimator, data)
    display = ReconstructionDisplay.from_estimator(
        estimator, X, n_images=5, image_shape=image_shape
    )
    assert_allclose(display.originals, X[:5])
    expected = estimator.inverse_transform(estimator.transform(X[:5]))
    assert_allclose(display.reconstructions, expected)
    assert display.image_shape == image_shape
    assert display.figure_ is display.ax_.figure
    if image_shape is None:
        assert display.image_ is None
        assert len(display.lines_) == 5
        original, reconstruction = display.lines_[2]
        assert_allclose(original.get_ydata(), X[2])
        assert_allclose(reconstruction.get_ydata(), expected[2])
        assert original.get_color() == reconstruction.get_color()
        assert reconstruction.get_linestyle() == "--"
    else:
        assert display.lines_ is None
        mosaic = display.image_.get_array()
        assert mosaic.shape == (2 * 8 + 1, 5 * 8 + 4 * 1)
        assert_allclose(mosaic[:8, 9:17], X[1].reshape(8, 8))  # upright, in place
        assert_allclose(mosaic[9:, :8], expected[0].reshape(8, 8))
        labels = [t.get_text() for t in display.ax_.get_yticklabels()]
        assert labels == ["original", "reconstruction"]


def test_plot_draws_on_the_given_axes():
    """plot(ax=ax) draws on ax and records it and its figure."""
    _, ax = plt.subplots()
    rows = np.random.RandomState(0).uniform(size=(3, 64))
    display = ReconstructionDisplay(rows, rows, image_shape=(1, 8, 8)).plot(ax=ax)
    assert display.ax_ is ax
    assert display.figure_ is ax.figure
    assert list(ax.images) == [display.image_]


def test_estimator_image_shape_is_used(fitted):
    """Without image_shape, the estimator's image_shape attribute decides."""
    estimator, X, _, _ = fitted(VAETransformer, "digits")
    estimator = copy.copy(estimator)
    estimator.image_shape = (1, 8, 8)
    display = ReconstructionDisplay.from_estimator(estimator, X, n_images=3)
    assert display.image_shape == (1, 8, 8)
    assert display.image_ is not None


def test_n_images_beyond_the_data_shows_every_row(fitted):
    """Asking for more images than rows shows all the rows."""
    estimator, X, _, image_shape = fitted(VAETransformer, "digits")
    display = ReconstructionDisplay.from_estimator(
        estimator, X[:3], n_images=8, image_shape=image_shape
    )
    assert display.originals.shape == (3, 64)


def test_dataframe_and_pipeline_inputs(fitted):
    """A DataFrame through a scaling Pipeline works like an array."""
    _, X, _, _ = fitted(VAETransformer, "table")
    frame = pd.DataFrame(X, columns=[f"f{k}" for k in range(5)])
    pipeline = make_pipeline(
        StandardScaler(), VAETransformer(hidden_dims=(8,), max_epochs=2)
    ).fit(frame)
    display = ReconstructionDisplay.from_estimator(pipeline, frame, n_images=4)
    assert_allclose(display.originals, X[:4])
    assert display.reconstructions.shape == (4, 5)


def test_rgb_images_are_scaled_into_the_unit_range():
    """3-channel rows are shown as RGBA tiles with values in [0, 1]."""
    rows = np.random.RandomState(0).uniform(0, 255, size=(2, 3 * 4 * 4))
    display = ReconstructionDisplay(rows, rows * 1.1, image_shape=(3, 4, 4)).plot()
    mosaic = display.image_.get_array()
    assert mosaic.shape == (2 * 4 + 1, 2 * 4 + 1, 4)
    assert mosaic.min() >= 0 and mosaic.max() <= 1


@pytest.mark.parametrize(
    "image_shape, match",
    [
        ((1, 8, 9), "image_shape=\\(1, 8, 9\\) holds 72 values.*64 features"),
        ((2, 4, 8), "got C=2"),
    ],
)
def test_bad_image_shape_raises(fitted, image_shape, match):
    """An image_shape that does not fit the rows raises, naming both sizes."""
    estimator, X, _, _ = fitted(VAETransformer, "digits")
    with pytest.raises(ValueError, match=match):
        ReconstructionDisplay.from_estimator(estimator, X, image_shape=image_shape)


@pytest.mark.parametrize("n_images", [0, -1, 2.5])
def test_bad_n_images_raises(fitted, n_images):
    """n_images must be a positive integer."""
    estimator, X, _, _ = fitted(VAETransformer, "table")
    with pytest.raises(ValueError, match="n_images must be an integer >= 1"):
        ReconstructionDisplay.from_estimator(estimator, X, n_images=n_images)


def test_mismatched_arrays_raise():
    """originals and reconstructions must have the same shape."""
    with pytest.raises(ValueError, match="originals has shape \\(2, 5\\)"):
        ReconstructionDisplay(np.zeros((2, 5)), np.zeros((3, 5))).plot()


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_unfitted_estimator_raises(Estimator):
    """from_estimator on an unfitted estimator raises NotFittedError."""
    with pytest.raises(NotFittedError):
        ReconstructionDisplay.from_estimator(Estimator(), np.zeros((3, 5)))


@pytest.mark.parametrize(
    "X, error, match",
    [
        (sp.csr_matrix(np.ones((3, 5))), TypeError, "X is a sparse matrix; pass dense"),
        (None, ValueError, "X must be 2-D.*got shape \\(\\)"),
        (3.0, ValueError, "X must be 2-D.*got shape \\(\\)"),
        (np.ones(5), ValueError, "X must be 2-D.*got shape \\(5,\\)"),
    ],
)
def test_X_without_dense_rows_raises(fitted, X, error, match):
    """Sparse, scalar and 1-D X are refused before any row is taken."""
    estimator, _, _, _ = fitted(VAETransformer, "table")
    with pytest.raises(error, match=match):
        ReconstructionDisplay.from_estimator(estimator, X)


def test_X_that_requires_grad_is_read(fitted):
    """A torch tensor that requires grad is read detached."""
    estimator, X, _, _ = fitted(VAETransformer, "table")
    tensor = torch.tensor(X, requires_grad=True)
    display = ReconstructionDisplay.from_estimator(estimator, tensor, n_images=3)
    assert_allclose(display.originals, X[:3])
