"""What the autoencoder modules return: NamedTuples with named fields."""

from typing import NamedTuple

import torch

__all__ = ["AEOutput", "Posterior", "VAEOutput"]


class Posterior(NamedTuple):
    """Diagonal Gaussian posterior q(z | x) returned by :meth:`VAE.encode`.

    Parameters
    ----------
    mean : Tensor of shape (n, latent_dim)
        Posterior mean of each row.
    logvar : Tensor of shape (n, latent_dim)
        Posterior log-variance of each row.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import VAE
    >>> posterior = VAE(n_features=10, latent_dim=2).encode(torch.zeros(4, 10))
    >>> posterior.mean.shape, posterior.logvar.shape
    (torch.Size([4, 2]), torch.Size([4, 2]))
    """

    mean: torch.Tensor
    logvar: torch.Tensor


class VAEOutput(NamedTuple):
    """Per-row terms of one stochastic pass through a :class:`VAE`.

    Parameters
    ----------
    log_px_z : Tensor of shape (n,)
        Reconstruction log-likelihood ``log p(x | z)`` of each row, in nats.
    kl : Tensor of shape (n,)
        KL divergence of each row's posterior from the prior, in nats.
    z : Tensor of shape (n, latent_dim)
        Latent sample drawn from the posterior.
    mean : Tensor of shape (n, latent_dim)
        Posterior mean.
    logvar : Tensor of shape (n, latent_dim)
        Posterior log-variance.
    loc : Tensor of shape (n, n_features)
        Decoder output for ``z``: the likelihood's mean or logits.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import VAE
    >>> out = VAE(n_features=10, latent_dim=2)(torch.zeros(4, 10))
    >>> out.kl.shape, out.z.shape, out.loc.shape
    (torch.Size([4]), torch.Size([4, 2]), torch.Size([4, 10]))
    """

    log_px_z: torch.Tensor
    kl: torch.Tensor
    z: torch.Tensor
    mean: torch.Tensor
    logvar: torch.Tensor
    loc: torch.Tensor


class AEOutput(NamedTuple):
    """Per-row terms of one pass through an :class:`AE`.

    Parameters
    ----------
    log_px_z : Tensor of shape (n,)
        Reconstruction log-likelihood ``log p(x | z)`` of each row, in nats.
    z : Tensor of shape (n, latent_dim)
        Latent code of each row.
    loc : Tensor of shape (n, n_features)
        Decoder output for ``z``: the likelihood's mean or logits.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import AE
    >>> out = AE(n_features=10, latent_dim=2)(torch.zeros(4, 10))
    >>> out.log_px_z.shape, out.z.shape
    (torch.Size([4]), torch.Size([4, 2]))
    """

    log_px_z: torch.Tensor
    z: torch.Tensor
    loc: torch.Tensor
