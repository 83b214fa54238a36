"""Deterministic autoencoder estimator."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._base import _BaseAutoencoder
from ._net import AutoencoderNet, NegativeLogLikelihood
from .nn import AE

# Added to the latent covariance so sampling works even from a single training row.
_COVARIANCE_RIDGE = 1e-6


class AETransformer(_BaseAutoencoder):
    """Deterministic autoencoder as a scikit-learn transformer.

    Encodes rows into a ``latent_dim``-dimensional code and decodes codes back.
    New rows are drawn by decoding codes from a Gaussian fitted to the training
    codes. Training runs through skorch.

    Parameters
    ----------
    latent_dim : int, default=2
        Size of the code.
    hidden_dims : tuple of int, default=(64, 32)
        Widths of the encoder's hidden layers; the decoder mirrors them. ``()``
        gives a linear autoencoder (the PCA subspace, up to rotation).
    likelihood : {"gaussian", "bernoulli"}, default="gaussian"
        Reconstruction loss. ``"gaussian"`` is squared error with a learned scale
        per feature; ``"bernoulli"`` is cross-entropy, for data in [0, 1].
    max_epochs : int or "auto", default="auto"
        Passes over the data. ``"auto"`` runs about 2,500 optimiser steps, with
        at least 10 and at most 500 epochs.
    batch_size : int, default=128
        Rows per optimiser step (and per inference batch).
    lr : float, default=1e-3
        Adam learning rate.
    device : str or torch.device, default="auto"
        Where to train and infer; ``"auto"`` picks CUDA when available. Resolved
        in ``fit`` and stored as ``device_``.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation and shuffling; an int makes ``fit`` repeatable
        bit for bit on CPU. Torch's global generator is never used.
    verbose : int, default=0
        ``0`` is silent; ``1`` prints skorch's table of per-epoch losses.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``, when ``X`` has string column names.
    input_mean_ : ndarray of shape (n_features_in_,)
        Offset subtracted from each feature before the network (zeros for the
        Bernoulli likelihood).
    input_scale_ : ndarray of shape (n_features_in_,)
        Scale each feature is divided by (its standard deviation, 1 for constant
        features and for the Bernoulli likelihood).
    latent_mean_ : ndarray of shape (latent_dim,)
        Mean of the training codes.
    latent_covariance_ : ndarray of shape (latent_dim, latent_dim)
        Covariance of the training codes; :meth:`sample` draws codes from
        N(latent_mean_, latent_covariance_).
    device_ : str
        Torch device the model lives on.
    net_ : skorch.NeuralNet
        The skorch net that trains the module.
    module_ : skvae.nn.AE
        The trained torch module.
    history_ : skorch.History
        Per-epoch training loss (``train_loss``) and duration.
    n_iter_ : int
        Number of epochs trained.

    See Also
    --------
    VAETransformer : Variational autoencoder, with a prior to sample from and a
        likelihood bound to score with.
    sklearn.decomposition.PCA : The linear special case.

    Notes
    -----
    :meth:`score_samples` is the reconstruction log-likelihood
    ``log p(x | decode(encode(x)))`` in nats: minus half the squared error scaled
    by the learned per-feature variance, plus the Gaussian normalising terms (or
    minus the cross-entropy for the Bernoulli likelihood). It ranks rows by how
    well they reconstruct; unlike the VAE's score it is not a bound on
    ``log p(x)``, because an autoencoder has no prior over codes.

    Examples
    --------
    >>> import numpy as np
    >>> from skvae import AETransformer
    >>> X = np.random.RandomState(0).normal(size=(100, 5))
    >>> ae = AETransformer(latent_dim=2, max_epochs=5, random_state=0).fit(X)
    >>> ae.transform(X).shape
    (100, 2)
    >>> ae.sample(3, random_state=0).shape
    (3, 5)
    """

    def __init__(
        self,
        latent_dim=2,
        *,
        hidden_dims=(64, 32),
        likelihood="gaussian",
        max_epochs="auto",
        batch_size=128,
        lr=1e-3,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.latent_dim = latent_dim
        self.hidden_dims = hidden_dims
        self.likelihood = likelihood
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _make_module(self, n_features):
        return AE(n_features, self.latent_dim, tuple(self.hidden_dims), self.likelihood)

    def _net_kwargs(self, seed):
        return AutoencoderNet, {"criterion": NegativeLogLikelihood}

    def _encode(self, module, x):
        return module.encode(x)

    def _score_batch(self, module, x, rows):
        return module(x).log_px_z

    def _after_training(self, X):
        codes = self._encode_rows(X).astype(np.float64)
        self.latent_mean_ = codes.mean(axis=0)
        covariance = np.atleast_2d(np.cov(codes, rowvar=False, bias=True))
        self.latent_covariance_ = covariance + _COVARIANCE_RIDGE * np.eye(
            len(covariance)
        )

    def sample(self, n_samples=1, random_state=None):
        """Draw rows by decoding codes from the Gaussian fitted to the training codes.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        random_state : int, RandomState instance or None, default=None
            Seeds the draw; ``None`` uses the estimator's ``random_state``.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features_in_)
            Decoded means, in the training data's units.
        """
        check_is_fitted(self)
        self._check_n_samples(n_samples)
        rng = self._sample_rng(random_state)
        z = rng.multivariate_normal(
            self.latent_mean_, self.latent_covariance_, n_samples
        )
        return self.inverse_transform(z)
