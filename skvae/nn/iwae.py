"""The importance-weighted bound on log p(x) of Burda, Grosse & Salakhutdinov (2015).

With ``k`` draws ``z_j ~ q(z | x)``, ``log (1/k) sum_j p(x, z_j) / q(z_j | x)`` is a
lower bound on ``log p(x)`` that tightens as ``k`` grows; ``k = 1`` is a one-draw
ELBO. The ``- log k`` term matters: without it the bound exceeds ``log p(x)``.
"""

import math
from typing import NamedTuple

import torch

__all__ = [
    "ImportanceDraws",
    "importance_draws",
    "importance_log_weights",
    "importance_weighted_bound",
    "streamed_importance_weighted_bound",
]

_LOG_2PI = math.log(2 * math.pi)


def importance_log_weights(module, x, eps, posterior=None, observed=None):
    """``log p(x, z_j) - log q(z_j | x)`` for draws ``z_j = mean + std * eps_j``.

    Parameters
    ----------
    module : skvae.nn.VAE
        The VAE (its ``encode``, ``decode`` and ``likelihood``).
    x : Tensor of shape (n, n_features)
        Input rows, in data units.
    eps : Tensor of shape (n, k, latent_dim)
        Standard normal noise, ``k`` draws per row.
    posterior : Posterior, default=None
        ``module.encode(x, observed)`` when already computed, so that draws made
        in several calls encode the rows once.
    observed : Tensor of bool, shape (n, n_features), default=None
        Which entries are observed; None: all of them. The weights are then
        those of ``p(x_obs, z_j)``: the MIWAE bound (Mattei & Frellsen 2019).

    Returns
    -------
    Tensor of shape (n, k)
        The log importance weight of each draw, in nats.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import VAE, importance_log_weights
    >>> vae = VAE(n_features=5, latent_dim=2)
    >>> importance_log_weights(vae, torch.zeros(3, 5), torch.zeros(3, 4, 2)).shape
    torch.Size([3, 4])
    """
    x_std = module.standardized(x, observed)
    if posterior is None:
        posterior = module._posterior(x_std)
    return importance_draws(module, x_std, eps, posterior, observed).log_weights


class ImportanceDraws(NamedTuple):
    """The terms of ``k`` posterior draws per row, from :func:`importance_draws`.

    Parameters
    ----------
    log_px_z : Tensor of shape (n, k)
        ``log p(x_obs | z_j)`` of each draw, in nats.
    log_pz_qz : Tensor of shape (n, k)
        ``log p(z_j) - log q(z_j | x)`` of each draw.
    z : Tensor of shape (n, k, latent_dim)
        The draws.
    loc : Tensor of shape (n * k, n_features)
        The decoder's output at each draw, the draws of a row together.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import VAE, importance_draws
    >>> vae = VAE(n_features=5, latent_dim=2)
    >>> x_std = vae.standardized(torch.zeros(3, 5))
    >>> draws = importance_draws(vae, x_std, torch.zeros(3, 4, 2), vae.encode(x_std))
    >>> draws.log_weights.shape, draws.loc.shape
    (torch.Size([3, 4]), torch.Size([12, 5]))
    """

    log_px_z: torch.Tensor
    log_pz_qz: torch.Tensor
    z: torch.Tensor
    loc: torch.Tensor

    @property
    def log_weights(self):
        """``log p(x_obs, z_j) - log q(z_j | x)``: the log importance weights."""
        return self.log_px_z + self.log_pz_qz


def importance_draws(module, x_std, eps, posterior, observed=None):
    """The terms of the draws ``z_j = mean + std * eps_j`` of rows ``x_std``.

    Parameters
    ----------
    module : skvae.nn.VAE
        The VAE.
    x_std : Tensor of shape (n, n_features)
        Rows from ``module.standardized(x, observed)``.
    eps : Tensor of shape (n, k, latent_dim)
        Standard normal noise.
    posterior : Posterior
        ``module._posterior(x_std)``.
    observed : Tensor of bool, shape (n, n_features), default=None
        Which entries are observed; None: all of them.

    Returns
    -------
    ImportanceDraws
        Each draw's reconstruction log-likelihood, prior-to-posterior log ratio,
        code and decoder output.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import VAE, importance_draws
    >>> vae = VAE(n_features=5, latent_dim=2)
    >>> x_std = vae.standardized(torch.zeros(3, 5))
    >>> posterior = vae.encode(x_std)
    >>> importance_draws(vae, x_std, torch.zeros(3, 4, 2), posterior).z.shape
    torch.Size([3, 4, 2])
    """
    n, k, latent_dim = eps.shape
    mean, logvar = posterior
    z = mean[:, None, :] + torch.exp(0.5 * logvar)[:, None, :] * eps
    loc = module.decode(z.reshape(n * k, latent_dim))
    rows = _each_draw(x_std, k)
    mask = None if observed is None else _each_draw(observed, k)
    log_px_z = module.log_px(rows, loc, mask).reshape(n, k)
    log_pz = -0.5 * (z.square() + _LOG_2PI).sum(-1)
    # (z - mean) / std is eps itself, so log q needs no division.
    log_qz = -0.5 * (eps.square() + logvar[:, None, :] + _LOG_2PI).sum(-1)
    return ImportanceDraws(log_px_z, log_pz - log_qz, z, loc)


def _each_draw(rows, k):
    """``rows`` repeated ``k`` times each, as ``(n * k, width)``."""
    n, width = rows.shape
    return rows[:, None, :].expand(n, k, width).reshape(n * k, width)


def importance_weighted_bound(log_weights):
    """Log-mean-exp of each row's log importance weights: the bound on log p(x).

    Parameters
    ----------
    log_weights : Tensor of shape (n, k)
        Log importance weights, e.g. from :func:`importance_log_weights`.

    Returns
    -------
    Tensor of shape (n,)
        ``logsumexp(log_weights) - log k`` of each row, in nats.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import importance_weighted_bound
    >>> importance_weighted_bound(torch.log(torch.tensor([[1.0, 3.0]])))
    tensor([0.6931])
    """
    return _log_mean_exp([log_weights], log_weights.shape[1])


def streamed_importance_weighted_bound(
    module, x, noise, n_draws, draws_per_pass, observed=None
):
    """The importance-weighted bound over ``n_draws`` draws made in passes.

    Each pass decodes ``draws_per_pass`` draws of every row; rows are encoded
    once. Memory grows with ``draws_per_pass``, not with ``n_draws``.

    Parameters
    ----------
    module : skvae.nn.VAE
        The VAE.
    x : Tensor of shape (n, n_features)
        Input rows, in data units.
    noise : callable
        ``noise(first_draw, n)`` returns draws ``first_draw`` to ``first_draw +
        n - 1`` of each row's standard normal noise, of shape ``(n_rows, n,
        latent_dim)``.
    n_draws : int
        Draws ``k`` per row.
    draws_per_pass : int
        Draws per row decoded in one pass.
    observed : Tensor of bool, shape (n, n_features), default=None
        Which entries are observed; None: all of them.

    Returns
    -------
    Tensor of shape (n,)
        The bound of each row, in nats.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import (
    ...     VAE,
    ...     importance_log_weights,
    ...     importance_weighted_bound,
    ...     streamed_importance_weighted_bound,
    ... )
    >>> vae, x = VAE(n_features=5, latent_dim=2), torch.zeros(3, 5)
    >>> eps = torch.randn(3, 8, 2, generator=torch.Generator().manual_seed(0))
    >>> def noise(first, n):
    ...     return eps[:, first : first + n]
    >>> streamed = streamed_importance_weighted_bound(vae, x, noise, 8, 3)
    >>> at_once = importance_weighted_bound(importance_log_weights(vae, x, eps))
    >>> bool(torch.allclose(streamed, at_once))
    True
    """
    # Standardised and encoded once, whatever the number of passes.
    x_std = module.standardized(x, observed)
    posterior = module._posterior(x_std)
    passes = (
        importance_draws(
            module,
            x_std,
            noise(first, min(draws_per_pass, n_draws - first)),
            posterior,
            observed,
        ).log_weights
        for first in range(0, n_draws, draws_per_pass)
    )
    return _log_mean_exp(passes, n_draws)


def _log_mean_exp(chunks, k):
    """``log(mean(exp(w)))`` per row over the ``k`` columns of all ``chunks``."""
    total = None
    for chunk in chunks:
        part = torch.logsumexp(chunk, dim=1)
        total = part if total is None else torch.logaddexp(total, part)
    return total - math.log(k)
