"""What the autoencoder modules share: standardised input, encoder trunk, decoder
and likelihood, and the reconstruction log-likelihood of the observed entries.
"""

from abc import ABC, abstractmethod

import torch
from torch import nn

from .categorical import MixedLikelihood
from .likelihoods import make_likelihood
from .mlp import MLPDecoder, MLPEncoder
from .standardize import Standardize


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
        category_sizes=(),
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
        # Categorical columns come last, one-hot: a softmax block each.
        self.category_sizes = tuple(category_sizes)
        n_numeric = n_features - sum(self.category_sizes)
        self.likelihood = make_likelihood(likelihood, n_numeric)
        if self.category_sizes:
            self.likelihood = MixedLikelihood(
                self.likelihood, n_numeric, self.category_sizes
            )
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

    def standardized(self, x, observed=None):
        """Rows as the networks see them: standardised, in the parameters' dtype.

        The standardisation runs in ``x``'s dtype, so float64 rows outside
        float32's range are brought to unit scale before they are cast. Missing
        entries become 0: the training mean of a standardised feature, and the
        zero-imputation of MIWAE (Mattei & Frellsen 2019) for a Bernoulli one.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Rows in data units; NaN (or anything) where not ``observed``.
        observed : Tensor of bool, shape (n, n_features), default=None
            Which entries are observed (see :func:`observed_entries`); None:
            all of them.

        Returns
        -------
        Tensor of shape (n, n_features)
            Rows ready for the encoder and the likelihood.
        """
        if self.standardize is not None:
            x = self.standardize(x)
        if observed is not None:
            x = x.where(observed, 0.0)
        return x.to(self.dtype)

    @property
    def dtype(self):
        """torch.dtype: what the networks compute in (that of the latent heads)."""
        return self._latent_head.weight.dtype

    def log_px(self, x_std, loc, observed=None):
        """``log p(x | z)`` of each row in data units, from standardised rows.

        Parameters
        ----------
        x_std : Tensor of shape (n, n_features)
            Rows from :meth:`standardized`.
        loc : Tensor of shape (n, n_features)
            Decoder output, from :meth:`decode`.
        observed : Tensor of bool, shape (n, n_features), default=None
            Which entries are observed; None: all of them. The likelihood is
            then that of each row's observed entries, ``log p(x_obs | z)``.

        Returns
        -------
        Tensor of shape (n,)
            Log-likelihoods in nats, with the standardisation's log-Jacobian.
        """
        log_px = self.likelihood.log_prob(x_std, loc, observed)
        if self.standardize is None:
            return log_px
        jacobian = self.standardize.log_abs_det_jacobian(observed)
        if observed is None:
            # A 0-d float64 tensor added to log_px keeps log_px's dtype.
            return log_px + jacobian
        return log_px + jacobian.to(log_px.dtype)  # each row's, over its entries

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
        return self.unstandardized(self.likelihood.mean(self.decode(z)))

    def unstandardized(self, x_std):
        """Rows in data units from rows as the likelihood models them.

        Parameters
        ----------
        x_std : Tensor of shape (n, n_features)
            Standardised rows (a Bernoulli model's rows as they are).

        Returns
        -------
        Tensor of shape (n, n_features)
            The standardisation undone.
        """
        if self.standardize is None:
            return x_std
        return self.standardize.inverse(x_std)

    def reconstruct(self, x, observed=None):
        """Decoder mean at each row's latent code (the posterior mean for a VAE).

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Input rows, in data units.
        observed : Tensor of bool, shape (n, n_features), default=None
            Which entries are observed; None: all of them.

        Returns
        -------
        Tensor of shape (n, n_features)
            Expected reconstruction of each row, in data units.
        """
        return self.decode_mean(self.code(x, observed))
