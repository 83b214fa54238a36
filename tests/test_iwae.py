"""The importance-weighted score (Burda et al. 2015) and its anchor to exact FA."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from scipy.stats import multivariate_normal, norm
from sklearn.decomposition import FactorAnalysis

from skvae import VAETransformer, _base, _vae
from skvae._noise import row_keys
from skvae.nn import VAE, importance_log_weights, importance_weighted_bound


def _factor_split(n_features, n_factors, seed, n_samples=2000):
    """Train and test rows from a linear-Gaussian factor model."""
    rng = np.random.RandomState(seed)
    loadings = rng.normal(size=(n_factors, n_features))
    noise_std = np.sqrt(rng.uniform(0.2, 1.0, size=n_features))
    X = rng.normal(size=(n_samples, n_factors)) @ loadings
    X += rng.normal(size=(n_samples, n_features)) * noise_std
    cut = 3 * n_samples // 4
    return X[:cut], X[cut:]


def _linear_vae(latent_dim, **params):
    return VAETransformer(
        latent_dim=latent_dim,
        hidden_dims=(),
        max_epochs=150,
        batch_size=250,
        lr=1e-2,
        random_state=0,
        **params,
    )


@pytest.fixture(scope="module")
def fitted():
    """A linear VAE fitted to 6-feature, 2-factor data, and its test rows."""
    X_train, X_test = _factor_split(6, 2, seed=6)
    return _linear_vae(2).fit(X_train), X_test


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


def test_bound_of_equal_weights_is_that_weight():
    """With k equal weights, log-mean-exp returns the weight: the -log k is there."""
    weights = torch.full((3, 7), -2.5, dtype=torch.float64)
    assert_allclose(importance_weighted_bound(weights).numpy(), -2.5)


def test_bound_is_at_least_the_mean_log_weight_of_the_same_draws():
    """Per row, log-mean-exp of the log weights >= their mean (Jensen)."""
    weights = torch.randn(50, 20, dtype=torch.float64, generator=torch.Generator())
    bound = importance_weighted_bound(weights)
    assert torch.all(bound >= weights.mean(dim=1))


def test_estimator_bound_is_at_least_the_elbo_of_its_own_draws(fitted):
    """Each row's k-draw score >= the mean log weight of the same k draws."""
    vae, X = fitted
    vae = vae.set_params(n_importance_samples=50)
    scores = vae.score_samples(X)
    module = vae.module_.double()
    x = torch.from_numpy((X - vae.input_mean_) / vae.input_scale_)
    with torch.no_grad():
        eps = vae._score_noise(row_keys(X, _vae._SCORE_SEED), 50, 2, x)
        mean_log_w = importance_log_weights(module, x, eps).mean(dim=1).numpy()
    vae.module_.float()
    per_row = mean_log_w - np.log(vae.input_scale_).sum()
    assert np.all(scores >= per_row - 1e-9)
    assert scores.mean() > per_row.mean()


def test_mean_bound_grows_with_k(fitted):
    """The mean score rises (weakly) with k, from the ELBO at k=1."""
    vae, X = fitted
    means = [vae.set_params(n_importance_samples=k).score(X) for k in (1, 10, 100)]
    vae.set_params(n_importance_samples=1)
    assert means[0] <= means[1] + 1e-3
    assert means[1] <= means[2] + 1e-3
    assert means[2] - means[0] > 0.005  # the bound is tighter, not just equal


def test_scores_are_deterministic_and_independent_of_batching(fitted):
    """Same numbers on repeat calls, other batch sizes, subsets and orders."""
    vae, X = fitted
    vae.set_params(n_importance_samples=30)
    first = vae.score_samples(X)
    assert_allclose(vae.score_samples(X), first, rtol=0, atol=0)
    order = np.random.RandomState(0).permutation(len(X))
    assert_allclose(vae.score_samples(X[order]), first[order], rtol=1e-12)
    assert_allclose(vae.score_samples(X[:7]), first[:7], rtol=1e-12)
    vae.set_params(batch_size=13)
    assert_allclose(vae.score_samples(X), first, rtol=1e-12)
    vae.set_params(batch_size=250, n_importance_samples=1)


def test_draws_are_streamed_in_bounded_chunks(fitted, monkeypatch):
    """k=1000 decodes about an inference chunk of rows per pass, encoding once,
    with the same result as one pass."""
    vae, X = fitted
    vae.set_params(n_importance_samples=1000)
    passes = []

    def recording(module, x, eps, posterior=None):
        passes.append((eps.shape[0] * eps.shape[1], posterior is not None))
        return importance_log_weights(module, x, eps, posterior=posterior)

    monkeypatch.setattr(_vae, "importance_log_weights", recording)
    monkeypatch.setattr(_base, "_INFERENCE_VALUES", 1)
    budget = vae._inference_rows(X.shape[1])
    chunked = vae.score_samples(X[:100])
    assert max(rows for rows, _ in passes) <= budget and len(passes) > 1
    assert all(encoded for _, encoded in passes)
    passes.clear()
    monkeypatch.setattr(_base, "_INFERENCE_VALUES", 10**9)
    monkeypatch.setattr(_base, "_INFERENCE_ROWS", 10**6)
    assert_allclose(vae.score_samples(X[:100]), chunked, rtol=1e-12)
    assert len(passes) == 1
    vae.set_params(n_importance_samples=1)


@pytest.mark.parametrize(
    ("n_features", "n_factors", "seed"), [(6, 2, 6), (10, 3, 10), (12, 1, 12)]
)
def test_linear_vae_matches_factor_analysis_within_one_percent(
    n_features, n_factors, seed
):
    """A linear Gaussian VAE's held-out IWAE score is within 1% of FA's exact one."""
    X_train, X_test = _factor_split(n_features, n_factors, seed)
    exact = FactorAnalysis(n_components=n_factors).fit(X_train).score(X_test)
    vae = _linear_vae(n_factors, n_importance_samples=200).fit(X_train)
    score = vae.score(X_test)
    assert abs(score - exact) <= 0.01 * abs(exact), (score, exact)


def test_elbo_default_is_unchanged_by_the_parameter(fitted):
    """n_importance_samples=1 (the default) is the one-draw ELBO, below IWAE."""
    vae, X = fitted
    elbo = vae.score(X)
    assert vae.get_params()["n_importance_samples"] == 1
    iwae = vae.set_params(n_importance_samples=200).score(X)
    vae.set_params(n_importance_samples=1)
    assert elbo < iwae


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10"])
def test_bad_n_importance_samples_is_a_clear_error(bad):
    """n_importance_samples must be a positive integer."""
    X = np.random.RandomState(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="n_importance_samples"):
        VAETransformer(n_importance_samples=bad, max_epochs=1).fit(X)


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
