"""Shared estimator machinery: parameters, validation, training and inference.

Concrete estimators set ``_module_class`` and implement the hooks ``_net_kwargs``
and ``_score_batch``; everything public lives here.
"""

import copy
import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted, validate_data
from skorch.helper import predefined_split
from torch import nn

from ._net import TensorBatches
from ._setup import (
    build_module,
    check_networks,
    make_callbacks,
    make_networks,
    mean_and_scale,
    resolve_device,
    split_rows,
)
from ._sklearn import Interval, StrOptions, _fit_context
from .nn import summarize

# About this many optimiser steps make max_epochs="auto": few epochs on big tables,
# many on tiny ones, within the bounds below. On an 8-feature factor model and on
# the digits, 2000 steps at lr=1e-3 reach within 0.1-0.3 nats of 5000 steps.
_AUTO_STEPS = 2500
_AUTO_EPOCHS_MIN, _AUTO_EPOCHS_MAX = 10, 500
# Inference runs in chunks of at least batch_size rows, otherwise of up to this many
# rows and values of the widest input or output: large enough that the per-chunk
# overhead vanishes on small networks (a 64-feature table infers 3 to 5 times
# faster than in chunks of 128 rows), small enough that memory stays bounded and a
# chunk's activations stay in cache (narrow tables slow down past 8192 rows).
_INFERENCE_ROWS, _INFERENCE_VALUES = 4096, 2**18


def _non_numeric_columns(X):
    """'; non-numeric columns: a, b' for a DataFrame, else ''."""
    if not hasattr(X, "select_dtypes"):
        return ""
    names = X.select_dtypes(exclude=["number", "bool"]).columns
    return f"; non-numeric columns: {', '.join(map(str, names))}" if len(names) else ""


def discard_fitted_state(estimator):
    """Delete the fitted attributes (``name_``) of ``estimator``: unfitted again.

    A failed fit calls this, so it never leaves a model that looks fitted.
    """
    for name in [
        k for k in vars(estimator) if k.endswith("_") and not k.startswith("__")
    ]:
        delattr(estimator, name)


class _BaseAutoencoder(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Parameters, validation, training and inference shared by the autoencoders."""

    _parameter_constraints: dict = {
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "hidden_dims": [tuple, list, StrOptions({"auto"})],
        "architecture": [StrOptions({"mlp", "conv"})],
        "image_shape": [tuple, list, None],
        "encoder": [nn.Module, None],
        "decoder": [nn.Module, None],
        "likelihood": [StrOptions({"gaussian", "bernoulli"})],
        "binarize": ["boolean"],
        "max_epochs": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "lr_schedule": [StrOptions({"cosine", "plateau"}), None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "callbacks": [list, tuple, None],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # -- hooks for subclasses -------------------------------------------------

    _module_class = None  # the skvae.nn module the estimator trains

    def _make_module(self, n_features):
        encoder, decoder = make_networks(self, n_features)
        return self._module_class(
            n_features,
            self.latent_dim,
            likelihood=self.likelihood,
            encoder=encoder,
            decoder=decoder,
        )

    def _net_kwargs(self, seed):
        """Net class, criterion and extra skorch arguments."""
        raise NotImplementedError

    def _score_batch(self, module, x, rows):
        """Per-row log-likelihood of standardised rows ``x`` (raw values ``rows``)."""
        raise NotImplementedError

    def _after_training(self, X):
        """Update state derived from the trained module (``X``: validated rows)."""

    # -- fitting ----------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the autoencoder to ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        try:
            X = self._validate_X(X, reset=True)
            self._initialize(X)
            self._train(X, self._n_epochs(len(X)))
        except BaseException:
            discard_fitted_state(self)
            raise
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Train for one pass over ``X``, initialising on the first call.

        The first call also fixes the input standardisation (from that call's
        ``X``) and the number of features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training data.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The updated estimator.
        """
        first_call = not hasattr(self, "net_")
        try:
            X = self._validate_X(X, reset=first_call)
        except BaseException:
            if first_call:
                discard_fitted_state(self)
            raise
        try:
            if first_call:
                self._initialize(X)
            self._train(X, 1)
        except BaseException:
            discard_fitted_state(self)
            raise
        return self

    def _initialize(self, X):
        check_networks(self, X.shape[1])
        self.device_ = resolve_device(self.device)
        if self.likelihood == "gaussian":
            self.input_mean_, self.input_scale_ = mean_and_scale(X)
        else:
            self.input_mean_ = np.zeros(X.shape[1])
            self.input_scale_ = np.ones(X.shape[1])
        seed = int(
            check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        )
        self._seed_ = seed
        generator = torch.Generator().manual_seed(seed)
        module = build_module(self, X.shape[1], generator)
        net_class, net_kwargs = self._net_kwargs(seed)
        # Dynamic binarisation draws from its own stream, kept across partial_fit.
        self._binarize_generator_ = torch.Generator(device=self.device_).manual_seed(
            seed + 2
        )
        self.net_ = net_class(
            module=module,
            optimizer=torch.optim.Adam,
            lr=self.lr,
            batch_size=self.batch_size,
            iterator_train=TensorBatches,
            iterator_train__shuffle=True,
            iterator_train__generator=generator,
            iterator_valid=TensorBatches,
            train_split=None,
            callbacks=make_callbacks(self, net_class, self._n_epochs(len(X))),
            callbacks__print_log__keys_ignored=["reconstructions"],
            verbose=self.verbose,
            device=self.device_,
            input_mean=self.input_mean_,
            input_scale=self.input_scale_,
            **net_kwargs,
        ).initialize()

    def _train(self, X, epochs):
        if self.binarize and self.likelihood != "bernoulli":
            raise ValueError(
                "binarize=True draws 0/1 values for a Bernoulli model; it needs "
                f"likelihood='bernoulli', got likelihood={self.likelihood!r}."
            )
        rows = torch.as_tensor(self._standardize(X), dtype=torch.float32)
        train, valid = split_rows(self, rows.to(self.device_))
        net = self.net_
        # Parameters may have changed with set_params since the net was built;
        # skorch applies lr to the optimizer without rebuilding it (Adam keeps state).
        net.set_params(
            lr=self.lr,
            batch_size=self.batch_size,
            max_epochs=epochs,
            verbose=self.verbose,
            train_split=None if valid is None else predefined_split(valid),
        )
        # Read by get_iterator each epoch; skorch's set_params refuses iterator
        # parameters on an initialised net, so set the attribute itself.
        net.iterator_train__binarize_generator = (
            self._binarize_generator_ if self.binarize else None
        )
        # Layers of the user's modules (e.g. dropout) may draw from torch's global
        # generator: give them a forked one seeded from random_state instead.
        device = torch.device(self.device_)
        cuda = [device.index or 0] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=cuda):
            seed = self._seed_ + len(net.history)
            torch.default_generator.manual_seed(seed)
            for index in cuda:
                torch.cuda.default_generators[index].manual_seed(seed)
            net.partial_fit(train)
        net.module_.eval()
        self._after_training(X)

    def _n_epochs(self, n_samples):
        if self.max_epochs != "auto":
            return self.max_epochs
        batches = math.ceil(n_samples / self.batch_size)
        epochs = math.ceil(_AUTO_STEPS / batches)
        return min(max(epochs, _AUTO_EPOCHS_MIN), _AUTO_EPOCHS_MAX)

    # -- validation -------------------------------------------------------------

    def _validate_X(self, X, *, reset=False):
        try:
            X_valid = validate_data(
                self, X, reset=reset, dtype=[np.float64, np.float32]
            )
        except ValueError as exc:
            if "Found array with dim" in str(exc):
                raise ValueError(
                    f"{exc} Flatten images to rows, e.g. X.reshape(len(X), -1), "
                    "and pass image_shape=(channels, height, width)."
                ) from None
            # numpy's own words for cells it cannot make numbers of; say which input.
            if "could not convert" not in str(exc) and "inhomogeneous" not in str(exc):
                raise
            raise ValueError(
                f"X must be a numeric array of shape (n_samples, n_features)"
                f"{_non_numeric_columns(X)}: {exc}"
            ) from None
        if self.likelihood == "bernoulli":
            low, high = X_valid.min(), X_valid.max()
            if low < 0 or high > 1:
                raise ValueError(
                    "likelihood='bernoulli' needs data in [0, 1], but X has values in "
                    f"[{low:g}, {high:g}]. Scale it (e.g. MinMaxScaler) or use "
                    "likelihood='gaussian'."
                )
        return X_valid

    def _standardize(self, X):
        return (X - self.input_mean_) / self.input_scale_

    # -- inference ------------------------------------------------------------

    @property
    def module_(self):
        """The trained torch module (lives in ``net_``)."""
        return self.net_.module_

    @property
    def history_(self):
        """skorch History: per-epoch training loss and timing."""
        return self.net_.history

    @property
    def n_iter_(self):
        """Number of training epochs run so far."""
        return len(self.net_.history)

    def summary(self, depth=3):
        """Table of the fitted module's layers, output shapes and parameter counts.

        Parameters
        ----------
        depth : int, default=3
            How many levels of submodules to list.

        Returns
        -------
        summary : skvae.nn.ModelSummary
            Rows and totals; printing it shows the table.
        """
        check_is_fitted(self)
        example = torch.zeros(2, self.n_features_in_, device=self.device_)
        return summarize(self.module_, example, depth=depth)

    @property
    def _n_features_out(self):
        return self.module_.latent_dim

    def _inference_rows(self, width):
        """Rows per inference chunk for arrays of ``width`` columns."""
        budget = _INFERENCE_VALUES // max(width, self.n_features_in_)
        return max(self.batch_size, min(_INFERENCE_ROWS, budget))

    def _map_batches(self, A, fn, *, share=False):
        """Stack ``fn(module, chunk_tensor, chunk_rows)`` over chunks of rows of ``A``.

        Runs in ``A``'s precision: float64 input is computed with a float64 copy of
        the module, so results do not depend on how rows are chunked. Memory beyond
        the output is that of one chunk (see ``_inference_rows``). ``share=True``
        lets the chunk tensors share memory with ``A``, for an ``fn`` that never
        writes to them; otherwise they are copies.
        """
        dtype = torch.float64 if A.dtype == np.float64 else torch.float32
        module = self.module_
        if dtype != torch.float32:
            module = copy.deepcopy(module).to(dtype)
        module.eval()
        step = self._inference_rows(A.shape[1])
        # as_tensor shares a CPU array of the same dtype (it would warn on a
        # read-only one); torch.tensor always copies.
        make_tensor = torch.as_tensor if share and A.flags.writeable else torch.tensor
        out = None
        with torch.inference_mode():
            for start in range(0, len(A), step):
                rows = A[start : start + step]
                chunk = make_tensor(rows, dtype=dtype, device=self.device_)
                result = fn(module, chunk, rows).cpu().numpy()
                if out is None:
                    out = np.empty((len(A), *result.shape[1:]), dtype=result.dtype)
                out[start : start + len(rows)] = result
        return out

    def _input_affine(self, dtype):
        """Standardisation offset and scale as tensors in ``dtype`` on the device."""
        return tuple(
            torch.from_numpy(v.astype(dtype)).to(self.device_)
            for v in (self.input_mean_, self.input_scale_)
        )

    def _map_inputs(self, X, fn):
        """Like ``_map_batches`` but hands ``fn`` standardised rows."""
        shift, scale = self._input_affine(X.dtype)

        def standardized(module, x, rows):
            # The subtraction makes a new tensor (x may be X's memory): divide in place.
            return fn(module, (x - shift).div_(scale), rows)

        return self._map_batches(X, standardized, share=True)

    def transform(self, X):
        """Encode ``X`` into the latent space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to encode.

        Returns
        -------
        Z : ndarray of shape (n_samples, latent_dim)
            Latent codes, in ``X``'s float precision.
        """
        check_is_fitted(self)
        return self._encode_rows(self._validate_X(X))

    def _encode_rows(self, X):
        """Latent codes of validated rows, computed in batches."""
        return self._map_inputs(X, lambda module, x, rows: module.code(x))

    def inverse_transform(self, Z):
        """Decode latent codes back to the input space.

        Parameters
        ----------
        Z : array-like of shape (n_samples, latent_dim)
            Latent codes, e.g. from :meth:`transform`.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The decoder's mean for each code, in the units of the training data.
        """
        check_is_fitted(self)
        Z = check_array(Z, dtype=[np.float64, np.float32], input_name="Z")
        latent_dim = self._n_features_out
        if Z.shape[1] != latent_dim:
            raise ValueError(
                f"Z has {Z.shape[1]} columns, but {type(self).__name__} was fitted "
                f"with latent_dim={latent_dim}."
            )
        shift, scale = self._input_affine(Z.dtype)

        def decode(module, z, rows):
            return module.likelihood.mean(module.decode(z)) * scale + shift

        return self._map_batches(Z, decode)

    def score_samples(self, X):
        """Log-likelihood estimate of each row, in nats (higher is more typical).

        Deterministic: a row gets the same score in any batch, subset or order.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Log-likelihood estimate of each row in nats, in the data's units.
        """
        check_is_fitted(self)
        X = self._validate_X(X)
        scores = self._map_inputs(X, self._score_batch)
        # Standardisation is part of the model: log p(x) = log p(x_std) - log|scale|.
        return scores - np.log(self.input_scale_).sum()

    def score(self, X, y=None):
        """Mean of :meth:`score_samples` over ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        score : float
            Mean per-row log-likelihood estimate in nats.
        """
        return float(np.mean(self.score_samples(X)))

    def _check_n_samples(self, n_samples):
        if (
            not isinstance(n_samples, Integral)
            or isinstance(n_samples, bool)
            or (n_samples < 1)
        ):
            raise ValueError(
                f"n_samples must be a positive integer, got {n_samples!r}."
            )

    def _sample_rng(self, random_state):
        return check_random_state(
            self.random_state if random_state is None else random_state
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
