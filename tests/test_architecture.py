"""Estimator architectures: conv networks, custom modules, validation and verbosity."""

import math

import numpy as np
import pytest
from torch import nn

from skvae import AETransformer, VAETransformer

ESTIMATORS = [VAETransformer, AETransformer]
FAST = {"max_epochs": 1, "random_state": 0}
CONV = {**FAST, "architecture": "conv", "image_shape": (1, 8, 8)}


def _images(n=40, image_shape=(1, 8, 8), seed=0):
    """Rows of flattened random images with values in [0, 1]."""
    return np.random.RandomState(seed).rand(n, math.prod(image_shape))


def _rows(n=40, n_features=6, seed=0):
    return np.random.RandomState(seed).normal(size=(n, n_features))


def _mlp_encoder(n_features=6):
    return nn.Sequential(nn.Linear(n_features, 8), nn.ReLU())


def _mlp_decoder(n_features=6):
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, n_features))


# -- the conv architecture ----------------------------------------------------


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"architecture": "conv", "image_shape": None}, "needs image_shape"),
        ({"image_shape": (1, 8, 9)}, r"image_shape=\(1, 8, 9\).*72.*64 features"),
        ({"architecture": "mlp", "image_shape": (1, 4, 4)}, r"16.*64 features"),
        ({"image_shape": (8, 8)}, "three positive integers"),
        ({"image_shape": (1, 8, 8, 1)}, "three positive integers"),
        ({"image_shape": (0, 8, 8)}, "three positive integers"),
        ({"image_shape": (1, 8.0, 8)}, "three positive integers"),
        ({"image_shape": (True, 8, 8)}, "three positive integers"),
        ({"image_shape": (4, 2, 8)}, "image_shape"),
        ({"hidden_dims": ()}, "at least one block"),
        ({"hidden_dims": (4, 0)}, "positive integers"),
    ],
)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_invalid_conv_settings_raise(Estimator, params, match):
    """Inconsistent conv settings raise a ValueError and leave no fitted state."""
    est = Estimator(**{**CONV, **params})
    with pytest.raises(ValueError, match=match):
        est.fit(_images())
    assert not hasattr(est, "net_")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_image_array_input_suggests_image_shape(method, Estimator):
    """Fitting on a 3-D array of images raises a ValueError naming image_shape."""
    images = np.random.RandomState(0).rand(5, 4, 4)
    with pytest.raises(ValueError, match="image_shape"):
        getattr(Estimator(**FAST), method)(images)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_image_array_input_to_fitted_estimator(Estimator):
    """transform on a 3-D array of images also points to flattening."""
    est = Estimator(**FAST, hidden_dims=(8,)).fit(_images(image_shape=(1, 4, 4)))
    with pytest.raises(ValueError, match="image_shape"):
        est.transform(np.random.RandomState(0).rand(5, 4, 4))


# -- custom encoder and decoder -----------------------------------------------


BOTH = {"encoder": _mlp_encoder(), "decoder": _mlp_decoder()}


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"encoder": _mlp_encoder()}, "both encoder and decoder"),
        ({"decoder": _mlp_decoder()}, "both encoder and decoder"),
        (
            {**BOTH, "architecture": "conv", "image_shape": (1, 2, 3)},
            "leave architecture and hidden_dims",
        ),
        ({**BOTH, "hidden_dims": (8,)}, "leave architecture and hidden_dims"),
        ({**BOTH, "hidden_dims": ()}, "leave architecture and hidden_dims"),
    ],
)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_invalid_custom_module_settings_raise(Estimator, params, match):
    """encoder and decoder go together and replace architecture and hidden_dims."""
    est = Estimator(**FAST, **params)
    with pytest.raises(ValueError, match=match):
        est.fit(_rows())
    assert not hasattr(est, "net_")


# -- validation_fraction --------------------------------------------------------


@pytest.mark.parametrize("validation_fraction", [1.5, 1.0, 0.0, -0.1, "0.5"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_invalid_validation_fraction_raises(Estimator, validation_fraction):
    """validation_fraction outside (0, 1) raises a ValueError naming it."""
    est = Estimator(**FAST, validation_fraction=validation_fraction)
    with pytest.raises(ValueError, match="validation_fraction"):
        est.fit(_rows())


# -- verbosity ----------------------------------------------------------------
