"""Imputation of missing values with a VAE trained on the observed entries alone.

MIWAE (Mattei & Frellsen, ICML 2019): the VAE is fitted on the importance-weighted
bound of each row's observed entries, and each hole is filled with the
self-normalised importance-weighted conditional mean, or, for multiple
imputation, a draw from the model's conditional distribution.
"""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.impute import MissingIndicator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ._sklearn import HasMethods, Interval, _check_feature_names_in, _fit_context
from ._vae import VAETransformer
from ._validation import _non_numeric_columns

# The default VAE, chosen on load_breast_cancer, wine and diabetes at 50% missing
# (MIWAE's setting; benchmarks/imputation.py, mean MSE of seeds 0-2), trained for
# about _STEPS steps of _BATCH_SIZE rows whatever the number of rows. One hidden
# layer is the lever: breast_cancer 0.260 with one of 256 against 0.294 with the
# paper's two of 128 and 0.352 with three (wine 0.664 against 0.781, diabetes
# 0.655 against 0.690); 512 units gain nothing for twice the time, 2,000 or
# 5,000 steps do worse than 3,000, and a latent of 5 gives 0.308.
_STEPS = 3000
_BATCH_SIZE = 64
_HIDDEN = (256,)
_MAX_LATENT = 10
_TRAIN_DRAWS = 20


def default_imputer_model(n_samples, n_features):
    """The VAE that :class:`VAEImputer` fits when given none."""
    n_batches = max(1, math.ceil(n_samples / _BATCH_SIZE))
    return VAETransformer(
        latent_dim=max(1, min(_MAX_LATENT, n_features - 1)),
        hidden_dims=_HIDDEN,
        batch_size=_BATCH_SIZE,
        max_epochs=max(1, round(_STEPS / n_batches)),
        train_importance_samples=_TRAIN_DRAWS,
    )


class VAEImputer(TransformerMixin, BaseEstimator):
    """Fill missing values with a VAE fitted to the observed entries alone.

    The VAE learns the joint distribution of the features from incomplete rows,
    with each row's likelihood taken over its observed entries (the MIWAE bound
    of Mattei & Frellsen [1]_). Each missing entry is then filled with its
    conditional mean given the row's observed entries, estimated by
    self-normalised importance sampling over ``n_importance_samples`` draws of
    the latent code; observed entries are returned unchanged.

    Parameters
    ----------
    estimator : VAETransformer, default=None
        The model to fit (a clone is fitted). None fits a VAE sized to the
        table: one hidden layer of 256, ``latent_dim`` up to 10, trained on the
        importance-weighted bound of 20 draws for about 3,000 steps of 64 rows.
    missing_values : int, float or np.nan, default=np.nan
        The placeholder of a missing value. All its occurrences are imputed;
        with a number, ``X`` must not hold NaN.
    sample_posterior : bool, default=False
        Fill each hole with a draw from the model's conditional distribution of
        the missing entries given the observed ones (sampling importance
        resampling), instead of the conditional mean: for multiple imputation,
        fit and transform with several ``random_state``, as with
        ``IterativeImputer``.
    n_importance_samples : int, default=1000
        Latent draws per row behind each imputation.
    add_indicator : bool, default=False
        Append the ``MissingIndicator`` columns of the features that had missing
        values in ``fit``, as ``SimpleImputer`` does.
    random_state : int, RandomState instance or None, default=None
        Seeds the model's fit (it replaces the estimator's own when not None)
        and the draws of the imputations, which are a fixed function of each
        row: transforming a row gives the same values in any batch.

    Attributes
    ----------
    estimator_ : VAETransformer
        The fitted model.
    indicator_ : sklearn.impute.MissingIndicator or None
        The indicator of the missing values, with ``add_indicator``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``, when ``X`` has string column
        names.

    See Also
    --------
    sklearn.impute.IterativeImputer : Imputes each feature by regression on the
        others, in rounds.
    sklearn.impute.KNNImputer : Imputes from the nearest complete neighbours.

    Notes
    -----
    A row with no observed entry is filled with the model's marginal mean. A
    feature with no observed value in ``fit`` is an error. The model assumes the
    values are missing at random; values missing because of what they are
    (e.g. censored) bias it, as they bias every imputer above.

    References
    ----------
    .. [1] P.-A. Mattei and J. Frellsen, "MIWAE: Deep Generative Modelling and
       Imputation of Incomplete Data Sets", ICML 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skvae import VAEImputer, VAETransformer
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 4)) @ rng.normal(size=(4, 4))
    >>> X[rng.uniform(size=X.shape) < 0.2] = np.nan
    >>> vae = VAETransformer(max_epochs=5, train_importance_samples=5)
    >>> imputer = VAEImputer(vae, n_importance_samples=50, random_state=0)
    >>> filled = imputer.fit_transform(X)
    >>> observed = ~np.isnan(X)
    >>> bool(np.isnan(filled).any()), bool(np.all(filled[observed] == X[observed]))
    (False, True)
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "score_samples", "inverse_transform"]), None],
        "missing_values": [Real, Integral],
        "sample_posterior": ["boolean"],
        "n_importance_samples": [Interval(Integral, 1, None, closed="left")],
        "add_indicator": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        missing_values=np.nan,
        sample_posterior=False,
        n_importance_samples=1000,
        add_indicator=False,
        random_state=None,
    ):
        self.estimator = estimator
        self.missing_values = missing_values
        self.sample_posterior = sample_posterior
        self.n_importance_samples = n_importance_samples
        self.add_indicator = add_indicator
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the model to the observed entries of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with missing values (``missing_values``).
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The fitted imputer.
        """
        X = self._validate(X, reset=True)
        if self.estimator is None:
            estimator = default_imputer_model(*X.shape)
        elif isinstance(self.estimator, VAETransformer):
            estimator = clone(self.estimator)
        else:
            raise TypeError(
                "VAEImputer imputes with a VAE's importance weights, so estimator "
                f"must be a VAETransformer, got {type(self.estimator).__name__}."
            )
        if self.random_state is not None:
            estimator.set_params(random_state=self.random_state)
        self.estimator_ = estimator.fit(self._with_nan(X))
        # Keys the draws of every transform, with each row's values.
        self._draws_seed_ = int(check_random_state(self.random_state).randint(2**31))
        self.indicator_ = None
        if self.add_indicator:
            self.indicator_ = MissingIndicator(
                missing_values=self.missing_values, error_on_new=False
            ).fit(X)
        return self

    def transform(self, X):
        """Fill the missing values of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with missing values.

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_output_features)
            ``X`` with every missing value filled and the observed ones
            unchanged, followed by the indicator columns with ``add_indicator``.
        """
        check_is_fitted(self)
        X = self._validate(X)
        holes = self._holes(X)
        filled = X.copy()
        if holes.any():
            rows = np.flatnonzero(holes.any(axis=1))
            imputed = self.estimator_._imputed(
                self._with_nan(X[rows]),
                self.n_importance_samples,
                self.sample_posterior,
                self._draws_seed_,
            )
            filled[rows] = np.where(holes[rows], imputed, X[rows])
        if self.indicator_ is None:
            return filled
        indicator = self.indicator_.transform(X).astype(filled.dtype)
        return np.hstack([filled, indicator])

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: the input's, then the indicator's.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; ``feature_names_in_`` or ``x0, x1, ...`` when
            None.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The names of the columns :meth:`transform` returns.
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        if self.indicator_ is None:
            return names
        return np.concatenate([names, self.indicator_.get_feature_names_out(names)])

    def _validate(self, X, reset=False):
        nan = _is_nan(self.missing_values)
        text = _non_numeric_columns(X) if hasattr(X, "select_dtypes") else []
        if text:
            raise ValueError(
                f"VAEImputer imputes numeric columns; X has the non-numeric "
                f"columns {list(map(str, text))}. Encode them as numbers first "
                "(e.g. with OneHotEncoder), or impute them with "
                "SimpleImputer(strategy='most_frequent')."
            )
        return validate_data(
            self,
            X,
            reset=reset,
            dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan" if nan else True,
        )

    def _holes(self, X):
        if _is_nan(self.missing_values):
            return np.isnan(X)
        return X == self.missing_values

    def _with_nan(self, X):
        """``X`` with NaN at its missing values, as the model reads them."""
        if _is_nan(self.missing_values):
            return X
        return np.where(self._holes(X), np.nan, X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = _is_nan(self.missing_values)
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _is_nan(value):
    return isinstance(value, Real) and math.isnan(value)
