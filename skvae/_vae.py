"""Variational autoencoder estimator.

Kingma & Welling (2013), with the KL weight beta of Higgins et al. (2017).
"""

from numbers import Real

from ._base import _BaseAutoencoder
from ._net import VAENet
from ._vae_inference import VAEInference
from ._validation import Count, Number
from .nn import VAE


class VAETransformer(VAEInference, _BaseAutoencoder):
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
        (scores count continuous columns in their own units through the map's
        slope, integer columns and point masses in normal scores);
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
    beta : float, default=1.0
        Weight of the KL term in the training loss (beta-VAE). It does not enter
        :meth:`score_samples`, so models trained with different ``beta`` compare
        like with like.
    max_epochs : int or "auto", default="auto"
        Passes over the data. ``"auto"`` runs about 2,500 optimiser steps, with
        at least 10 and at most 500 epochs.
    batch_size : int, default=128
        Rows per optimiser step. Smaller datasets use one batch of all rows.
        Inference runs in chunks of at least this many rows (more for narrow
        rows: up to 4,096 rows and about a million values a chunk), so its memory
        beyond the output stays bounded.
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
    kl_warmup_epochs : int, default=0
        KL warm-up: epoch ``e`` of training weighs the KL by ``beta * min(1, e /
        kl_warmup_epochs)`` (epochs counted across :meth:`partial_fit` calls),
        recorded in ``history_`` as ``kl_weight``; ``0`` uses ``beta``. Validation
        losses (and so early stopping) use ``beta``; scores, KL weight 1.
    free_bits : float, default=0.0
        Free bits [4]_: in the training loss each latent dimension's KL,
        averaged over the batch, counts as at least ``free_bits`` nats, a guard
        against posterior collapse. ``0`` is the plain KL. Scores are not affected.
    n_importance_samples : int, default=1
        Draws ``k`` per row in :meth:`score_samples`. ``1`` is the ELBO; ``k > 1``
        is the importance-weighted bound of Burda et al. [3]_, tighter as
        ``k`` grows and computed in chunks so memory stays bounded.
    train_importance_samples : int, default=1
        Draws ``k`` per row in the training loss. ``1`` trains on the ELBO;
        ``k > 1`` on the importance-weighted bound [3]_ (with ``beta`` on each
        draw's ``log p(z) - log q(z | x)``; not with ``free_bits``), MIWAE's
        bound [5]_ on rows with holes: costlier by about ``k``, and a better
        model of each feature given the others.
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
        Seeds weight initialisation, shuffling and the training noise; an int makes
        ``fit`` repeatable bit for bit on CPU. Torch's global generator is never used.
        With an ``accelerator`` every process takes the main process's: the same
        initial weights, held-out rows and batch order, noise of its own. One
        process fits bit for bit as without one; several repeat their fit bit for
        bit on CPU, unlike any one-process fit (other noise, other rounding).
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
        features and for the Bernoulli likelihood). It is part of the model:
        scores are densities of the original data.
    device_ : str
        Torch device the model lives on.
    net_ : skorch.NeuralNet
        The skorch net that trains the module.
    module_ : skvae.nn.VAE
        The trained torch module.
    history_ : skorch.History
        Per epoch: the training loss per row (``train_loss``, with that
        epoch's KL weight and free bits), its parts ``train_reconstruction``
        (mean ``-log p(x|z)``) and ``train_kl`` (mean KL, without free bits),
        the KL weight (``kl_weight``), the same losses for validation rows
        (``valid_*``, with ``validation_fraction`` or ``early_stopping``; KL
        weight ``beta`` even during warm-up), the learning rate (``event_lr``,
        with ``lr_schedule``) and the duration (``dur``).
    n_iter_ : int
        Number of epochs trained (early stopping may end ``fit`` before
        ``max_epochs``).
    kl_per_dim_ : ndarray of shape (latent_dim,)
        Mean over the training rows of each latent dimension's KL divergence
        ``KL(q(z_d | x) || N(0, 1))``, in nats; it sums to the mean KL term of
        the ELBO. Near-zero entries mark collapsed dimensions that the model
        does not use. Computed on the rows of the last ``fit`` or
        ``partial_fit`` call; beyond 2048 rows, on a random 2048 of them
        (chosen by ``random_state``).
    n_active_units_ : int
        Number of active latent dimensions: those whose posterior mean varies
        across the training rows with variance above 0.01 (Burda et al., 2015).
        Computed on the same rows as ``kl_per_dim_``.

    See Also
    --------
    AETransformer : Deterministic autoencoder.
    sklearn.decomposition.FactorAnalysis : The linear-Gaussian special case.

    Notes
    -----
    :meth:`score_samples` is the ELBO with KL weight 1, ``log p(x|z) - KL(q(z|x) ||
    p(z))``, a lower bound on ``log p(x)``, estimated with one draw of ``z`` per
    row. With ``n_importance_samples=k > 1`` it is the importance-weighted bound
    ``log (1/k) sum_j p(x, z_j) / q(z_j | x)`` [3]_, which is at least the ELBO
    in expectation and approaches ``log p(x)`` as ``k`` grows; use it to compare
    models by likelihood (e.g. against ``FactorAnalysis.score``). The noise of
    every draw is a fixed function of the row's values, so scores are
    deterministic and do not depend on batching.

    Training that diverges (a NaN or infinite training loss) stops at the end of
    the epoch where it happens with a ``FloatingPointError`` naming that epoch;
    lower ``lr`` or standardise the inputs. Like any call that raises (bad rows,
    Ctrl-C), it leaves the estimator as it was before the call: unfitted, or with
    the model it had, so a :meth:`partial_fit` that diverges loses no earlier
    training. Torch's global random state is left as it was.

    References
    ----------
    .. [1] D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes", 2013.
    .. [2] I. Higgins et al., "beta-VAE: Learning Basic Visual Concepts with a
       Constrained Variational Framework", ICLR 2017.
    .. [3] Y. Burda, R. Grosse and R. Salakhutdinov, "Importance Weighted
       Autoencoders", 2015.
    .. [4] D. P. Kingma et al., "Improved Variational Inference with Inverse
       Autoregressive Flow", NeurIPS 2016 (free bits).
    .. [5] P.-A. Mattei and J. Frellsen, "MIWAE: Deep Generative Modelling and
       Imputation of Incomplete Data Sets", ICML 2019.

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
        "beta": [Number(Real, 0, None, closed="left")],
        "kl_warmup_epochs": [Count(0)],
        # Up to 1e30 nats a dimension: the floors of 2**24 dimensions still sum
        # within float32 (free_bits=1e39 overflowed inside torch).
        "free_bits": [Number(Real, 0, 1e30, closed="both")],
        "n_importance_samples": [Count(1)],
        "train_importance_samples": [Count(1)],
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
        categorical_features="from_dtype",
        handle_unknown="error",
        binarize=False,
        beta=1.0,
        max_epochs="auto",
        batch_size=128,
        optimizer="adam",
        lr=1e-3,
        lr_schedule=None,
        kl_warmup_epochs=0,
        free_bits=0.0,
        n_importance_samples=1,
        train_importance_samples=1,
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
        self.beta = beta
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.kl_warmup_epochs = kl_warmup_epochs
        self.free_bits = free_bits
        self.n_importance_samples = n_importance_samples
        self.train_importance_samples = train_importance_samples
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

    _module_class = VAE
    _net_class = VAENet
    _statistics = {"kl_per_dim_": 1, "n_active_units_": 0}
    _inference_params = ("batch_size", "n_importance_samples")

    def _loss_params(self):
        k = self.train_importance_samples
        if k > 1 and self.free_bits:
            raise ValueError(
                f"free_bits={self.free_bits} floors each dimension's KL term of the "
                f"ELBO, which the importance-weighted bound of "
                f"train_importance_samples={k} does not have. Use one or the other."
            )
        return {
            "beta": self.beta,
            "kl_warmup_epochs": self.kl_warmup_epochs,
            "free_bits": self.free_bits,
            "importance_samples": k,
        }
