"""Rows of numbers and categories: a softmax per categorical column (as TVAE's
heads, Xu et al. 2019), the numbers under their own likelihood.

A categorical column enters the model one-hot, as a block of 0/1 values; its
log-probability in nats is the log-softmax of the decoded logits at the
observed category, so a row's log-likelihood is the density of its numbers
times the probability of its categories. A missing category is a block of NaN,
left out of the sum like any missing entry.
"""

import torch
from torch import nn

from .missing import observed_sum

__all__ = ["MixedLikelihood", "categorical_log_prob"]


def categorical_log_prob(x, logits):
    """Log-probability of one-hot ``x`` under ``softmax(logits)``, per row.

    Parameters
    ----------
    x : Tensor of shape (..., n_categories)
        One-hot rows (a probability vector gives the cross-entropy).
    logits : Tensor of the same shape
        Unnormalised log-probabilities of the categories.

    Returns
    -------
    Tensor of shape (...)
        Log-probabilities in nats.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import categorical_log_prob
    >>> categorical_log_prob(torch.tensor([0.0, 1.0]), torch.zeros(2))
    tensor(-0.6931)
    """
    return (x * torch.log_softmax(logits, dim=-1)).sum(-1)


class MixedLikelihood(nn.Module):
    """The first ``n_numeric`` features under ``numeric``, then one-hot blocks.

    Parameters
    ----------
    numeric : torch.nn.Module
        Likelihood of the numeric features (e.g. :class:`GaussianLikelihood`),
        with ``log_prob``, ``mean`` and ``sample``.
    n_numeric : int
        Number of numeric features, which come first in each row.
    category_sizes : tuple of int
        Number of categories of each categorical column, in order: the widths
        of the one-hot blocks after the numeric features.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import GaussianLikelihood, MixedLikelihood
    >>> likelihood = MixedLikelihood(GaussianLikelihood(1), 1, (3,))
    >>> likelihood.mean(torch.zeros(1, 4))
    tensor([[0.0000, 0.3333, 0.3333, 0.3333]])
    """

    def __init__(self, numeric, n_numeric, category_sizes):
        super().__init__()
        if not category_sizes or min(category_sizes) < 1:
            raise ValueError(
                f"category_sizes must be positive counts, got {category_sizes!r}."
            )
        self.numeric = numeric
        self.n_numeric = n_numeric
        self.category_sizes = tuple(int(size) for size in category_sizes)

    def _blocks(self, values):
        """``values``' numeric part and its categorical blocks."""
        parts = torch.split(values, (self.n_numeric, *self.category_sizes), dim=-1)
        return parts[0], parts[1:]

    def _block_starts(self):
        starts, start = [], self.n_numeric
        for size in self.category_sizes:
            starts.append(start)
            start += size
        return starts

    def log_prob(self, x, loc, observed=None):
        """Log-likelihood of each row's observed entries, summed over features.

        Parameters
        ----------
        x : Tensor of shape (..., n_features)
            Rows: numbers, then one-hot blocks (missing entries filled with any
            finite value).
        loc : Tensor of the same shape
            Decoder output: the numeric likelihood's location, then logits.
        observed : Tensor of bool, broadcastable with ``x``, default=None
            Which entries are observed; a block counts when its first entry
            is. None: all of them.

        Returns
        -------
        Tensor of shape (...)
            Log-likelihoods in nats.
        """
        x_num, x_cat = self._blocks(x)
        loc_num, loc_cat = self._blocks(loc)
        numeric_observed = None if observed is None else observed[..., : self.n_numeric]
        total = self.numeric.log_prob(x_num, loc_num, numeric_observed)
        terms = torch.stack(
            [categorical_log_prob(*pair) for pair in zip(x_cat, loc_cat, strict=True)],
            dim=-1,
        )
        block_observed = None
        if observed is not None:
            block_observed = observed[..., self._block_starts()]
        return total + observed_sum(terms, block_observed)

    def mean(self, loc):
        """Mean of x given the decoder output: numeric means, then probabilities.

        Parameters
        ----------
        loc : Tensor of shape (..., n_features)
            Decoder output.

        Returns
        -------
        Tensor of the same shape
            The numeric likelihood's mean, then each block's softmax.
        """
        loc_num, loc_cat = self._blocks(loc)
        blocks = [torch.softmax(logits, dim=-1) for logits in loc_cat]
        return torch.cat([self.numeric.mean(loc_num), *blocks], dim=-1)

    def sample(self, loc, noise):
        """Draws of x given the decoder output, from standard normal ``noise``.

        Each block's category is drawn by the Gumbel-max trick, its Gumbel
        noise ``-log(-log Phi(noise))`` made from the normal draws.

        Parameters
        ----------
        loc : Tensor of shape (..., n_features)
            Decoder output.
        noise : Tensor of the same shape
            Standard normal draws.

        Returns
        -------
        Tensor of the same shape
            Numeric draws, then one-hot blocks, in ``loc``'s dtype.
        """
        loc_num, loc_cat = self._blocks(loc)
        noise_num, noise_cat = self._blocks(noise.to(loc.dtype))
        tiny = torch.finfo(loc.dtype).tiny
        blocks = []
        for logits, normal in zip(loc_cat, noise_cat, strict=True):
            uniform = torch.special.ndtr(normal).clamp(tiny, 1.0 - 1e-7)
            gumbel = -torch.log(-torch.log(uniform))
            choice = (logits + gumbel).argmax(dim=-1, keepdim=True)
            blocks.append(torch.zeros_like(logits).scatter_(-1, choice, 1.0))
        return torch.cat([self.numeric.sample(loc_num, noise_num), *blocks], dim=-1)
