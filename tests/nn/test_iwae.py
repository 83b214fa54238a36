"""Tests of skvae.nn.iwae: importance weights and the bound of Burda et al. 2015."""

import numpy as np
import torch
from numpy.testing import assert_allclose
from scipy.stats import multivariate_normal, norm

from skvae.nn import VAE, importance_log_weights, importance_weighted_bound


def test_log_weights_match_the_densities_by_hand():
    """log w = log p(x|z) + log N(z; 0, I) - log N(z; mean, diag var), per draw."""
    torch.manual_seed(0)
    vae = VAE(n_features=3, latent_dim=2, hidden_dims=(4,)).double()
    x = torch.randn(2, 3, dtype=torch.float64)
    eps = torch.randn(2, 5, 2, dtype=torch.float64)
    with torch.no_grad():
        log_w = importance_log_weights(vae, x, eps).numpy()
        mean, logvar = (t.numpy() for t in vae.encode(x))
        std = np.exp(0.5 * logvar)
        for i in range(2):
            for j in range(5):
                z = mean[i] + std[i] * eps[i, j].numpy()
                loc = vae.decode(torch.from_numpy(z)[None])
                log_px_z = vae.likelihood.log_prob(x[i : i + 1], loc).item()
                log_pz = multivariate_normal(np.zeros(2)).logpdf(z)
                log_qz = norm(mean[i], std[i]).logpdf(z).sum()
                assert_allclose(log_w[i, j], log_px_z + log_pz - log_qz, rtol=1e-10)


def test_log_weights_accept_a_precomputed_posterior():
    """Passing module.encode(x) gives the same weights as encoding inside."""
    torch.manual_seed(0)
    vae = VAE(n_features=5, latent_dim=2, hidden_dims=(8,)).eval()
    x, eps = torch.randn(4, 5), torch.randn(4, 3, 2)
    with torch.no_grad():
        inside = importance_log_weights(vae, x, eps)
        given = importance_log_weights(vae, x, eps, posterior=vae.encode(x))
        shifted = importance_log_weights(vae, x, eps, posterior=vae.encode(x + 1))
    assert torch.equal(inside, given)
    assert not torch.allclose(inside, shifted)


def test_bound_of_equal_weights_is_that_weight():
    """With k equal weights, log-mean-exp returns the weight: the -log k is there."""
    weights = torch.full((3, 7), -2.5, dtype=torch.float64)
    assert_allclose(importance_weighted_bound(weights).numpy(), -2.5)


def test_bound_is_at_least_the_mean_log_weight_of_the_same_draws():
    """Per row, log-mean-exp of the log weights >= their mean (Jensen)."""
    weights = torch.randn(50, 20, dtype=torch.float64, generator=torch.Generator())
    bound = importance_weighted_bound(weights)
    assert torch.all(bound >= weights.mean(dim=1))
