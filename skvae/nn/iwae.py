"""The importance-weighted bound on log p(x) of Burda, Grosse & Salakhutdinov (2015).

With ``k`` draws ``z_j ~ q(z | x)``, ``log (1/k) sum_j p(x, z_j) / q(z_j | x)`` is a
lower bound on ``log p(x)`` that tightens as ``k`` grows; ``k = 1`` is a one-draw
ELBO. The ``- log k`` term matters: without it the bound exceeds ``log p(x)``.
"""

import math

import torch

__all__ = ["importance_log_weights", "importance_weighted_bound"]

_LOG_2PI = math.log(2 * math.pi)


def importance_log_weights(module, x, eps, posterior=None):
    """``log p(x, z_j) - log q(z_j | x)`` for draws ``z_j = mean + std * eps_j``.

    Parameters
    ----------
    module : skvae.nn.VAE
        The VAE (its ``encode``, ``decode`` and ``likelihood``).
    x : Tensor of shape (n, n_features)
        Input rows.
    eps : Tensor of shape (n, k, latent_dim)
        Standard normal noise, ``k`` draws per row.
    posterior : Posterior, default=None
        ``module.encode(x)`` when already computed, so that draws made in
        several calls encode the rows once.

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
    n, k, latent_dim = eps.shape
    mean, logvar = module.encode(x) if posterior is None else posterior
    z = mean[:, None, :] + torch.exp(0.5 * logvar)[:, None, :] * eps
    loc = module.decode(z.reshape(n * k, latent_dim))
    rows = x[:, None, :].expand(n, k, x.shape[1]).reshape(n * k, -1)
    log_px_z = module.likelihood.log_prob(rows, loc).reshape(n, k)
    log_pz = -0.5 * (z.square() + _LOG_2PI).sum(-1)
    # (z - mean) / std is eps itself, so log q needs no division.
    log_qz = -0.5 * (eps.square() + logvar[:, None, :] + _LOG_2PI).sum(-1)
    return log_px_z + log_pz - log_qz


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
    return torch.logsumexp(log_weights, dim=1) - math.log(log_weights.shape[1])
