"""KL divergence and the evidence lower bound as plain functions.

The ELBO of Kingma & Welling (2013), "Auto-Encoding Variational Bayes", with the KL
weight ``beta`` of Higgins et al. (2017), "beta-VAE".
"""

import torch

__all__ = ["elbo", "gaussian_kl", "gaussian_kl_per_dim"]


def gaussian_kl(mean, logvar):
    """KL(N(mean, exp(logvar)) || N(0, I)) per row, summed over latent dimensions.

    Parameters
    ----------
    mean, logvar : Tensor of shape (..., latent_dim)
        Mean and log-variance of a diagonal Gaussian posterior.

    Returns
    -------
    Tensor of shape (...)
        The divergence in nats.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import gaussian_kl
    >>> gaussian_kl(torch.zeros(1, 2), torch.zeros(1, 2))
    tensor([0.])
    >>> gaussian_kl(torch.tensor([[1.0, 0.0]]), torch.zeros(1, 2))
    tensor([0.5000])
    """
    return gaussian_kl_per_dim(mean, logvar).sum(-1)


def gaussian_kl_per_dim(mean, logvar):
    """KL(N(mean, exp(logvar)) || N(0, 1)) of each latent dimension of each row.

    The terms that :func:`gaussian_kl` sums; free bits (Kingma et al. 2016)
    clamp their batch means.

    Parameters
    ----------
    mean, logvar : Tensor of shape (..., latent_dim)
        Mean and log-variance of a diagonal Gaussian posterior.

    Returns
    -------
    Tensor of shape (..., latent_dim)
        The divergence of each dimension in nats.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import gaussian_kl_per_dim
    >>> gaussian_kl_per_dim(torch.tensor([[1.0, 0.0]]), torch.zeros(1, 2))
    tensor([[0.5000, 0.0000]])
    """
    # expm1 keeps exp(logvar) - 1 - logvar >= 0 near logvar = 0, where it cancels.
    return 0.5 * (mean.square() + torch.expm1(logvar) - logvar)


def elbo(log_px_z, kl, beta=1.0):
    """Evidence lower bound ``log p(x|z) - beta * KL`` per row.

    With ``beta=1`` this is a lower bound on ``log p(x)``; other values give the
    beta-VAE training objective: a looser lower bound for ``beta > 1``, no bound
    for ``beta < 1``.

    Parameters
    ----------
    log_px_z : Tensor of shape (n,)
        Reconstruction log-likelihood of each row.
    kl : Tensor of shape (n,)
        KL divergence of each row's posterior from the prior.
    beta : float, default=1.0
        Weight of the KL term.

    Returns
    -------
    Tensor of shape (n,)
        The bound (or, for ``beta != 1``, the objective) of each row, in nats.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import elbo
    >>> elbo(torch.tensor([-3.0]), torch.tensor([0.5]))
    tensor([-3.5000])
    >>> elbo(torch.tensor([-3.0]), torch.tensor([0.5]), beta=4.0)
    tensor([-5.])
    """
    return log_px_z - beta * kl
