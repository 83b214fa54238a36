"""Deterministic autoencoder estimator."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._base import _BaseAutoencoder
from ._device import check_memory
from ._net import AutoencoderNet
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
    architecture : {"mlp", "conv"}, default="mlp"
        Built-in networks. ``"mlp"``: fully connected ReLU layers. ``"conv"``:
        convolutional blocks (3x3 convolution, LeakyReLU, batch norm; stride 2
        halves the image) and a mirrored transposed-convolution decoder, sized
        from ``image_shape``.
    hidden_dims : tuple of int or "auto", default="auto"
        For ``"mlp"``, the widths of the encoder's hidden layers (the decoder
        mirrors them); ``"auto"`` is ``(64, 32)`` and ``()`` gives a linear
        autoencoder (the PCA subspace, up to rotation). For ``"conv"``, the
        channels of the halving blocks; ``"auto"`` halves the image until its
        smaller side is at most 8 pixels, with 32 channels doubling per block
        up to 128.
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
        Reconstruction loss. ``"gaussian"`` is squared error with a learned scale
        per feature; ``"bernoulli"`` is cross-entropy, for data in [0, 1].
    categorical_features : "from_dtype", array-like of int, bool or str, or None, \
            default="from_dtype"
        The categorical columns, as in ``HistGradientBoostingClassifier``:
        ``"from_dtype"`` takes a DataFrame's columns of ``category`` dtype, and
        also its ``object`` and ``string`` columns (an array has none); or
        their indices, a boolean mask, or their names. ``None``: every column
        is a number. The categories are learned in ``fit``
        (``categories_``; a ``category`` column's declared ones, otherwise the
        sorted values seen) and modelled by a softmax each, so scores count
        their log-probabilities in nats. NaN or None is a missing category. In
        a table with categorical columns, numeric columns under the Gaussian
        likelihood are modelled as normal scores of their empirical quantiles
        (scores are then densities of those scores, not of the raw numbers);
        :meth:`inverse_transform` and :meth:`sample` give rows back in the
        user's terms: categories, a DataFrame's columns and dtypes, integer
        columns rounded.
    handle_unknown : {"error", "ignore"}, default="error"
        A category not seen in ``fit``, at transform or score time: an error
        naming the column, or (``"ignore"``) read as a missing value.
    binarize : bool, default=False
        Dynamic binarisation, for ``likelihood="bernoulli"``: each time a
        training row is drawn into a batch, every value ``p`` in [0, 1] is
        replaced by a fresh 0 or 1 that is 1 with probability ``p``, the usual
        protocol for greyscale MNIST. The draws are seeded by ``random_state``;
        the stored rows are not changed. Validation rows, :meth:`transform` and
        :meth:`score_samples` use the values as given: binarise test rows once
        yourself (e.g. ``rng.binomial(1, X)``) to score them as binary data.
    max_epochs : int or "auto", default="auto"
        Passes over the data. ``"auto"`` runs about 2,500 optimiser steps, with
        at least 10 and at most 500 epochs.
    batch_size : int, default=128
        Rows per optimiser step. Inference runs in chunks of at least this many
        rows (more for narrow rows: up to 4,096 rows and about a million values
        a chunk), so its memory beyond the output stays bounded.
    optimizer : {"adam", "sgd", "rmsprop"} or torch.optim.Optimizer subclass, \
            default="adam"
        The torch optimizer, at the rate ``lr`` and otherwise torch's defaults:
        ``torch.optim.Adam`` (fused kernel), ``SGD`` (no momentum) or
        ``RMSprop``, or an optimizer class (not an instance) such as
        ``torch.optim.AdamW``. The first training call fixes it:
        :meth:`partial_fit` refuses another, which would start without its state.
        :func:`skvae.save` stores torch.optim's classes by name; use pickle for
        others.
    lr : float, default=1e-3
        Learning rate of the ``optimizer``.
    lr_schedule : {"cosine", "plateau"}, default=None
        Learning-rate schedule run by skorch's ``LRScheduler``: ``"cosine"``
        anneals ``lr`` towards 0 over the epochs of each ``fit`` (torch's
        ``CosineAnnealingLR``); ``"plateau"`` divides it by 10 once the
        validation loss (training loss without validation) has not improved by
        ``tol`` for more than ``max(1, n_iter_no_change // 2)`` epochs
        (``ReduceLROnPlateau``). ``None`` keeps ``lr``. Each epoch's rate is
        recorded in ``history_`` as ``event_lr``. Every :meth:`partial_fit`
        call trains its one epoch at ``lr``.
    trim_fraction : float, default=0.0
        Each training batch leaves its ``trim_fraction`` of rows of highest loss
        out of the loss, so rare outlying rows among the training rows are not
        learned (trimmed training, as in RCA, Liu et al. 2021). Validation
        losses and scores use every row.
    early_stopping : bool, default=False
        Stop when the validation loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, and restore the weights of the best epoch
        (skorch's ``EarlyStopping``). Holds out ``validation_fraction`` of the
        rows, 0.1 when that is None. :meth:`partial_fit` trains one epoch per
        call, so it never stops early; it keeps the ``early_stopping`` and
        ``lr_schedule`` (with ``n_iter_no_change`` and ``tol``) of its first
        call.
    validation_fraction : float, default=None
        Fraction of the rows held out (a seeded random subset) to report
        validation losses each epoch (``valid_loss``, ``valid_reconstruction``
        and, for a VAE, ``valid_kl`` in ``history_``). ``None`` trains on all
        rows, unless ``early_stopping`` is on.
    n_iter_no_change : int, default=10
        Epochs without improvement before early stopping.
    tol : float, default=1e-4
        Improvement of the validation loss, in nats per row, that counts for
        early stopping and for ``lr_schedule="plateau"``.
    callbacks : list of skorch callbacks, default=None
        Extra skorch ``Callback`` instances or ``(name, callback)`` pairs, run
        during training (e.g. :class:`skvae.callbacks.RecordReconstructions`).
        ``fit`` uses copies; find them after fitting in ``net_.callbacks_``.
    device : str or torch.device, default="auto"
        Where to train and infer; ``"auto"`` picks CUDA when available. Resolved
        in ``fit`` and stored as ``device_``.
    accelerator : accelerate.Accelerator, default=None
        Experimental, as skorch's ``AccelerateMixin`` that it uses: train
        data-parallel across the processes of an ``accelerate launch``, each
        fitting the same rows. Each step, every process takes the next
        ``batch_size`` rows of one process's order and the gradients are
        averaged: ``k`` processes take the steps of one with ``k * batch_size``.
        Early stopping and schedules read all processes' losses (skorch's
        ``DistributedHistory``). The accelerator places the model: leave
        ``device="auto"``, else it is an error. Every process ends with the same
        model, detached: pickles and :func:`skvae.save` drop the accelerator
        (loading gives ``None``); :meth:`partial_fit` will not continue a fit with it.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation and shuffling; an int makes ``fit`` repeatable
        bit for bit on CPU. Torch's global generator is never used. With an
        ``accelerator`` every process takes the main process's: the same initial
        weights, held-out rows and batch order, binarisation draws of its own. One
        process fits bit for bit as without one; several repeat their fit bit for
        bit on CPU, unlike any one-process fit (rounding differs).
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
    is_categorical_ : ndarray of shape (n_features_in_,)
        True for each categorical column (bools).
    categories_ : list of ndarray
        The categories of each categorical column, in column order.
    input_mean_ : ndarray of shape (n_features_in_,)
        Offset subtracted from each feature before the network (zeros for the
        Bernoulli likelihood).
    input_scale_ : ndarray of shape (n_features_in_,)
        Scale each feature is divided by (its standard deviation, 1 for constant
        features and for the Bernoulli likelihood).
    latent_mean_ : ndarray of shape (latent_dim,)
        Mean of the training codes: those of the rows of the last ``fit`` or
        ``partial_fit`` call; beyond 2048 rows, of a random 2048 of them
        (chosen by ``random_state``).
    latent_covariance_ : ndarray of shape (latent_dim, latent_dim)
        Covariance of the same codes; :meth:`sample` draws codes from
        ``N(latent_mean_, latent_covariance_)``.
    device_ : str
        Torch device the model lives on.
    net_ : skorch.NeuralNet
        The skorch net that trains the module.
    module_ : skvae.nn.AE
        The trained torch module.
    history_ : skorch.History
        Per epoch: the training loss per row (``train_loss``), its parts
        ``train_reconstruction`` (mean ``-log p(x|z)``), the same for
        validation rows (``valid_*``, with ``validation_fraction`` or
        ``early_stopping``), the learning rate (``event_lr``, with
        ``lr_schedule``) and the duration (``dur``).
    n_iter_ : int
        Number of epochs trained (early stopping may end ``fit`` before
        ``max_epochs``).

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

    Training that diverges (a NaN or infinite training loss) stops at the end of
    the epoch where it happens with a ``FloatingPointError`` naming that epoch;
    lower ``lr`` or standardise the inputs. Like any call that raises (bad rows,
    Ctrl-C), it leaves the estimator as it was before the call: unfitted, or with
    the model it had, so a :meth:`partial_fit` that diverges loses no earlier
    training. Torch's global random state is left as it was.

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
        architecture="mlp",
        hidden_dims="auto",
        image_shape=None,
        encoder=None,
        decoder=None,
        likelihood="gaussian",
        categorical_features="from_dtype",
        handle_unknown="error",
        binarize=False,
        max_epochs="auto",
        batch_size=128,
        optimizer="adam",
        lr=1e-3,
        lr_schedule=None,
        trim_fraction=0.0,
        early_stopping=False,
        validation_fraction=None,
        n_iter_no_change=10,
        tol=1e-4,
        callbacks=None,
        device="auto",
        accelerator=None,
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
        self.categorical_features = categorical_features
        self.handle_unknown = handle_unknown
        self.binarize = binarize
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.trim_fraction = trim_fraction
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.callbacks = callbacks
        self.device = device
        self.accelerator = accelerator
        self.random_state = random_state
        self.verbose = verbose

    _module_class = AE
    _net_class = AutoencoderNet
    _statistics = {"latent_mean_": 1, "latent_covariance_": 2}

    def _loss_params(self):
        return {}

    def _score_batch(self, module, x, keys, observed):
        return module(x, observed).log_px_z

    def _initialize(self, X, epochs):
        # The Gaussian of the codes holds latent_dim**2 values, and np.cov makes
        # two more arrays of that size: refuse before training, not after it.
        check_memory(
            3 * 8 * self.latent_dim**2,
            "cpu",
            f"The covariance of the codes (latent_dim={self.latent_dim} squared, "
            "for sample)",
            "Choose a smaller latent_dim.",
        )
        super()._initialize(X, epochs)

    def _after_training(self, X, missing):
        codes = self._encode_rows(X, missing).astype(np.float64)
        self.latent_mean_ = codes.mean(axis=0)
        covariance = np.atleast_2d(np.cov(codes, rowvar=False, bias=True))
        self.latent_covariance_ = covariance + _COVARIANCE_RIDGE * np.eye(
            len(covariance)
        )

    def sample(self, n_samples=1, random_state=None):
        """Draw rows by decoding codes from the Gaussian fitted to the training codes.

        With categorical columns every value is drawn given the code: each
        category from its softmax, each number with the learned noise.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        random_state : int, RandomState instance or None, default=None
            Seeds the draw; ``None`` uses the estimator's ``random_state``.

        Returns
        -------
        X : ndarray or DataFrame of shape (n_samples, n_features_in_)
            Decoded means, in the training data's units; with categorical
            columns, drawn rows in the user's terms (a DataFrame with the
            training columns and dtypes when fitted on one).
        """
        check_is_fitted(self)
        rng = self._sample_rng(n_samples, random_state)
        z = rng.multivariate_normal(
            self.latent_mean_, self.latent_covariance_, n_samples
        )
        return self._rows_at_codes(z, rng)
