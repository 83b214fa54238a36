"""Variational autoencoder estimator.

Kingma & Welling (2013), with the KL weight beta of Higgins et al. (2017).
"""

from numbers import Real

import torch
from sklearn.utils.validation import check_is_fitted

from ._base import _BaseAutoencoder
from ._net import NegativeELBO, VAENet
from ._noise import row_normal_noise
from ._sklearn import Interval
from .nn import VAE, elbo

# Seed of the row-keyed noise behind score_samples: fixed, so scores are deterministic.
_SCORE_SEED = 20131220


class VAETransformer(_BaseAutoencoder):
    """Variational autoencoder as a scikit-learn transformer.

    Encodes rows into a ``latent_dim``-dimensional latent space (the posterior
    mean), decodes codes back, draws new rows from the prior and scores rows by
    the evidence lower bound on their log-likelihood. Training runs through skorch.

    Parameters
    ----------
    latent_dim : int, default=2
        Number of latent dimensions.
    architecture : {"mlp", "conv"}, default="mlp"
        Built-in networks. ``"mlp"``: fully connected ReLU layers. ``"conv"``:
        convolutional blocks (3x3 convolution, LeakyReLU, batch norm; stride 2
        halves the image) and a mirrored transposed-convolution decoder, sized
        from ``image_shape``.
    hidden_dims : tuple of int or "auto", default="auto"
        For ``"mlp"``, the widths of the encoder's hidden layers (the decoder
        mirrors them); ``"auto"`` is ``(64, 32)`` and ``()`` gives a linear
        VAE. For ``"conv"``, the channels of the halving blocks; ``"auto"``
        halves the image until its smaller side is at most 8 pixels, with 32
        channels doubling per block up to 128.
    image_shape : tuple of int, default=None
        ``(channels, height, width)`` when rows are flattened images (in C, H, W
        order). Required by ``architecture="conv"``; with ``"mlp"`` it only tells
        :mod:`skvae.plotting` how to draw rows.
    encoder : torch.nn.Module, default=None
        Your own encoder, used instead of the built-in one (with ``decoder``; leave
        ``architecture`` and ``hidden_dims`` at their defaults). It maps a batch
        of standardised rows ``(n, n_features)`` to features of any shape ``(n,
        ...)``; these are flattened and fed to linear heads. ``fit`` works on a
        copy and re-initialises its layers from ``random_state``; layers need a
        ``reset_parameters`` method (all of torch's have one).
    decoder : torch.nn.Module, default=None
        Your own decoder: maps codes ``(n, latent_dim)`` to ``n * n_features``
        values in any shape (reshaped to rows), the likelihood's mean (Gaussian,
        standardised units) or logits (Bernoulli). Use
        ``torch.nn.Unflatten(1, (C, H, W))`` to turn rows into images.
    likelihood : {"gaussian", "bernoulli"}, default="gaussian"
        Observation model. ``"gaussian"`` is for real-valued data and learns a
        variance per feature, so scores are log-densities in the data's units;
        ``"bernoulli"`` is for data in [0, 1] such as pixel intensities.
    beta : float, default=1.0
        Weight of the KL term in the training loss (beta-VAE). It does not enter
        :meth:`score_samples`, so models trained with different ``beta`` compare
        like with like.
    max_epochs : int or "auto", default="auto"
        Passes over the data. ``"auto"`` runs about 2,500 optimiser steps, with
        at least 10 and at most 500 epochs.
    batch_size : int, default=128
        Rows per optimiser step (and per inference batch). Smaller datasets use
        one batch of all rows.
    lr : float, default=1e-3
        Adam learning rate.
    validation_fraction : float, default=None
        Fraction of the rows held out (a seeded random subset) to report
        validation losses each epoch (``valid_loss``, ``valid_reconstruction``
        and, for a VAE, ``valid_kl`` in ``history_``). ``None`` trains on all rows.
    callbacks : list of skorch callbacks, default=None
        Extra skorch ``Callback`` instances or ``(name, callback)`` pairs, run
        during training (e.g. :class:`skvae.callbacks.RecordReconstructions`).
        ``fit`` uses copies; find them after fitting in ``net_.callbacks_``.
    device : str or torch.device, default="auto"
        Where to train and infer; ``"auto"`` picks CUDA when available. Resolved
        in ``fit`` and stored as ``device_``.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and the training noise; an int makes
        ``fit`` repeatable bit for bit on CPU. Torch's global generator is never used.
    verbose : int, default=0
        ``0`` is silent; ``1`` prints skorch's table of per-epoch losses; ``2``
        also shows a progress bar over each epoch's batches (chosen when fitting
        starts).

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
        features and for the Bernoulli likelihood). It is part of the model:
        scores are densities of the original data.
    device_ : str
        Torch device the model lives on.
    net_ : skorch.NeuralNet
        The skorch net that trains the module.
    module_ : skvae.nn.VAE
        The trained torch module.
    history_ : skorch.History
        Per epoch: the training loss per row (``train_loss``), its parts
        ``train_reconstruction`` (mean ``-log p(x|z)``) and ``train_kl``, the
        same for validation rows (``valid_*``, with ``validation_fraction``)
        and the duration (``dur``).
    n_iter_ : int
        Number of epochs trained.

    See Also
    --------
    AETransformer : Deterministic autoencoder.
    sklearn.decomposition.FactorAnalysis : The linear-Gaussian special case.

    Notes
    -----
    :meth:`score_samples` is the ELBO with KL weight 1, ``log p(x|z) - KL(q(z|x) ||
    p(z))``, a lower bound on ``log p(x)``, estimated with one draw of ``z`` per
    row. That draw's noise is a fixed function of the row's values, so scores are
    deterministic and do not depend on batching.

    References
    ----------
    .. [1] D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes", 2013.
    .. [2] I. Higgins et al., "beta-VAE: Learning Basic Visual Concepts with a
       Constrained Variational Framework", ICLR 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skvae import VAETransformer
    >>> X = np.random.RandomState(0).normal(size=(100, 5))
    >>> vae = VAETransformer(latent_dim=2, max_epochs=5, random_state=0).fit(X)
    >>> vae.transform(X).shape
    (100, 2)
    >>> vae.inverse_transform(vae.transform(X[:3])).shape
    (3, 5)
    >>> vae.sample(4, random_state=0).shape
    (4, 5)
    >>> vae.score_samples(X).shape
    (100,)
    """

    _parameter_constraints: dict = {
        **_BaseAutoencoder._parameter_constraints,
        "beta": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        latent_dim=2,
        *,
        architecture="mlp",
        hidden_dims="auto",
        image_shape=None,
        encoder=None,
        decoder=None,
        likelihood="gaussian",
        beta=1.0,
        max_epochs="auto",
        batch_size=128,
        lr=1e-3,
        validation_fraction=None,
        callbacks=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.latent_dim = latent_dim
        self.architecture = architecture
        self.hidden_dims = hidden_dims
        self.image_shape = image_shape
        self.encoder = encoder
        self.decoder = decoder
        self.likelihood = likelihood
        self.beta = beta
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.validation_fraction = validation_fraction
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    _module_class = VAE

    def _net_kwargs(self, seed):
        noise = torch.Generator(device=self.device_).manual_seed(seed + 1)
        return VAENet, {
            "criterion": NegativeELBO,
            "criterion__beta": self.beta,
            "noise_generator": noise,
        }

    def _train(self, X, epochs):
        # beta may have changed since the net was built. Set it on the criterion
        # directly: net.set_params(criterion__beta=...) would rebuild the optimizer.
        self.net_.criterion_.beta = self.beta
        super()._train(X, epochs)

    def _encode(self, module, x):
        return module.encode(x).mean

    def _score_batch(self, module, x, rows):
        noise = row_normal_noise(rows, 1, module.latent_dim, _SCORE_SEED)[:, 0]
        eps = torch.as_tensor(noise, dtype=x.dtype, device=x.device)
        output = module(x, eps)
        return elbo(output.log_px_z, output.kl, beta=1.0)

    def sample(self, n_samples=1, random_state=None):
        """Draw rows from the generative model.

        Draws ``z`` from the N(0, I) prior and returns the decoder's mean for each,
        in the training data's units (observation noise is not added).

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
        z = rng.standard_normal((n_samples, self._n_features_out))
        return self.inverse_transform(z)
