"""Shared fixtures for the Display tests: a non-interactive backend, closed figures
and tiny fitted estimators on 8x8 digit images and on a 5-feature table."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.datasets import load_digits

from tests.conftest import FAST

matplotlib.use("Agg")

DIGITS_SHAPE = (1, 8, 8)


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every figure a test opened."""
    yield
    plt.close("all")


def _datasets():
    X, y = load_digits(return_X_y=True)
    rng = np.random.RandomState(0)
    table = rng.normal(size=(60, 5))
    return {
        "digits": (X[:60], y[:60], DIGITS_SHAPE),
        "table": (table, table[:, 0] + rng.normal(size=60), None),
    }


@pytest.fixture(scope="session")
def fitted():
    """``fitted(Estimator, data, **params)``: a cached tiny fitted estimator and its
    data as ``(estimator, X, y, image_shape)``; ``data`` is "digits" or "table"."""
    datasets = _datasets()
    cache = {}

    def get(estimator_class, data, **params):
        key = (estimator_class, data, tuple(sorted(params.items())))
        X, y, image_shape = datasets[data]
        if key not in cache:
            cache[key] = estimator_class(**{**FAST, **params}).fit(X)
        return cache[key], X, y, image_shape

    return get
