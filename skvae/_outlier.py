"""Outlier detection on autoencoder likelihoods or reconstruction errors.

A meta-estimator with scikit-learn's outlier-detector API (``OutlierMixin``):
fit on mostly normal rows, then rank and flag new ones.
"""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin, clone
from sklearn.utils.validation import check_array, check_is_fitted

from ._atomic import AllOrNoneParamsMixin, unchanged_on_failure
from ._default_model import default_model
from ._detector_rows import (
    _categorical_columns,
    _mapped_without_overflow,
    _reject_missing,
)
from ._detector_state import SavedDetector
from ._sklearn import HasMethods, StrOptions, _fit_context, _set_random_states
from ._validation import Number

# Tukey's fence: "auto" flags rows scoring below Q1 - 1.5 * IQR of the training scores.
_FENCE = 1.5


class AutoencoderOutlierDetector(
    OutlierMixin, AllOrNoneParamsMixin, SavedDetector, BaseEstimator
):
    """Outlier detector that ranks rows by an autoencoder's likelihood or error.

    Fits ``estimator`` (by default a :class:`VAETransformer`) on mostly normal
    rows, then scores rows by the fitted model's log-likelihood or by how badly it
    reconstructs them. Lower scores are more abnormal, as for every
    scikit-learn outlier detector. Scores are deterministic: a row gets the same
    score on every call, and in any batch to within rounding.

    Parameters
    ----------
    estimator : estimator object, default=None
        The model to fit: a :class:`VAETransformer` or :class:`AETransformer`, a
        :class:`~sklearn.pipeline.Pipeline` ending in one (so preprocessing
        such as scaling is part of the model), or any transformer with
        ``inverse_transform`` such as :class:`~sklearn.decomposition.PCA`.
        ``fit`` trains a clone. ``None`` uses a :class:`VAETransformer` sized
        to ``X``: ``latent_dim`` half the features (1 to 8),
        ``hidden_dims=(64,)``, ``lr=3e-3``, about 200 optimiser steps of 128
        rows (``max_epochs`` set to match) and ``trim_fraction=0.3``: a short
        training run that leaves each batch's worst rows out, because longer
        or untrimmed ones learn the rare rows too and rank them as normal (see
        Notes).
    contamination : "auto" or float, default="auto"
        Sets the threshold ``offset_`` between inliers and outliers from the
        training scores. A float in (0, 0.5] is the expected fraction of
        outliers in the training rows: ``offset_`` is that quantile of their
        scores. ``"auto"`` needs no guess: ``offset_`` is Tukey's lower fence
        ``Q1 - 1.5 * (Q3 - Q1)`` of the training scores, which flags rows far
        below the bulk and none when the scores have no lower tail.
    score_by : {"auto", "likelihood", "reconstruction"}, default="auto"
        How rows are scored. ``"likelihood"``: the estimator's
        ``score_samples``, the log-likelihood (in nats) for skvae's models and
        for ``PCA``. ``"reconstruction"``: minus the row's squared
        reconstruction error summed over features, from
        ``inverse_transform(transform(X))`` in the units of ``X``. ``"auto"``
        is ``"likelihood"`` when the estimator has ``score_samples``, else
        ``"reconstruction"``.
    scale_errors : bool, default=False
        Divide each feature's squared reconstruction error by its mean over the
        training rows, so features with large units or hard-to-reconstruct
        features do not dominate. Used by ``score_by="reconstruction"`` and by
        :meth:`reconstruction_error`.
    random_state : int, RandomState instance or None, default=None
        When not None, seeds every ``random_state`` parameter of the clone of
        ``estimator`` (nested ones in a pipeline included), overriding theirs,
        so that ``fit`` is repeatable. ``None`` leaves them as they are.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone of ``estimator``.
    score_by_ : str
        The score in use, ``"likelihood"`` or ``"reconstruction"``.
    offset_ : float
        Threshold on :meth:`score_samples`: rows scoring below it are outliers.
        :meth:`decision_function` is ``score_samples(X) - offset_``.
    error_scale_ : ndarray of shape (n_features_in_,) or None
        Mean squared reconstruction error of each feature on the training rows
        (1 where it is 0): the divisor of ``scale_errors=True``. ``None`` when
        the estimator has no ``inverse_transform``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``, when ``X`` has string column
        names (and the estimator records them).

    See Also
    --------
    sklearn.ensemble.IsolationForest : Tree-based detector, the usual baseline.
    sklearn.neighbors.LocalOutlierFactor : Density-ratio detector.

    Notes
    -----
    On tables, ranking by likelihood is usually far better than by squared
    error: the likelihood weighs each feature by how predictable it is and adds
    how unusual the latent code is (the KL term of the ELBO). It is a mean, not
    a rule: on the 8x8 digits with a Bernoulli likelihood, squared error ranks
    an unseen digit better; with a few labelled outliers, compare both.
    Flexible models fitted for long on contaminated rows learn the outliers
    and then rank them as normal, which is why the default trains briefly and
    trims each batch. On the 20 classical ADBench sets, fitted on all rows
    without labels, it reaches a mean ROC-AUC of 0.771, level with
    :class:`~sklearn.ensemble.IsolationForest` (0.771) and ahead of the kNN
    distance (0.756) and PCA's likelihood (0.735), in about three times
    IsolationForest's time; see the user guide's anomaly page. When the
    training rows are clean (novelty detection), train longer: a
    ``VAETransformer(latent_dim=8, max_epochs=50)`` fitted on the digits
    without the 7s ranks unseen 7s at ROC-AUC 0.94, against 0.84 for
    ``IsolationForest``.

    Examples
    --------
    >>> import numpy as np
    >>> from skvae import AutoencoderOutlierDetector, VAETransformer
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 4))
    >>> X[:5] += 6  # five outliers
    >>> detector = AutoencoderOutlierDetector(
    ...     VAETransformer(max_epochs=20), contamination=0.025, random_state=0
    ... ).fit(X)
    >>> detector.predict(X[:8])
    array([-1, -1, -1, -1, -1,  1,  1,  1])
    >>> detector.reconstruction_error(X[:2]).shape
    (2, 4)
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "transform"]), None],
        "contamination": [
            StrOptions({"auto"}),
            Number(Real, 0, 0.5, closed="right"),
        ],
        "score_by": [StrOptions({"auto", "likelihood", "reconstruction"})],
        "scale_errors": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        contamination="auto",
        score_by="auto",
        scale_errors=False,
        random_state=None,
    ):
        self.estimator = estimator
        self.contamination = contamination
        self.score_by = score_by
        self.scale_errors = scale_errors
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the estimator to ``X`` and set the outlier threshold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows, mostly normal.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The fitted detector.
        """
        # A failed (re)fit leaves the detector as it was: unfitted, or fitted
        # as before; never half of each.
        with unchanged_on_failure(self):
            self._fit(X)
        return self

    def _fit(self, X):
        _reject_missing(X)
        estimator, score = self._check_estimator(X)
        if self.random_state is not None:
            _set_random_states(estimator, self.random_state)
        self.estimator_ = estimator.fit(X)
        self.score_by_ = score
        categorical = _categorical_columns(estimator)
        if categorical and score == "reconstruction":
            raise ValueError(
                f"score_by='reconstruction' needs numeric columns, but X has the "
                f"categorical columns {categorical}, which have no squared error. "
                "Score by likelihood (score_by='likelihood'): "
                "it counts each category's log-probability."
            )
        if hasattr(estimator, "inverse_transform") and not categorical:
            errors = self._squared_errors(X)
            # Rows the model overflows on have infinite errors: the typical
            # error is that of the others.
            errors = errors[np.isfinite(errors).all(axis=1)]
            scale = errors.mean(axis=0) if len(errors) else np.ones(errors.shape[1])
            self.error_scale_ = np.where(scale > 0, scale, 1.0)
        else:
            self.error_scale_ = None
        scores = self.score_samples(X)
        # Rows scoring -inf are outliers whatever the threshold, which is set on
        # the others: a percentile or fence through -inf would be -inf or NaN.
        scores = scores[np.isfinite(scores)]
        if not len(scores):
            raise ValueError(
                "Every training row scores -inf: the model overflows on all of "
                "them. Standardise X (e.g. StandardScaler) before fitting."
            )
        if self.contamination == "auto":
            q1, q3 = np.percentile(scores, [25, 75])
            self.offset_ = float(q1 - _FENCE * (q3 - q1))
        else:
            self.offset_ = float(np.percentile(scores, 100 * self.contamination))

    def _check_estimator(self, X):
        """A clone of the estimator to fit to ``X`` and the score to use, after
        checks."""
        if self.estimator is None:
            # The model checks X itself, with its own messages; only its shape
            # is read here.
            rows = check_array(X, dtype=None, ensure_all_finite=False)
            estimator = default_model(*rows.shape)
        else:
            estimator = clone(self.estimator)
        name = type(estimator).__name__
        has_likelihood = hasattr(estimator, "score_samples")
        score = self.score_by
        if score == "auto":
            score = "likelihood" if has_likelihood else "reconstruction"
        if score == "likelihood" and not has_likelihood:
            raise TypeError(
                f"score_by='likelihood' needs an estimator with score_samples; {name} "
                "has none. Use score_by='reconstruction'."
            )
        if score == "reconstruction" and not hasattr(estimator, "inverse_transform"):
            raise TypeError(
                f"score_by='reconstruction' needs an estimator with inverse_transform; "
                f"{name} has none."
            )
        return estimator, score

    @property
    def n_features_in_(self):
        """Number of features seen during ``fit``."""
        return self.estimator_.n_features_in_

    @property
    def feature_names_in_(self):
        """Names of features seen during ``fit``."""
        return self.estimator_.feature_names_in_

    def _squared_errors(self, X):
        """Per-feature squared reconstruction errors, in the units of ``X``;
        infinite in rows so far out that the model overflows on them."""
        codes, encoded = _mapped_without_overflow(self.estimator_.transform, X)
        X = check_array(X, dtype=[np.float64, np.float32])
        reconstructed = np.full(X.shape, np.nan, dtype=X.dtype)
        if encoded.any():
            decode = self.estimator_.inverse_transform
            decoded, ok = _mapped_without_overflow(decode, codes)
            if np.shape(decoded)[1:] != X.shape[1:]:
                raise ValueError(
                    f"{type(self.estimator_).__name__}.inverse_transform gives rows "
                    f"of shape {np.shape(decoded)[1:]}, not the {X.shape[1:]} of "
                    "X: the detector cannot compare rows with their reconstructions."
                )
            reconstructed[np.flatnonzero(encoded)[ok]] = decoded
        with np.errstate(over="ignore", invalid="ignore"):
            errors = (X - reconstructed) ** 2
        errors[np.isnan(errors)] = np.inf
        return errors

    def reconstruction_error(self, X):
        """Squared reconstruction error of each feature of each row.

        Shows why a row is flagged: its largest entries are the features the
        model reconstructs worst. With ``scale_errors=True`` each feature's
        error is divided by its mean on the training rows (``error_scale_``), so
        1 is a typical error whatever the units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to explain.

        Returns
        -------
        errors : ndarray of shape (n_samples, n_features)
            ``(X - inverse_transform(transform(X))) ** 2``, divided by
            ``error_scale_`` when ``scale_errors=True``.
        """
        check_is_fitted(self)
        if self.error_scale_ is None:
            categorical = _categorical_columns(self.estimator_)
            raise TypeError(
                f"Rows with the categorical columns {categorical} have no squared "
                "reconstruction error."
                if categorical
                else f"{type(self.estimator_).__name__} has no inverse_transform, "
                "so rows have no reconstruction error."
            )
        _reject_missing(X)
        errors = self._squared_errors(X)
        if self.scale_errors:
            errors = errors / self.error_scale_
        return errors

    def score_samples(self, X):
        """Score of each row; the lower, the more abnormal.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The estimator's log-likelihood of each row (``score_by_="likelihood"``)
            or minus its summed squared reconstruction error.
        """
        check_is_fitted(self)
        if self.score_by_ == "likelihood":
            _reject_missing(X)
            return self.estimator_.score_samples(X)
        return -self.reconstruction_error(X).sum(axis=1)

    def decision_function(self, X):
        """Score shifted so that outliers are negative: ``score_samples(X) - offset_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        decision : ndarray of shape (n_samples,)
            Negative for outliers, zero or positive for inliers.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """Flag each row: -1 for an outlier, +1 for an inlier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            -1 where :meth:`decision_function` is negative, else +1.
        """
        return np.where(self.decision_function(X) < 0, -1, 1)
