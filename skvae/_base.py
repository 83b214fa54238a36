"""Shared estimator machinery: parameters, validation calls and training.

Concrete estimators implement the abstract hooks; training plumbing lives in
``_training`` (plain values), the skorch glue in ``_net`` and the chunked
inference methods in ``_inference``.
"""

import functools
from abc import ABC, abstractmethod

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._accelerate import accelerated_device, detached, shared_random_state
from ._atomic import AllOrNoneParamsMixin, unchanged_on_failure
from ._build import build_module, make_module
from ._device import resolve_device
from ._inference import ChunkedInference, as_tensor
from ._mixed import CategoricalColumns
from ._net import bare_module
from ._sklearn import _fit_context
from ._state import SavedAutoencoder
from ._training import (
    make_callbacks,
    make_net,
    n_epochs,
    rows_dtype,
    run_epochs,
    spawn_seeds,
    split_rows,
    statistics_rows,
    sync_net,
)
from ._validation import (
    AUTOENCODER_CONSTRAINTS,
    STRUCTURE_PARAMS,
    check_binarize,
    check_monitors,
    check_networks,
    check_numeric_rows,
    check_structure,
    check_values,
    from_torch,
)
from .nn.summary import summarize


class _BaseAutoencoder(
    ClassNamePrefixFeaturesOutMixin,
    AllOrNoneParamsMixin,
    CategoricalColumns,
    ChunkedInference,
    SavedAutoencoder,
    BaseEstimator,
    ABC,
):
    """Parameters, validation, training and inference shared by the autoencoders."""

    _parameter_constraints: dict = AUTOENCODER_CONSTRAINTS

    # -- hooks for subclasses -------------------------------------------------

    _module_class = None  # the skvae.nn module the estimator trains
    _net_class = None  # the skorch net of _net that trains it

    @abstractmethod
    def _loss_params(self):
        """The net's loss parameters, as a dict: synced before every training call."""

    @abstractmethod
    def _score_batch(self, module, x, keys, observed):
        """Per-row log-likelihood of rows ``x`` (a tensor; ``keys``: theirs;
        ``observed``: the mask of their observed entries, None if all are)."""

    def _score_keys(self, X):
        """What ``_score_batch`` needs of each row of ``X`` beyond its values.

        Computed once for all rows, before any chunk is scored; None: nothing.
        """
        return None

    @abstractmethod
    def _after_training(self, X, missing):
        """Update state derived from the trained module.

        ``X``: the validated training rows, or a random ``STATISTICS_ROWS`` of
        them; ``missing``: whether the rows may have NaN entries.
        """

    @abstractmethod
    def sample(self, n_samples=1, random_state=None):
        """Draw ``n_samples`` new rows from the fitted model."""

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
        return self._build_and_train(X)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Train for one pass over ``X``, initialising on the first call.

        The first call also fixes the input standardisation (from that call's
        ``X``), the number of features and the parameters that build the module
        and its optimizer (``latent_dim``, ``likelihood``, the networks,
        ``device``, ``optimizer``). Later calls
        check every parameter and the rows first: a call they reject raises a
        ValueError and leaves the trained model exactly as it was. So does a call
        that fails while it trains (divergence, Ctrl-C): it puts back a copy of
        the net made before training (about 2 ms for the digits MLP).

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
        if not hasattr(self, "net_"):
            return self._build_and_train(X, epochs=1)
        # Every check runs before training changes anything, so a rejected call
        # costs no copy. scikit-learn validates parameters on a fitted
        # estimator's partial_fit only if asked.
        self._validate_params()
        check_structure(self.get_params(deep=False), self._structure_)
        if self.accelerator is not None:
            raise ValueError(
                "partial_fit cannot continue a fitted model with an accelerator: "
                "each data-parallel fit prepares a new net and detaches it after "
                "training. Call fit, or set accelerator=None to train on in this "
                "process alone."
            )
        X, missing = self._validate_X(X)
        train, valid = self._training_sets(X, missing)
        with unchanged_on_failure(self, net_=self.net_.snapshot()):
            self._run(X, missing, train, valid, 1)
        return self

    def _build_and_train(self, X, epochs=None):
        """Validate ``X``, build a new model and train it; as before on any failure.

        ``epochs`` None trains ``max_epochs`` (resolved for ``"auto"``), the
        period the model is built for either way. A model fitted before is
        replaced only when the new one has trained.
        """
        with unchanged_on_failure(self):
            X, missing = self._validate_X(X, reset=True)
            period = n_epochs(self.max_epochs, len(X), self.batch_size)
            self._initialize(X, period)
            train, valid = self._training_sets(X, missing)
            self._run(X, missing, train, valid, period if epochs is None else epochs)
        return self

    def _initialize(self, X, epochs):
        """Build the seeded module and the skorch net that trains it.

        ``epochs`` is the length of the first training call (the cosine period).
        """
        self._structure_ = {name: getattr(self, name) for name in STRUCTURE_PARAMS}
        check_networks(**self._networks(), n_features=X.shape[1])
        accelerator = self.accelerator
        if accelerator is None:
            self.device_ = resolve_device(self.device)
            self._seeds_ = spawn_seeds(self.random_state)
        else:
            self.device_ = accelerated_device(accelerator, self.device)
            random_state = shared_random_state(self.random_state, accelerator)
            self._seeds_ = spawn_seeds(random_state, accelerator.process_index)
        module = build_module(
            functools.partial(self._make_module, X.shape[1]),
            X,
            self._seeds_.init,
            latent_dim=self.latent_dim,
            custom_networks=self.encoder is not None,
            device=self.device_,
        )
        self.net_ = self._make_net(module.to(self.device_), epochs)

    def _networks(self):
        names = ("architecture", "hidden_dims", "image_shape", "encoder", "decoder")
        return {name: getattr(self, name) for name in names}

    def _make_module(self, n_features):
        """A fresh module as ``_structure_`` describes, for rows of ``n_features``."""
        structure = self._structure_
        return make_module(
            self._module_class,
            n_features,
            latent_dim=structure["latent_dim"],
            likelihood=structure["likelihood"],
            category_sizes=self._category_sizes(),
            **{name: structure[name] for name in self._networks()},
        )

    def _make_net(self, module, epochs):
        """The skorch net that trains ``module`` (on ``device_``) with the
        ``_structure_``'s optimizer and the callbacks of the parameters;
        ``epochs``: the cosine schedule's period."""
        callbacks = make_callbacks(
            loss_parts=self._net_class.loss_parts,
            early_stopping=self.early_stopping,
            lr_schedule=self.lr_schedule,
            n_iter_no_change=self.n_iter_no_change,
            tol=self.tol,
            max_epochs=epochs,
            verbose=self.verbose,
            callbacks=self.callbacks,
        )
        return make_net(
            self._net_class,
            module,
            seeds=self._seeds_,
            device=self.device_,
            callbacks=callbacks,
            optimizer=self._structure_["optimizer"],
            accelerator=self.accelerator,
            **self._net_params(),
        )

    def _net_params(self):
        """The net's parameters that may change between training calls."""
        return {
            "lr": self.lr,
            "batch_size": self.batch_size,
            "verbose": self.verbose,
            "trim_fraction": self.trim_fraction,
            **self._loss_params(),
        }

    def _training_sets(self, X, missing):
        """The training and validation sets of a call; checks, changes nothing."""
        check_binarize(self.binarize, self.likelihood)
        train, valid = split_rows(
            self._training_rows(X),
            self.validation_fraction,
            self._seeds_.split,
            # Early stopping counts when the net was built with it, so a later
            # set_params cannot leave its callback without a validation loss.
            early_stopping="early_stopping" in dict(self.net_.callbacks_),
            draws=self.net_.binarize_generator if self.binarize else None,
            has_missing=missing,
        )
        if valid is None:
            check_monitors(self.net_.callbacks_)
        return train, valid

    def _run(self, X, missing, train, valid, epochs):
        """Sync the net with the current parameters, train ``epochs`` on the sets
        of ``X`` (with NaN entries when ``missing``), then update the statistics."""
        sync_net(self.net_, valid=valid, max_epochs=epochs, **self._net_params())
        run_epochs(self.net_, train, self._seeds_.layers, self.device_)
        self.net_ = detached(self.net_, self.device_)
        self._after_training(statistics_rows(X, self._seeds_.statistics), missing)

    def _training_rows(self, X):
        """``X`` as one tensor on the device, float64 only where float32 would blur.

        The module standardises rows in their own precision, then casts them.
        """
        layer = self.module_.standardize
        scale = None if layer is None else layer.scale.cpu().numpy()
        return as_tensor(X, dtype=rows_dtype(X, scale), device=self.device_)

    # -- validation -------------------------------------------------------------

    def _validate_X(self, X, *, reset=False):
        """``X`` validated, and whether it has missing (NaN) entries."""
        X = from_torch(X)
        columns = self._table_columns(X, reset)
        if columns is not None:
            return self._validate_table(X, columns, reset)
        check_numeric_rows(X)
        X = validate_data(
            self,
            X,
            reset=reset,
            dtype=[np.float64, np.float32],
            ensure_all_finite=False,  # check_values checks it in the same pass
        )
        # A fitted model checks the support of the likelihood it was built with.
        likelihood = self.likelihood if reset else self._structure_["likelihood"]
        missing = check_values(
            X,
            estimator_name=type(self).__name__,
            bernoulli=likelihood == "bernoulli",
            fitting=reset,
        )
        return X, missing

    # -- inference ------------------------------------------------------------

    @property
    def module_(self):
        """The trained torch module (lives in ``net_``)."""
        return bare_module(self.net_.module_)

    @property
    def history_(self):
        """skorch History: per-epoch training loss and timing."""
        return self.net_.history

    @property
    def input_mean_(self):
        """ndarray: offset subtracted from each feature, read from the module."""
        return self._standardization()[0]

    @property
    def input_scale_(self):
        """ndarray: what each feature is divided by, read from the module."""
        return self._standardization()[1]

    def _standardization(self):
        check_is_fitted(self)
        layer = self.module_.standardize
        if layer is None:  # a Bernoulli model reads its rows as they are
            width = self._model_width
            return np.zeros(width), np.ones(width)
        return layer.shift.cpu().numpy().copy(), layer.scale.cpu().numpy().copy()

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
        summary : skvae.nn.summary.ModelSummary
            Rows and totals; printing it shows the table.
        """
        check_is_fitted(self)
        example = torch.zeros(2, self._model_width, device=self.device_)
        return summarize(self.module_, example, depth=depth)

    def __getstate__(self):
        # An Accelerator is a handle on the processes of one launch, meaningless
        # in another: a pickle (or deepcopy) holds accelerator=None.
        return {**super().__getstate__(), "accelerator": None}

    def __setstate__(self, state):
        super().__setstate__(state)
        # skorch puts a CUDA model unpickled without CUDA on the CPU, with a
        # warning; the estimator follows it there, as skvae.load does.
        net = vars(self).get("net_")
        if net is not None and str(net.device) != self.device_:
            self.device_ = str(net.device)
            if self.device != "auto":
                self.device = self._structure_["device"] = self.device_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.allow_nan = True
        return tags
