"""Tests of skvae.nn.categorical: the softmax likelihood of one-hot blocks."""

import numpy as np
import torch
from scipy import stats

from skvae.nn import GaussianLikelihood, MixedLikelihood, categorical_log_prob


def test_categorical_log_prob_matches_scipy_multinomial():
    """The log-probability of a one-hot row is scipy's one-draw multinomial's."""
    logits = torch.tensor([[0.3, -1.2, 2.0], [1.0, 1.0, -0.5]], dtype=torch.float64)
    x = torch.tensor([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]], dtype=torch.float64)
    probs = torch.softmax(logits, dim=-1).numpy()
    expected = [
        stats.multinomial.logpmf(row, 1, p)
        for row, p in zip(x.numpy(), probs, strict=True)
    ]
    np.testing.assert_allclose(categorical_log_prob(x, logits).numpy(), expected)


def test_mixed_log_prob_is_gaussian_plus_categorical():
    """A mixed row scores the Gaussian density of its numbers plus the log-softmax
    of each block, checked against scipy.stats.norm and multinomial."""
    likelihood = MixedLikelihood(GaussianLikelihood(2), 2, (3, 2)).double()
    x = torch.tensor([[0.5, -1.0, 0.0, 1.0, 0.0, 1.0, 0.0]], dtype=torch.float64)
    loc = torch.tensor([[0.1, 0.2, 0.5, -0.5, 1.0, 0.0, 2.0]], dtype=torch.float64)
    scale = likelihood.numeric.scale.detach().numpy()
    expected = stats.norm.logpdf([0.5, -1.0], [0.1, 0.2], scale).sum()
    for block, logits in (((0, 1, 0), (0.5, -0.5, 1.0)), ((1, 0), (0.0, 2.0))):
        p = torch.softmax(torch.tensor(logits), 0).numpy()
        expected += stats.multinomial.logpmf(block, 1, p)
    np.testing.assert_allclose(likelihood.log_prob(x, loc).item(), expected)


def test_missing_block_is_left_out():
    """A block whose entries are not observed adds nothing to the row's score."""
    likelihood = MixedLikelihood(GaussianLikelihood(1), 1, (2,))
    x = torch.tensor([[0.3, 0.0, 0.0]])
    loc = torch.tensor([[0.0, 5.0, -5.0]])
    observed = torch.tensor([[True, False, False]])
    numeric_only = likelihood.numeric.log_prob(x[:, :1], loc[:, :1])
    torch.testing.assert_close(likelihood.log_prob(x, loc, observed), numeric_only)


def test_mean_is_softmax_and_samples_follow_it():
    """Block means are the softmax; Gumbel-max draws from normal noise have its
    frequencies and are one-hot."""
    likelihood = MixedLikelihood(GaussianLikelihood(1), 1, (3,))
    loc = torch.tensor([[0.0, 1.0, 0.0, -1.0]]).expand(20000, 4)
    mean = likelihood.mean(loc)
    probs = torch.softmax(torch.tensor([1.0, 0.0, -1.0]), 0)
    torch.testing.assert_close(mean[0, 1:], probs)
    noise = torch.randn(20000, 4, generator=torch.Generator().manual_seed(0))
    draws = likelihood.sample(loc, noise)[:, 1:]
    assert torch.all(draws.sum(1) == 1)
    frequencies = draws.mean(0).detach().numpy()
    np.testing.assert_allclose(frequencies, probs.numpy(), atol=0.015)
