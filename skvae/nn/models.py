"""Variational (Kingma & Welling 2013) and deterministic autoencoder modules.

Both work on rows of ``n_features`` values in data units and return NamedTuples
whose ``log_px_z`` field is the per-row reconstruction log-likelihood of those
rows under the chosen likelihood. A Gaussian model standardises its input with a
:class:`~skvae.nn.Standardize` layer and adds its log-Jacobian, so the
log-likelihood is a density of the raw rows; a Bernoulli model takes its [0, 1]
input as it is. Given a mask of the observed entries, rows may have holes: the
encoder sees them as zeros and ``log_px_z`` leaves them out (MIWAE, Mattei &
Frellsen 2019).
"""

import torch
from torch import nn

from .base import _Autoencoder
from .iwae import importance_draws
from .losses import gaussian_kl
from .outputs import AEOutput, Posterior, VAEOutput

__all__ = ["AE", "VAE"]


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
    category_sizes : tuple of int, default=()
        Widths of the one-hot blocks of categorical columns, which end each
        row; each is modelled by a softmax (:class:`MixedLikelihood`), the
        features before them by ``likelihood``.

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

    def encode(self, x, observed=None):
        """Compute the Gaussian posterior q(z | x) of each row.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Input rows, in data units.
        observed : Tensor of bool, shape (n, n_features), default=None
            Which entries are observed: q(z | x_obs). None: all of them.

        Returns
        -------
        Posterior
            Mean and log-variance, each of shape ``(n, latent_dim)``.
        """
        return self._posterior(self.standardized(x, observed))

    def _posterior(self, x_std):
        h = self.features(x_std)
        return Posterior(self.mean_head(h), self.logvar_head(h))

    def code(self, x, observed=None):
        """Posterior mean of each row: the VAE's deterministic latent code.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Input rows.
        observed : Tensor of bool, shape (n, n_features), default=None
            Which entries are observed; None: all of them.

        Returns
        -------
        Tensor of shape (n, latent_dim)
            Posterior means.
        """
        return self.encode(x, observed).mean

    def forward(self, x, eps=None, observed=None):
        """Encode, draw ``z = mean + std * eps`` and score the reconstruction.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Input rows.
        eps : Tensor of shape (n, latent_dim) or (n, k, latent_dim), default=None
            Standard normal noise for the reparameterisation; when None one
            draw per row from torch's global generator. With ``k`` draws per
            row, the output's per-row fields gain a draw axis (``log_px_z`` and
            ``kl`` are ``(n, k)``, ``kl`` the one-draw estimate ``log q(z | x) -
            log p(z)``): the terms of the importance-weighted bound.
        observed : Tensor of bool, shape (n, n_features), default=None
            Which entries are observed; None: all of them. ``log_px_z`` is then
            ``log p(x_obs | z)`` (MIWAE, Mattei & Frellsen 2019).

        Returns
        -------
        VAEOutput
            Reconstruction log-likelihood, KL, sample, posterior and decoder
            output of each row.
        """
        x_std = self.standardized(x, observed)
        mean, logvar = posterior = self._posterior(x_std)
        if eps is None:
            eps = torch.randn_like(mean)
        if eps.ndim == 3:
            draws = importance_draws(self, x_std, eps, posterior, observed)
            kl = -draws.log_pz_qz
            return VAEOutput(draws.log_px_z, kl, draws.z, mean, logvar, draws.loc)
        z = mean + torch.exp(0.5 * logvar) * eps
        loc = self.decode(z)
        log_px_z = self.log_px(x_std, loc, observed)
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
    category_sizes : tuple of int, default=()
        Widths of the one-hot blocks of categorical columns, which end each
        row (see :class:`VAE`).

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

    def encode(self, x, observed=None):
        """Compute the latent code of each row.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Input rows, in data units.
        observed : Tensor of bool, shape (n, n_features), default=None
            Which entries are observed; None: all of them.

        Returns
        -------
        Tensor of shape (n, latent_dim)
            Latent codes.
        """
        return self.code_head(self.features(self.standardized(x, observed)))

    def code(self, x, observed=None):
        """Latent code of each row (the same as :meth:`encode`).

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Input rows.
        observed : Tensor of bool, shape (n, n_features), default=None
            Which entries are observed; None: all of them.

        Returns
        -------
        Tensor of shape (n, latent_dim)
            Latent codes.
        """
        return self.encode(x, observed)

    def forward(self, x, observed=None):
        """Encode, decode and score the reconstruction of each row.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Input rows.
        observed : Tensor of bool, shape (n, n_features), default=None
            Which entries are observed; None: all of them. ``log_px_z`` is then
            that of the observed entries.

        Returns
        -------
        AEOutput
            Reconstruction log-likelihood, code and decoder output of each row.
        """
        x_std = self.standardized(x, observed)
        z = self.code_head(self.features(x_std))
        loc = self.decode(z)
        return AEOutput(self.log_px(x_std, loc, observed), z, loc)
