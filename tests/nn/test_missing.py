"""Tests of skvae.nn.missing and the masked likelihood: against factor analysis."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from scipy.stats import multivariate_normal

from skvae.nn import (
    VAE,
    importance_log_weights,
    observed_entries,
    observed_sum,
)


def _linear_gaussian_vae(W, mu, psi, observed):
    """A linear VAE whose decoder is the factor model ``x = W z + mu + noise``
    (noise variances ``psi``) and whose encoder is that model's exact posterior
    given the entries ``observed`` (zero-filled elsewhere)."""
    n_features, latent_dim = W.shape
    vae = VAE(n_features, latent_dim, hidden_dims=()).double()
    W_o, mu_o, psi_o = W[observed], mu[observed], psi[observed]
    precision = np.eye(latent_dim) + W_o.T @ (W_o / psi_o[:, None])
    gain = np.linalg.solve(
        precision, W_o.T / psi_o
    )  # posterior mean = gain (x_o - mu_o)
    weight = np.zeros((latent_dim, n_features))
    weight[:, observed] = gain
    with torch.no_grad():
        decoder = vae.decoder.layers[-1]
        decoder.weight.copy_(torch.from_numpy(W))
        decoder.bias.copy_(torch.from_numpy(mu))
        likelihood = vae.likelihood
        scale = torch.from_numpy(np.sqrt(psi))
        likelihood.raw_scale.copy_(torch.log(torch.expm1(scale - likelihood.min_scale)))
        vae.mean_head.weight.copy_(torch.from_numpy(weight))
        vae.mean_head.bias.copy_(torch.from_numpy(-gain @ mu_o))
        vae.logvar_head.weight.zero_()
        # A diagonal posterior is exact for one latent dimension.
        vae.logvar_head.bias.copy_(torch.from_numpy(-np.log(np.diag(precision))))
    return vae


@pytest.mark.parametrize(
    "observed", [[True, False, True, True], [False, True, False, False]]
)
def test_masked_weights_are_the_exact_marginal_of_the_observed_entries(observed):
    """With the exact posterior, every log weight is log p(x_obs) of factor analysis."""
    rng = np.random.default_rng(0)
    W = rng.normal(size=(4, 1))
    mu = rng.normal(size=4)
    psi = rng.uniform(0.3, 1.5, size=4)
    observed = np.array(observed)
    x = rng.normal(size=(6, 4)) * 2
    x[:, ~observed] = np.nan
    vae = _linear_gaussian_vae(W, mu, psi, observed)
    xt = torch.from_numpy(x)
    mask = observed_entries(xt)
    eps = torch.randn(6, 5, 1, generator=torch.Generator().manual_seed(0)).double()
    with torch.no_grad():
        log_weights = importance_log_weights(vae, xt, eps, observed=mask).numpy()
    W_o = W[observed]
    exact = multivariate_normal(mu[observed], W_o @ W_o.T + np.diag(psi[observed]))
    expected = np.atleast_1d(exact.logpdf(x[:, observed]))
    assert_allclose(log_weights, np.repeat(expected[:, None], 5, axis=1), rtol=1e-10)


def test_masked_entries_pass_no_gradient():
    """observed_sum leaves masked entries out of the sum and of the gradient."""
    values = torch.tensor([[1.0, 5.0, 2.0]], requires_grad=True)
    total = observed_sum(values * 3, torch.tensor([[True, False, True]]))
    total.sum().backward()
    assert total.item() == 9.0
    assert values.grad.tolist() == [[3.0, 0.0, 3.0]]


def test_observed_entries_is_none_for_complete_rows():
    """Complete rows give no mask (the cost-free path); NaN entries are False."""
    assert observed_entries(torch.zeros(3, 2)) is None
    mask = observed_entries(torch.tensor([[float("nan"), 1.0]]))
    assert mask.tolist() == [[False, True]]


def test_forward_with_draws_gives_the_importance_terms():
    """forward with (n, k, d) noise returns per-draw terms whose log weights match
    importance_log_weights."""
    vae = VAE(3, 2, hidden_dims=(4,))
    x = torch.tensor([[0.5, float("nan"), -1.0], [1.0, 2.0, 0.0]])
    mask = observed_entries(x)
    eps = torch.randn(2, 7, 2, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        out = vae(x, eps, observed=mask)
        expected = importance_log_weights(vae, x, eps, observed=mask)
    assert out.log_px_z.shape == (2, 7)
    assert_allclose((out.log_px_z - out.kl).numpy(), expected.numpy(), rtol=1e-6)
