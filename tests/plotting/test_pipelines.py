"""Displays given a Pipeline ending in an autoencoder, or another kind of model."""

import matplotlib
import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skvae import AETransformer, VAETransformer
from skvae.plotting import SamplesDisplay, TrainingCurvesDisplay
from tests.conftest import FAST, normal_rows

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
