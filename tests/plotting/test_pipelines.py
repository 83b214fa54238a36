"""Displays given a Pipeline ending in an autoencoder, or another kind of model."""

import matplotlib
import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.stats import norm
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skvae import AETransformer, VAETransformer
from skvae.callbacks import RecordReconstructions
from skvae.plotting import (
    InterpolationDisplay,
    LatentGridDisplay,
    ReconstructionDisplay,
    ReconstructionProgressDisplay,
    SamplesDisplay,
    TrainingCurvesDisplay,
)
from tests.conftest import CONV, FAST, images, normal_rows

matplotlib.use("Agg")


@pytest.mark.parametrize("Estimator", [VAETransformer, AETransformer])
def test_samples_of_a_pipeline_are_in_its_input_units(Estimator):
    """A Pipeline's samples go back through its scaler: the data's own units."""
    X = normal_rows(60, 4) * 100.0 + 1000.0
    pipe = make_pipeline(StandardScaler(), Estimator(**FAST)).fit(X)
    display = SamplesDisplay.from_estimator(pipe, n_samples=20)
    assert display.samples.shape == (20, 4)
    assert abs(np.mean(display.samples) - 1000.0) < 500.0


def test_training_curves_of_a_pipeline_are_its_models():
    """TrainingCurvesDisplay reads the history of the Pipeline's last step."""
    pipe = make_pipeline(StandardScaler(), VAETransformer(**FAST)).fit(normal_rows())
    display = TrainingCurvesDisplay.from_estimator(pipe)
    assert len(display.history["train_loss"]) == FAST["max_epochs"]


@pytest.mark.parametrize("Display", [SamplesDisplay, TrainingCurvesDisplay])
def test_estimators_of_another_kind_are_named(Display):
    """A PCA has no samples or history: a TypeError says what the Display needs."""
    pca = PCA(2).fit(normal_rows(20, 4))
    with pytest.raises(TypeError, match="needs a fitted VAETransformer.*got PCA"):
        Display.from_estimator(pca)


def test_latent_grid_of_a_pipeline_uses_its_models_latent_gaussian():
    """An AE at the end of a Pipeline spans its fitted latent Gaussian."""
    pipe = make_pipeline(StandardScaler(), AETransformer(**FAST)).fit(normal_rows())
    display = LatentGridDisplay.from_estimator(pipe, n_per_side=3)
    ae = pipe[-1]
    std = np.sqrt(np.diag(ae.latent_covariance_))
    ppf = norm.ppf(np.linspace(0.05, 0.95, 3))
    assert_allclose(
        display.grid_values, [ae.latent_mean_[d] + std[d] * ppf for d in (0, 1)]
    )


@pytest.fixture(scope="module")
def conv_pipeline():
    """A Pipeline ending in a tiny conv VAE on 8x8 images, and its images."""
    X = images(20)
    return make_pipeline(StandardScaler(), VAETransformer(**CONV)).fit(X), X


@pytest.mark.parametrize(
    "draw",
    [
        lambda pipe, X: LatentGridDisplay.from_estimator(pipe, n_per_side=2),
        lambda pipe, X: ReconstructionDisplay.from_estimator(pipe, X, n_images=2),
        lambda pipe, X: InterpolationDisplay.from_estimator(pipe, X[0], X[1]),
    ],
)
def test_image_shape_is_read_from_the_last_step(conv_pipeline, draw):
    """A Pipeline ending in a conv model draws its rows as its images."""
    display = draw(*conv_pipeline)
    assert display.image_shape == (1, 8, 8)
    assert display.image_.get_array().ndim == 2
    assert display.image_.get_array().shape[0] >= 8


def test_reconstruction_progress_of_a_pipeline_reads_its_last_step():
    """The Pipeline's model holds the callback and the recorded history."""
    X = normal_rows(30, 4)
    scaled = StandardScaler().fit_transform(X)
    callbacks = [RecordReconstructions(scaled[:3])]
    pipe = make_pipeline(
        StandardScaler(), VAETransformer(**FAST, callbacks=callbacks)
    ).fit(X)
    display = ReconstructionProgressDisplay.from_estimator(pipe)
    assert_allclose(display.originals, scaled[:3])
    assert_allclose(display.epochs, [1, 2])
