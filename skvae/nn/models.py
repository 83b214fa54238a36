"""Variational (Kingma & Welling 2013) and deterministic autoencoder modules.

Both work on rows of ``n_features`` values in data units and return NamedTuples
whose ``log_px_z`` field is the per-row reconstruction log-likelihood of those
rows under the chosen likelihood. A Gaussian model standardises its input with a
:class:`~skvae.nn.Standardize` layer and adds its log-Jacobian, so the
log-likelihood is a density of the raw rows; a Bernoulli model takes its [0, 1]
input as it is.
"""

from abc import ABC, abstractmethod

import torch
from torch import nn

from .likelihoods import make_likelihood
from .losses import gaussian_kl
from .mlp import MLPDecoder, MLPEncoder
from .outputs import AEOutput, Posterior, VAEOutput
from .standardize import Standardize

__all__ = ["AE", "VAE"]


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


class _Autoencoder(nn.Module, ABC):
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
        self.n_features = n_features
        self.latent_dim = latent_dim
        # Registered first: the layer every row goes through first.
        self.standardize = Standardize(n_features) if likelihood == "gaussian" else None
        if encoder is None:
            encoder = MLPEncoder(n_features, hidden_dims)
        if decoder is None:
            decoder = MLPDecoder(latent_dim, hidden_dims, n_features)
        self.encoder = encoder
        self.decoder = decoder
        self.likelihood = make_likelihood(likelihood, n_features)
        self.encoder_width = _output_width(encoder, n_features)
        self._add_heads(self.encoder_width, latent_dim)

    def train(self, mode=True):
        """Set the training mode of every layer; nothing to do when all have it.

        skorch sets the mode before every batch: torch's walk over the layers
        costs 5% of a small MLP's step, checking the modes a fifth of that.

        Parameters
        ----------
        mode : bool, default=True
            Training mode (True) or evaluation mode (False).

        Returns
        -------
        self : torch.nn.Module
            This module.
        """
        if all(layer.training == mode for layer in self.modules()):
            return self
        return super().train(mode)

    @abstractmethod
    def _add_heads(self, width, latent_dim):
        """Create the layers from encoder features to the latent space."""

    @property
    @abstractmethod
    def _latent_head(self):
        """The linear layer that outputs the code (its dtype is the networks')."""

    def standardized(self, x):
        """Rows as the networks see them: standardised, in the parameters' dtype.

        The standardisation runs in ``x``'s dtype, so float64 rows outside
        float32's range are brought to unit scale before they are cast.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Rows in data units.

        Returns
        -------
        Tensor of shape (n, n_features)
            Rows ready for the encoder and the likelihood.
        """
        if self.standardize is not None:
            x = self.standardize(x)
        return x.to(self.dtype)

    @property
    def dtype(self):
        """torch.dtype: what the networks compute in (that of the latent heads)."""
        return self._latent_head.weight.dtype

    def log_px(self, x_std, loc):
        """``log p(x | z)`` of each row in data units, from standardised rows.

        Parameters
        ----------
        x_std : Tensor of shape (n, n_features)
            Rows from :meth:`standardized`.
        loc : Tensor of shape (n, n_features)
            Decoder output, from :meth:`decode`.

        Returns
        -------
        Tensor of shape (n,)
            Log-likelihoods in nats, with the standardisation's log-Jacobian.
        """
        log_px = self.likelihood.log_prob(x_std, loc)
        if self.standardize is None:
            return log_px
        # A 0-d float64 tensor added to log_px keeps log_px's dtype.
        return log_px + self.standardize.log_abs_det_jacobian()

    def features(self, x):
        """Flattened encoder output of each row (the input of the latent heads).

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Standardised rows (from :meth:`standardized`).

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
            Mean (Gaussian likelihood, standardised units) or logits (Bernoulli
            likelihood) of x.
        """
        return self.decoder(z).reshape(len(z), -1)

    def decode_mean(self, z):
        """Mean of x given each code, in data units.

        Parameters
        ----------
        z : Tensor of shape (n, latent_dim)
            Latent codes.

        Returns
        -------
        Tensor of shape (n, n_features)
            The likelihood's mean, standardisation undone.
        """
        mean = self.likelihood.mean(self.decode(z))
        return mean if self.standardize is None else self.standardize.inverse(mean)

    def reconstruct(self, x):
        """Decoder mean at each row's latent code (the posterior mean for a VAE).

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Input rows, in data units.

        Returns
        -------
        Tensor of shape (n, n_features)
            Expected reconstruction of each row, in data units.
        """
        return self.decode_mean(self.code(x))


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

    @property
    def _latent_head(self):
        return self.mean_head

    def encode(self, x):
        """Compute the Gaussian posterior q(z | x) of each row.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Input rows, in data units.

        Returns
        -------
        Posterior
            Mean and log-variance, each of shape ``(n, latent_dim)``.
        """
        return self._posterior(self.standardized(x))

    def _posterior(self, x_std):
        h = self.features(x_std)
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
        x_std = self.standardized(x)
        mean, logvar = self._posterior(x_std)
        if eps is None:
            eps = torch.randn_like(mean)
        z = mean + torch.exp(0.5 * logvar) * eps
        loc = self.decode(z)
        log_px_z = self.log_px(x_std, loc)
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

    @property
    def _latent_head(self):
        return self.code_head

    def encode(self, x):
        """Compute the latent code of each row.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Input rows, in data units.

        Returns
        -------
        Tensor of shape (n, latent_dim)
            Latent codes.
        """
        return self.code_head(self.features(self.standardized(x)))

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
        x_std = self.standardized(x)
        z = self.code_head(self.features(x_std))
        loc = self.decode(z)
        return AEOutput(self.log_px(x_std, loc), z, loc)
