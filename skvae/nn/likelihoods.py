"""Observation models p(x | z): Gaussian with learned per-feature scale, and Bernoulli.

A learned variance makes the Gaussian reconstruction term a true log-density in the
data's units (Kingma & Welling 2013, appendix C.2), so scores compare with other
density models such as factor analysis.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

from .missing import observed_sum

__all__ = [
    "BernoulliLikelihood",
    "GaussianLikelihood",
    "bernoulli_log_prob",
    "gaussian_log_prob",
    "make_likelihood",
]

_LOG_2PI = math.log(2.0 * math.pi)


def gaussian_log_prob(x, loc, scale):
    """Elementwise log N(x | loc, scale**2).

    Parameters
    ----------
    x, loc, scale : Tensor
        Values, means and standard deviations (broadcastable).

    Returns
    -------
    Tensor
        Log-densities in nats.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import gaussian_log_prob
    >>> gaussian_log_prob(torch.tensor(0.0), torch.tensor(0.0), torch.tensor(1.0))
    tensor(-0.9189)
    """
    return -0.5 * ((x - loc) / scale).square() - torch.log(scale) - 0.5 * _LOG_2PI


def bernoulli_log_prob(x, logits):
    """Elementwise log Bernoulli(x | sigmoid(logits)), for x in [0, 1].

    Fractional ``x`` gives the cross-entropy ``x log p + (1 - x) log(1 - p)``.

    Parameters
    ----------
    x : Tensor
        Values in [0, 1].
    logits : Tensor
        Log-odds of 1 (broadcastable with ``x``).

    Returns
    -------
    Tensor
        Log-probabilities in nats.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import bernoulli_log_prob
    >>> bernoulli_log_prob(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 0.0]))
    tensor([-0.6931, -0.6931])
    """
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none")


class GaussianLikelihood(nn.Module):
    """Diagonal Gaussian with a decoded mean and a learned per-feature scale.

    The scale does not depend on ``z``; it is ``min_scale + softplus(raw)`` so it can
    never collapse to zero on a constant feature.

    Parameters
    ----------
    n_features : int
        Number of observed features.
    min_scale : float, default=1e-3
        Floor on each feature's standard deviation, in (0, 1): the scale starts
        at 1, which suits standardised data.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import GaussianLikelihood
    >>> likelihood = GaussianLikelihood(3)
    >>> likelihood.log_prob(torch.zeros(2, 3), torch.zeros(2, 3)).shape
    torch.Size([2])
    """

    def __init__(self, n_features, min_scale=1e-3):
        super().__init__()
        if not 0.0 < min_scale < 1.0:
            raise ValueError(f"min_scale must lie in (0, 1), got {min_scale!r}.")
        self.min_scale = min_scale
        self.raw_scale = nn.Parameter(torch.empty(n_features))
        self.reset_parameters()

    def reset_parameters(self):
        """Reset every feature's standard deviation to 1, in place."""
        # softplus(raw) + min_scale == 1 at start: unit variance on standardised data.
        with torch.no_grad():
            self.raw_scale.fill_(math.log(math.expm1(1.0 - self.min_scale)))

    @property
    def scale(self):
        """Tensor of shape (n_features,): standard deviation of each feature."""
        return self.min_scale + F.softplus(self.raw_scale)

    def log_prob(self, x, loc, observed=None):
        """Log-density of each row's observed entries, summed over features.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Rows, finite (missing entries filled with any finite value).
        loc : Tensor of shape (n, n_features)
            Decoded means.
        observed : Tensor of bool, shape (n, n_features), default=None
            Which entries are observed; None: all of them. The others are left
            out of the sum: the density of the observed entries alone.

        Returns
        -------
        Tensor of shape (n,)
            Log-densities in nats.
        """
        return observed_sum(gaussian_log_prob(x, loc, self.scale), observed)

    def mean(self, loc):
        """Mean of x given the decoder output.

        Parameters
        ----------
        loc : Tensor of shape (n, n_features)
            Decoded means.

        Returns
        -------
        Tensor of shape (n, n_features)
            ``loc`` itself.
        """
        return loc

    def sample(self, loc, noise):
        """Draws of x given the decoder output, from standard normal ``noise``.

        Parameters
        ----------
        loc : Tensor of shape (..., n_features)
            Decoded means.
        noise : Tensor of the same shape
            Standard normal draws.

        Returns
        -------
        Tensor of the same shape
            ``loc + scale * noise``.
        """
        return loc + self.scale * noise.to(loc.dtype)


class BernoulliLikelihood(nn.Module):
    """Independent Bernoulli per feature, parameterised by logits.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import BernoulliLikelihood
    >>> BernoulliLikelihood().mean(torch.tensor([0.0]))
    tensor([0.5000])
    """

    def __init__(self):
        super().__init__()

    def log_prob(self, x, logits, observed=None):
        """Log-probability of each row's observed entries, summed over features.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Rows, with values in [0, 1] (missing entries filled with any).
        logits : Tensor of shape (n, n_features)
            Decoded log-odds of 1.
        observed : Tensor of bool, shape (n, n_features), default=None
            Which entries are observed; None: all of them. The others are left
            out of the sum.

        Returns
        -------
        Tensor of shape (n,)
            Log-probabilities in nats.
        """
        return observed_sum(bernoulli_log_prob(x, logits), observed)

    def mean(self, logits):
        """Mean of x given the decoder output.

        Parameters
        ----------
        logits : Tensor of shape (n, n_features)
            Decoded log-odds of 1.

        Returns
        -------
        Tensor of shape (n, n_features)
            Probabilities of 1, ``sigmoid(logits)``.
        """
        return torch.sigmoid(logits)

    def sample(self, logits, noise):
        """Draws of x given the decoder output, from standard normal ``noise``.

        Parameters
        ----------
        logits : Tensor of shape (..., n_features)
            Decoded log-odds of 1.
        noise : Tensor of the same shape
            Standard normal draws: a 1 where ``Phi(noise)`` falls below the
            probability of 1.

        Returns
        -------
        Tensor of the same shape
            0/1 values, in ``logits``' dtype.
        """
        uniform = torch.special.ndtr(noise.to(logits.dtype))
        return (uniform < torch.sigmoid(logits)).to(logits.dtype)


def make_likelihood(name, n_features):
    """Build the likelihood module called ``name``.

    Parameters
    ----------
    name : {"gaussian", "bernoulli"}
        Which observation model.
    n_features : int
        Number of observed features.

    Returns
    -------
    GaussianLikelihood or BernoulliLikelihood
        A new, freshly initialised module.

    Examples
    --------
    >>> from skvae.nn import make_likelihood
    >>> make_likelihood("bernoulli", 4)
    BernoulliLikelihood()
    """
    if name == "gaussian":
        return GaussianLikelihood(n_features)
    if name == "bernoulli":
        return BernoulliLikelihood()
    raise ValueError(
        f"Unknown likelihood {name!r}; expected 'gaussian' or 'bernoulli'."
    )
