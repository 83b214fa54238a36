"""Tests for the KL divergence and the evidence lower bound."""

import inspect
import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from skvae.nn import elbo, gaussian_kl, gaussian_kl_per_dim


def _kl_closed_form(mean, std):
    # KL(N(m, s^2) || N(0, 1)) written with the standard deviation, not logvar.
    return np.sum(np.log(1.0 / std) + (std**2 + mean**2) / 2.0 - 0.5, axis=-1)


def _kl_quad(mean, std):
    # Integrate q * log(q / p) over +-12 posterior standard deviations.
    def integrand(x):
        return stats.norm.pdf(x, mean, std) * (
            stats.norm.logpdf(x, mean, std) - stats.norm.logpdf(x)
        )

    value, _ = integrate.quad(integrand, mean - 12 * std, mean + 12 * std, limit=200)
    return value


@pytest.mark.parametrize("mean", [0.0, 0.7, -2.5])
@pytest.mark.parametrize("logvar", [-3.0, 0.0, 1.2])
def test_gaussian_kl_matches_scipy_integral_1d(mean, logvar):
    """A 1-D KL equals the numerically integrated q * log(q / p)."""
    kl = gaussian_kl(
        torch.tensor([[mean]], dtype=torch.float64),
        torch.tensor([[logvar]], dtype=torch.float64),
    )
    assert kl.shape == (1,)
    expected = _kl_quad(mean, np.exp(0.5 * logvar))
    np.testing.assert_allclose(kl.item(), expected, rtol=1e-7, atol=1e-9)


def test_gaussian_kl_sums_scipy_integrals_over_dimensions():
    """A multi-dimensional KL is the sum of the per-dimension integrals."""
    rng = np.random.default_rng(0)
    mean = rng.normal(size=(3, 4))
    logvar = rng.normal(scale=0.8, size=(3, 4))
    kl = gaussian_kl(torch.from_numpy(mean), torch.from_numpy(logvar)).numpy()
    std = np.exp(0.5 * logvar)
    expected = [
        sum(_kl_quad(m, s) for m, s in zip(row_m, row_s, strict=True))
        for row_m, row_s in zip(mean, std, strict=True)
    ]
    np.testing.assert_allclose(kl, expected, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 6), (7, 1)])
def test_gaussian_kl_matches_closed_form(shape):
    """The KL equals the closed form and reduces only the last axis."""
    rng = np.random.default_rng(1)
    mean = rng.normal(scale=2.0, size=shape)
    logvar = rng.normal(scale=1.5, size=shape)
    kl = gaussian_kl(torch.from_numpy(mean), torch.from_numpy(logvar))
    assert kl.shape == shape[:-1]
    np.testing.assert_allclose(
        kl.numpy(), _kl_closed_form(mean, np.exp(0.5 * logvar)), rtol=1e-12
    )


def test_gaussian_kl_matches_torch_distributions():
    """The KL agrees with torch.distributions' Normal-Normal divergence."""
    gen = torch.Generator().manual_seed(2)
    mean = torch.randn(6, 3, generator=gen, dtype=torch.float64)
    logvar = torch.randn(6, 3, generator=gen, dtype=torch.float64)
    q = torch.distributions.Normal(mean, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(torch.zeros_like(mean), torch.ones_like(mean))
    expected = torch.distributions.kl_divergence(q, p).sum(-1)
    torch.testing.assert_close(gaussian_kl(mean, logvar), expected)


def test_gaussian_kl_zero_at_prior():
    """The KL is exactly zero when the posterior is the standard normal prior."""
    kl = gaussian_kl(torch.zeros(4, 3), torch.zeros(4, 3))
    assert torch.equal(kl, torch.zeros(4))


def test_gaussian_kl_non_negative_and_positive_away_from_prior():
    """The KL is non-negative, and strictly positive away from the prior."""
    gen = torch.Generator().manual_seed(3)
    mean = 3.0 * torch.randn(1000, 4, generator=gen, dtype=torch.float64)
    logvar = 4.0 * torch.randn(1000, 4, generator=gen, dtype=torch.float64)
    kl = gaussian_kl(mean, logvar)
    assert (kl > 0).all()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_gaussian_kl_non_negative_near_prior(dtype):
    """The KL stays non-negative for posteriors within rounding of the prior."""
    logvar = torch.linspace(-1e-6, 1e-6, 20001, dtype=dtype)[:, None]
    kl = gaussian_kl(torch.zeros_like(logvar), logvar)
    assert (kl >= 0).all()


@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 6), (7, 1)])
def test_gaussian_kl_per_dim_sums_to_gaussian_kl(shape):
    """gaussian_kl is the sum over the last axis of gaussian_kl_per_dim."""
    gen = torch.Generator().manual_seed(2)
    mean = torch.randn(shape, generator=gen, dtype=torch.float64)
    logvar = torch.randn(shape, generator=gen, dtype=torch.float64)
    per_dim = gaussian_kl_per_dim(mean, logvar)
    assert per_dim.shape == shape
    torch.testing.assert_close(per_dim.sum(-1), gaussian_kl(mean, logvar))


@pytest.mark.parametrize("mean", [0.0, 0.7, -2.5])
@pytest.mark.parametrize("logvar", [-3.0, 0.0, 1e-9, 1.2])
def test_gaussian_kl_per_dim_matches_scipy(mean, logvar):
    """KL(q || N(0, 1)) = -H(q) - E_q[log N(z; 0, 1)], H from scipy.stats."""
    kl = gaussian_kl_per_dim(
        torch.tensor([[mean, 0.0]], dtype=torch.float64),
        torch.tensor([[logvar, 0.0]], dtype=torch.float64),
    )[0]
    variance = math.exp(logvar)
    expected = (
        -stats.norm(mean, math.sqrt(variance)).entropy()
        + 0.5 * math.log(2 * math.pi)
        + 0.5 * (variance + mean**2)
    )
    assert kl[0].item() == pytest.approx(expected, rel=1e-7, abs=1e-12)
    assert kl[1].item() == 0.0
    assert kl[0].item() >= 0.0


@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0, 4.0])
def test_elbo_arithmetic(beta):
    """The ELBO is log p(x|z) - beta * KL, row by row."""
    log_px_z = torch.tensor([-1.0, -2.5, 3.0])
    kl = torch.tensor([0.5, 2.0, 0.0])
    expected = torch.tensor([-1.0 - beta * 0.5, -2.5 - beta * 2.0, 3.0 - beta * 0.0])
    torch.testing.assert_close(elbo(log_px_z, kl, beta), expected)


def test_elbo_default_beta_is_one():
    """Leaving out beta weights the KL by one."""
    assert inspect.signature(elbo).parameters["beta"].default == 1.0
    log_px_z = torch.tensor([-1.0, -2.5])
    kl = torch.tensor([0.5, 2.0])
    torch.testing.assert_close(elbo(log_px_z, kl), torch.tensor([-1.5, -4.5]))
