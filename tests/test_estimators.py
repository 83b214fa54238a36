"""Fitted estimators: semantics, reproducibility, persistence and pipelines."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal

from skvae import AETransformer, VAETransformer

ESTIMATORS = [VAETransformer, AETransformer]
FAST = {"hidden_dims": (16,), "max_epochs": 3, "random_state": 0}


def _factor_model(n_samples=300, n_features=6, latent_dim=2, seed=0):
    """Rows from a linear-Gaussian factor model, and each feature's signal std."""
    rng = np.random.RandomState(seed)
    loadings = rng.normal(size=(latent_dim, n_features))
    noise = rng.uniform(0.2, 0.6, size=n_features)
    z = rng.normal(size=(n_samples, latent_dim))
    X = z @ loadings + rng.normal(size=(n_samples, n_features)) * noise + 3.0
    return X, np.sqrt((loadings**2).sum(axis=0))


def _factor_data(**kwargs):
    return _factor_model(**kwargs)[0]


def _outputs(est, X):
    return (
        est.transform(X),
        est.inverse_transform(est.transform(X)),
        est.sample(5),
        est.score_samples(X),
    )


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_same_random_state_gives_identical_results(Estimator):
    """Two fits with the same random_state agree bit for bit on every output."""
    X = _factor_data()
    first = _outputs(Estimator(**FAST).fit(X), X)
    second = _outputs(Estimator(**FAST).fit(X), X)
    for a, b in zip(first, second, strict=True):
        assert_array_equal(a, b)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_different_random_state_gives_different_fit(Estimator):
    """A different random_state changes the fitted model."""
    X = _factor_data()
    a = Estimator(**FAST).fit(X).transform(X)
    b = Estimator(**{**FAST, "random_state": 1}).fit(X).transform(X)
    assert not np.allclose(a, b)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fit_leaves_global_torch_rng_alone(Estimator):
    """Fitting, scoring and sampling neither read nor change torch's global RNG."""
    X = _factor_data(n_samples=50)
    torch.manual_seed(123)
    state = torch.get_rng_state()
    est = Estimator(**FAST).fit(X)
    est.score_samples(X)
    est.sample(3)
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize(
    ("n_samples", "expected"), [(20, 500), (1500, 209), (100_000, 10)]
)
def test_auto_epochs_scale_with_data(n_samples, expected):
    """max_epochs='auto' gives many epochs on tiny data and few on large data."""
    assert VAETransformer()._n_epochs(n_samples) == expected


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_uses_current_params_and_keeps_optimizer_state(Estimator):
    """lr and batch_size set after fit apply to partial_fit; Adam keeps its state."""
    X = _factor_data(n_samples=60)
    est = Estimator(**FAST, batch_size=60).fit(X)
    optimizer = est.net_.optimizer_
    steps = optimizer.state_dict()["state"][0]["step"].item()
    est.set_params(lr=0.05, batch_size=20).partial_fit(X)
    assert est.net_.optimizer_ is optimizer
    assert [group["lr"] for group in optimizer.param_groups] == [0.05]
    # One epoch of three batches of 20 rows, on top of the earlier steps.
    assert optimizer.state_dict()["state"][0]["step"].item() == steps + 3


def test_partial_fit_uses_current_beta():
    """beta set after fit is the KL weight of the next partial_fit."""
    X = _factor_data(n_samples=60)
    vae = VAETransformer(**FAST).fit(X)
    vae.set_params(beta=3.0).partial_fit(X)
    assert vae.net_.criterion_.beta == 3.0
