"""Tests for the observation models p(x | z)."""

import numpy as np
import pytest
import torch
from scipy import special, stats

from skvae.nn import (
    BernoulliLikelihood,
    GaussianLikelihood,
    bernoulli_log_prob,
    gaussian_log_prob,
    make_likelihood,
)


def test_gaussian_log_prob_matches_scipy():
    """The elementwise Gaussian log-density equals scipy's norm.logpdf."""
    rng = np.random.default_rng(0)
    x = rng.normal(scale=3.0, size=(20, 5))
    loc = rng.normal(size=(20, 5))
    scale = np.exp(rng.normal(size=5))
    got = gaussian_log_prob(
        torch.from_numpy(x), torch.from_numpy(loc), torch.from_numpy(scale)
    )
    assert got.shape == (20, 5)
    np.testing.assert_allclose(
        got.numpy(), stats.norm.logpdf(x, loc, scale), rtol=1e-12
    )


def test_bernoulli_log_prob_matches_scipy_on_binary_x():
    """For x in {0, 1} the log-probability equals scipy's bernoulli.logpmf."""
    rng = np.random.default_rng(1)
    x = rng.integers(0, 2, size=(30, 4)).astype(np.float64)
    logits = rng.normal(scale=4.0, size=(30, 4))
    got = bernoulli_log_prob(torch.from_numpy(x), torch.from_numpy(logits))
    expected = stats.bernoulli.logpmf(x, special.expit(logits))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-9)


def test_bernoulli_log_prob_fractional_x():
    """For x in (0, 1) the value is x log p + (1 - x) log(1 - p)."""
    rng = np.random.default_rng(2)
    x = rng.uniform(size=(30, 4))
    logits = rng.normal(scale=3.0, size=(30, 4))
    p = special.expit(logits)
    got = bernoulli_log_prob(torch.from_numpy(x), torch.from_numpy(logits))
    expected = x * np.log(p) + (1 - x) * np.log1p(-p)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-9)


def test_bernoulli_log_prob_finite_for_extreme_logits():
    """Very large logits give finite log-probabilities, not log(0)."""
    logits = torch.tensor([200.0, -200.0])
    got = bernoulli_log_prob(torch.tensor([0.0, 1.0]), logits)
    assert torch.isfinite(got).all()
    torch.testing.assert_close(got, torch.tensor([-200.0, -200.0]))


@pytest.mark.parametrize("min_scale", [1e-3, 1e-2, 0.5])
def test_gaussian_likelihood_scale_starts_at_one(min_scale):
    """A fresh Gaussian likelihood has unit scale on every feature."""
    likelihood = GaussianLikelihood(6, min_scale=min_scale)
    assert likelihood.scale.shape == (6,)
    torch.testing.assert_close(likelihood.scale, torch.ones(6))


@pytest.mark.parametrize("min_scale", [1e-3, 1e-2, 0.5])
@pytest.mark.parametrize("raw", [-1e4, -50.0, -5.0, 0.0, 3.0])
def test_gaussian_likelihood_scale_floor(min_scale, raw):
    """The scale never drops below min_scale, even for very negative raw values."""
    likelihood = GaussianLikelihood(3, min_scale=min_scale)
    with torch.no_grad():
        likelihood.raw_scale.fill_(raw)
    floor = torch.tensor(min_scale, dtype=likelihood.scale.dtype)
    assert (likelihood.scale >= floor).all()
    assert torch.isfinite(likelihood.scale).all()
    if raw <= -50.0:
        torch.testing.assert_close(likelihood.scale, floor.expand(3))


def test_gaussian_likelihood_log_prob_sums_over_features():
    """The row log-density is the sum of scipy's per-feature log-densities."""
    rng = np.random.default_rng(3)
    likelihood = GaussianLikelihood(4).double()
    with torch.no_grad():
        likelihood.raw_scale.copy_(torch.from_numpy(rng.normal(size=4)))
    x = rng.normal(size=(10, 4))
    loc = rng.normal(size=(10, 4))
    got = likelihood.log_prob(torch.from_numpy(x), torch.from_numpy(loc))
    assert got.shape == (10,)
    scale = likelihood.scale.detach().numpy()
    expected = stats.norm.logpdf(x, loc, scale).sum(axis=1)
    np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-12)


def test_bernoulli_likelihood_log_prob_sums_over_features():
    """The Bernoulli row log-probability sums scipy's per-feature values."""
    rng = np.random.default_rng(4)
    x = rng.integers(0, 2, size=(10, 3)).astype(np.float64)
    logits = rng.normal(size=(10, 3))
    got = BernoulliLikelihood().log_prob(torch.from_numpy(x), torch.from_numpy(logits))
    assert got.shape == (10,)
    expected = stats.bernoulli.logpmf(x, special.expit(logits)).sum(axis=1)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-9)


def test_gaussian_likelihood_mean_is_loc():
    """The Gaussian mean is the decoder output unchanged."""
    loc = torch.randn(5, 3, generator=torch.Generator().manual_seed(5))
    assert torch.equal(GaussianLikelihood(3).mean(loc), loc)


def test_bernoulli_likelihood_mean_is_sigmoid():
    """The Bernoulli mean is the sigmoid of the logits."""
    logits = torch.linspace(-8.0, 8.0, 17, dtype=torch.float64)
    mean = BernoulliLikelihood().mean(logits)
    np.testing.assert_allclose(mean.numpy(), special.expit(logits.numpy()))


@pytest.mark.parametrize(
    ("name", "cls"),
    [("gaussian", GaussianLikelihood), ("bernoulli", BernoulliLikelihood)],
)
def test_make_likelihood_builds_named_module(name, cls):
    """make_likelihood returns the module its name asks for."""
    assert isinstance(make_likelihood(name, 4), cls)


def test_make_likelihood_gaussian_has_one_scale_per_feature():
    """The Gaussian likelihood from make_likelihood has n_features scales."""
    assert make_likelihood("gaussian", 7).scale.shape == (7,)


@pytest.mark.parametrize("name", ["poisson", "Gaussian", ""])
def test_make_likelihood_rejects_unknown_name(name):
    """An unknown likelihood name raises ValueError."""
    with pytest.raises(ValueError, match="Unknown likelihood"):
        make_likelihood(name, 3)
