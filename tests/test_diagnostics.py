"""Latent-usage diagnostics of the VAE: KL per dimension and active units."""

import copy

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal

from skvae import AETransformer, VAETransformer
from skvae._diagnostics import latent_usage

FAST = {"hidden_dims": (8,), "max_epochs": 3, "random_state": 0}


def _factor_data(n_samples=1000, n_features=8, n_factors=2, seed=0):
    """Standardised rows of a linear factor model with small isotropic noise."""
    rng = np.random.RandomState(seed)
    loadings = rng.normal(size=(n_factors, n_features))
    X = rng.normal(size=(n_samples, n_factors)) @ loadings
    X += 0.3 * rng.normal(size=(n_samples, n_features))
    return (X - X.mean(axis=0)) / X.std(axis=0)


def _posterior(est, X):
    """Posterior means and log-variances of all rows at once, in float64."""
    module = copy.deepcopy(est.module_).double()
    x = torch.from_numpy((X - est.input_mean_) / est.input_scale_)
    with torch.no_grad():
        mean, logvar = module.encode(x)
    return mean.numpy(), logvar.numpy()


@pytest.mark.parametrize("latent_dim", [1, 3])
def test_shapes_and_types(latent_dim):
    """kl_per_dim_ has a float64 entry per latent dimension; n_active_units_ is int."""
    X = _factor_data(n_samples=60)
    est = VAETransformer(latent_dim, **FAST).fit(X)
    assert est.kl_per_dim_.shape == (latent_dim,)
    assert est.kl_per_dim_.dtype == np.float64
    assert (est.kl_per_dim_ >= 0).all()
    assert isinstance(est.n_active_units_, int)
    assert 0 <= est.n_active_units_ <= latent_dim


def test_kl_per_dim_matches_closed_form_and_sums_to_mean_kl():
    """kl_per_dim_ is the closed-form KL per dimension; it sums to the mean KL."""
    X = _factor_data(n_samples=300)
    est = VAETransformer(4, **FAST, batch_size=64).fit(X)
    mean, logvar = _posterior(est, X)
    per_row = 0.5 * (mean**2 + np.exp(logvar) - 1 - logvar)
    assert_allclose(est.kl_per_dim_, per_row.mean(axis=0), rtol=1e-5, atol=1e-7)
    x = torch.as_tensor((X - est.input_mean_) / est.input_scale_, dtype=torch.float32)
    with torch.no_grad():
        kl = est.module_(x, torch.zeros(len(X), 4)).kl.double().mean().item()
    assert est.kl_per_dim_.sum() == pytest.approx(kl, rel=1e-5)


def test_n_active_units_counts_varying_posterior_means():
    """A unit is active when its posterior mean (transform) varies by more than 0.01."""
    X = _factor_data(n_samples=300)
    est = VAETransformer(4, **FAST).fit(X)
    activity = est.transform(X).var(axis=0)
    assert est.n_active_units_ == int(np.sum(activity > 0.01))


@pytest.mark.parametrize("random_state", [0, 1, 2])
def test_posterior_collapse_is_visible(random_state):
    """On 2-factor data, a 5-D VAE uses 2 units; the idle ones carry ~0 KL."""
    # With beta=1 the ELBO optimum on 1000 rows keeps the noise's largest sample
    # directions weakly active (KL ~0.1 nats, as FactorAnalysis(5) gives them small
    # loadings); beta=1.5 prices them out, so the unused units collapse cleanly.
    # Measured over seeds 0-7: 2 active units, idle units below 0.0015 nats.
    X = _factor_data()
    est = VAETransformer(
        latent_dim=5,
        hidden_dims=(),
        beta=1.5,
        max_epochs=100,
        batch_size=100,
        lr=1e-2,
        random_state=random_state,
    ).fit(X)
    assert 1 <= est.n_active_units_ <= 3
    idle = np.sort(est.kl_per_dim_)[: 5 - est.n_active_units_]
    assert (idle < 0.05).all()
    assert np.sort(est.kl_per_dim_)[-2:].min() > 0.3


def test_diagnostics_are_deterministic():
    """Two fits with the same random_state give identical diagnostics."""
    X = _factor_data(n_samples=200)
    first, second = (VAETransformer(3, **FAST).fit(X) for _ in range(2))
    assert_array_equal(first.kl_per_dim_, second.kl_per_dim_)
    assert first.n_active_units_ == second.n_active_units_


def test_diagnostics_do_not_depend_on_batch_size():
    """The batched computation gives the same numbers for any inference batch size."""
    X = _factor_data(n_samples=200)
    est = VAETransformer(3, **FAST).fit(X)
    expected = est.kl_per_dim_
    est.set_params(batch_size=7)
    kl_per_dim, n_active = latent_usage(est, X)
    assert_allclose(kl_per_dim, expected, rtol=1e-6)
    assert n_active == est.n_active_units_


def test_partial_fit_updates_diagnostics():
    """Each partial_fit recomputes the diagnostics on that call's rows."""
    X = _factor_data(n_samples=200)
    est = VAETransformer(3, hidden_dims=(8,), random_state=0)
    est.partial_fit(X[:100])
    first = est.kl_per_dim_.copy()
    assert_array_equal(first, latent_usage(est, X[:100])[0])
    est.partial_fit(X[100:])
    assert not np.array_equal(est.kl_per_dim_, first)
    kl_per_dim, n_active = latent_usage(est, X[100:])
    assert_array_equal(est.kl_per_dim_, kl_per_dim)
    assert est.n_active_units_ == n_active


def test_float32_input_gives_the_same_diagnostics():
    """float32 rows are encoded in float32; the results agree with float64's."""
    X = _factor_data(n_samples=200)
    est = VAETransformer(3, **FAST).fit(X)
    kl_per_dim, n_active = latent_usage(est, X.astype(np.float32))
    assert kl_per_dim.dtype == np.float64
    assert_allclose(kl_per_dim, est.kl_per_dim_, rtol=1e-4, atol=1e-6)
    assert n_active == est.n_active_units_


def test_autoencoder_has_no_kl_diagnostics():
    """The deterministic autoencoder has no posterior, hence no KL diagnostics."""
    est = AETransformer(**FAST).fit(_factor_data(n_samples=60))
    assert not hasattr(est, "kl_per_dim_")
    assert not hasattr(est, "n_active_units_")
