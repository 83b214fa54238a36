"""Variational (Kingma & Welling 2013) and deterministic autoencoder modules.

Both work on rows of ``n_features`` values and return NamedTuples whose ``log_px_z``
field is the per-row reconstruction log-likelihood under the chosen likelihood.
"""

from typing import NamedTuple

import torch
from torch import nn

from .likelihoods import make_likelihood
from .losses import gaussian_kl
from .mlp import MLPDecoder, MLPEncoder

__all__ = ["AE", "AEOutput", "Posterior", "VAE", "VAEOutput"]


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


def _output_width(encoder, n_features):
    """``encoder.out_features``, or the flattened width of its output on zeros."""
    width = getattr(encoder, "out_features", None)
    if isinstance(width, int):
        return width
    parameter = next(encoder.parameters(), None)
    device = "cpu" if parameter is None else parameter.device
    training = [m.training for m in encoder.modules()]
    encoder.eval()
    try:
        with torch.no_grad():
            out = encoder(torch.zeros(2, n_features, device=device))
    finally:
        for module, mode in zip(encoder.modules(), training, strict=True):
            module.training = mode
    return out.flatten(1).shape[1]


class _Autoencoder(nn.Module):
    """What both autoencoders share: an encoder trunk, a decoder and a likelihood."""

    def __init__(
        self,
        n_features,
        latent_dim,
        hidden_dims=(),
        likelihood="gaussian",
        *,
        encoder=None,
        decoder=None,
    ):
        super().__init__()
        self.latent_dim = latent_dim
        if encoder is None:
            encoder = MLPEncoder(n_features, hidden_dims)
        if decoder is None:
            decoder = MLPDecoder(latent_dim, hidden_dims, n_features)
        self.encoder = encoder
        self.decoder = decoder
        self.likelihood = make_likelihood(likelihood, n_features)
        self.encoder_width = _output_width(encoder, n_features)
        self._add_heads(self.encoder_width, latent_dim)

    def _add_heads(self, width, latent_dim):
        """Create the layers from encoder features to the latent space."""
        raise NotImplementedError

    def features(self, x):
        """Flattened encoder output of each row (the input of the latent heads).

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Input rows.

        Returns
        -------
        Tensor of shape (n, encoder_width)
            Encoder features.
        """
        return self.encoder(x).flatten(1)

    def decode(self, z):
        """Decoder output: the likelihood's location (mean or logits).

        Parameters
        ----------
        z : Tensor of shape (n, latent_dim)
            Latent codes.

        Returns
        -------
        Tensor of shape (n, n_features)
            Mean (Gaussian likelihood) or logits (Bernoulli likelihood) of x.
        """
        return self.decoder(z).reshape(len(z), -1)

    def reconstruct(self, x):
        """Decoder mean at each row's latent code (the posterior mean for a VAE).

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Input rows.

        Returns
        -------
        Tensor of shape (n, n_features)
            Expected reconstruction of each row.
        """
        return self.likelihood.mean(self.decode(self.code(x)))


class VAE(_Autoencoder):
    """Gaussian-posterior VAE; an MLP encoder and decoder unless others are given.

    Parameters
    ----------
    n_features : int
        Width of each input row.
    latent_dim : int
        Number of latent dimensions; the prior is N(0, I).
    hidden_dims : tuple of int, default=()
        Encoder layer widths of the default MLP; the decoder mirrors them. Empty
        gives a linear VAE.
    likelihood : {"gaussian", "bernoulli"}, default="gaussian"
        Observation model p(x | z).
    encoder : torch.nn.Module, default=None
        Replaces the MLP encoder: maps rows ``(n, n_features)`` to features of
        any shape ``(n, ...)``, which are flattened and fed to linear heads for
        the posterior mean and log-variance (e.g. :class:`ConvEncoder`).
    decoder : torch.nn.Module, default=None
        Replaces the MLP decoder: maps codes ``(n, latent_dim)`` to ``n *
        n_features`` values (any shape; they are reshaped to rows), the
        likelihood's mean or logits (e.g. :class:`ConvDecoder`).

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import VAE
    >>> vae = VAE(n_features=10, latent_dim=2, hidden_dims=(32,))
    >>> out = vae(torch.zeros(4, 10), eps=torch.zeros(4, 2))
    >>> out.z.shape, out.log_px_z.shape, bool(torch.equal(out.z, out.mean))
    (torch.Size([4, 2]), torch.Size([4]), True)
    """

    def _add_heads(self, width, latent_dim):
        self.mean_head = nn.Linear(width, latent_dim)
        self.logvar_head = nn.Linear(width, latent_dim)

    def encode(self, x):
        """Compute the Gaussian posterior q(z | x) of each row.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Input rows.

        Returns
        -------
        Posterior
            Mean and log-variance, each of shape ``(n, latent_dim)``.
        """
        h = self.features(x)
        return Posterior(self.mean_head(h), self.logvar_head(h))

    def code(self, x):
        """Posterior mean of each row: the VAE's deterministic latent code.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Input rows.

        Returns
        -------
        Tensor of shape (n, latent_dim)
            Posterior means.
        """
        return self.encode(x).mean

    def forward(self, x, eps=None):
        """Encode, draw ``z = mean + std * eps`` and score the reconstruction.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Input rows.
        eps : Tensor of shape (n, latent_dim), default=None
            Standard normal noise for the reparameterisation; when None it is
            drawn from torch's global generator.

        Returns
        -------
        VAEOutput
            Reconstruction log-likelihood, KL, sample, posterior and decoder
            output of each row.
        """
        mean, logvar = self.encode(x)
        if eps is None:
            eps = torch.randn_like(mean)
        z = mean + torch.exp(0.5 * logvar) * eps
        loc = self.decode(z)
        log_px_z = self.likelihood.log_prob(x, loc)
        return VAEOutput(log_px_z, gaussian_kl(mean, logvar), z, mean, logvar, loc)


class AE(_Autoencoder):
    """Deterministic autoencoder; an MLP encoder and decoder unless others are given.

    The likelihood turns the reconstruction error into a log-likelihood (squared
    error with a learned scale, or cross-entropy).

    Parameters
    ----------
    n_features : int
        Width of each input row.
    latent_dim : int
        Width of the code.
    hidden_dims : tuple of int, default=()
        Encoder layer widths of the default MLP; the decoder mirrors them. Empty
        gives a linear autoencoder.
    likelihood : {"gaussian", "bernoulli"}, default="gaussian"
        Observation model p(x | z).
    encoder : torch.nn.Module, default=None
        Replaces the MLP encoder: maps rows ``(n, n_features)`` to features of
        any shape ``(n, ...)``, flattened and fed to a linear code head.
    decoder : torch.nn.Module, default=None
        Replaces the MLP decoder: maps codes ``(n, latent_dim)`` to ``n *
        n_features`` values (reshaped to rows), the likelihood's mean or logits.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import AE
    >>> out = AE(n_features=10, latent_dim=2, hidden_dims=(32,))(torch.zeros(4, 10))
    >>> out.z.shape, out.loc.shape
    (torch.Size([4, 2]), torch.Size([4, 10]))
    """

    def _add_heads(self, width, latent_dim):
        self.code_head = nn.Linear(width, latent_dim)

    def encode(self, x):
        """Compute the latent code of each row.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Input rows.

        Returns
        -------
        Tensor of shape (n, latent_dim)
            Latent codes.
        """
        return self.code_head(self.features(x))

    def code(self, x):
        """Latent code of each row (the same as :meth:`encode`).

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Input rows.

        Returns
        -------
        Tensor of shape (n, latent_dim)
            Latent codes.
        """
        return self.encode(x)

    def forward(self, x):
        """Encode, decode and score the reconstruction of each row.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Input rows.

        Returns
        -------
        AEOutput
            Reconstruction log-likelihood, code and decoder output of each row.
        """
        z = self.encode(x)
        loc = self.decode(z)
        return AEOutput(self.likelihood.log_prob(x, loc), z, loc)
