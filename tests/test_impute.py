"""Tests of skvae._impute (VAEImputer) and of the estimators' missing-value support."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skvae import AETransformer, VAEImputer, VAETransformer
from tests.conftest import ESTIMATORS, FAST

QUICK_VAE = {
    **FAST,
    "hidden_dims": (16,),
    "max_epochs": 5,
    "train_importance_samples": 3,
}


def _holed(n_samples=120, n_features=5, rate=0.3, seed=0):
    """Correlated rows, and the same rows with a share of entries set to NaN."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 2)) @ rng.normal(size=(2, n_features))
    X += 0.1 * rng.normal(size=X.shape)
    holed = X.copy()
    holed[rng.random(X.shape) < rate] = np.nan
    holed[np.isnan(holed).all(axis=1), 0] = X[np.isnan(holed).all(axis=1), 0]
    return X, holed


def _imputer(**params):
    return VAEImputer(VAETransformer(**QUICK_VAE), n_importance_samples=20, **params)


# -- the estimators on rows with holes ------------------------------------------


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_estimators_fit_rows_with_holes(cls, method):
    """fit and partial_fit take NaN; every method then gives finite numbers."""
    _, holed = _holed()
    est = getattr(cls(**FAST), method)(holed)
    assert np.isfinite(est.history_[-1, "train_loss"])
    assert np.isfinite(est.transform(holed)).all()
    assert np.isfinite(est.score_samples(holed)).all()
    assert_allclose(est.input_mean_, np.nanmean(holed, axis=0))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_holes_score_only_the_observed_entries(cls):
    """A row's score with a hole is its score without that feature's term: changing
    the value behind a NaN cannot change anything, and a hole raises the score
    (a density of fewer entries) of a Gaussian model."""
    X, holed = _holed(rate=0.0)
    est = cls(**FAST).fit(X)
    one = X[:10].copy()
    one[:, 2] = np.nan
    assert np.all(est.score_samples(one) > est.score_samples(X[:10]) - 1e-9) or (
        cls is AETransformer
    )
    again = one.copy()
    again[:, 2] = np.nan  # the same holes, scored twice
    assert_array_equal(est.score_samples(one), est.score_samples(again))
    assert np.isfinite(est.transform(one)).all()


def test_a_model_fitted_on_complete_rows_scores_rows_with_holes():
    """Fitted without NaN, a VAE transforms and scores rows with holes."""
    X, holed = _holed()
    vae = VAETransformer(**FAST).fit(X)
    assert np.isfinite(vae.score_samples(holed)).all()
    assert vae.transform(holed).shape == (len(X), 2)


def test_a_row_with_no_observed_entry_scores_near_zero():
    """A row with every entry missing is a density of nothing: its bound is at
    most 0 (log 1) and near it with many draws."""
    X, _ = _holed()
    vae = VAETransformer(**FAST, n_importance_samples=500).fit(X)
    empty = np.full((2, X.shape[1]), np.nan)
    scores = vae.score_samples(empty)
    assert np.all(scores <= 1e-9) and np.all(scores > -1.0)


def test_bernoulli_rows_with_holes():
    """The Bernoulli likelihood trains and scores on 0/1 rows with holes."""
    X, holed = _holed()
    binary = np.where(np.isnan(holed), np.nan, (X > 0).astype(float))
    vae = VAETransformer(**FAST, likelihood="bernoulli").fit(binary)
    assert np.isfinite(vae.score_samples(binary)).all()
    filled = VAEImputer(vae, n_importance_samples=20, random_state=0).fit_transform(
        binary
    )
    assert ((filled >= 0) & (filled <= 1)).all()


def test_a_column_with_no_observed_value_is_a_clear_error():
    """fit names the column with no observed value."""
    _, holed = _holed()
    holed[:, 3] = np.nan
    with pytest.raises(
        ValueError, match=r"no observed value in 1 column\(s\) \(at 3\)"
    ):
        VAETransformer(**FAST).fit(holed)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_infinity_is_still_an_error(cls):
    """inf is an error even among NaN."""
    _, holed = _holed()
    holed[3, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        cls(**FAST).fit(holed)


def test_free_bits_and_the_importance_weighted_bound_are_exclusive():
    """free_bits has no meaning for the importance-weighted training bound."""
    X, _ = _holed()
    with pytest.raises(ValueError, match="free_bits"):
        VAETransformer(**FAST, free_bits=0.1, train_importance_samples=3).fit(X)


# -- VAEImputer -----------------------------------------------------------------


def test_imputer_fills_holes_and_keeps_observed_entries():
    """transform leaves no NaN and returns observed entries bit for bit."""
    _, holed = _holed()
    filled = _imputer(random_state=0).fit_transform(holed)
    observed = ~np.isnan(holed)
    assert not np.isnan(filled).any()
    assert_array_equal(filled[observed], holed[observed])


def test_imputer_beats_the_mean_on_correlated_features():
    """Imputations use the other features: closer to the truth than column means."""
    X, holed = _holed(n_samples=300)
    imputer = VAEImputer(
        VAETransformer(**{**QUICK_VAE, "max_epochs": 60}), random_state=0
    )
    filled = imputer.fit_transform(holed)
    holes = np.isnan(holed)
    mean_fill = np.where(holes, np.nanmean(holed, axis=0), holed)
    assert np.mean((filled - X)[holes] ** 2) < 0.5 * np.mean(
        (mean_fill - X)[holes] ** 2
    )


@pytest.mark.parametrize("sample_posterior", [False, True])
def test_imputer_is_deterministic_and_batch_free(sample_posterior):
    """The same random_state gives the same imputations, in any batch of rows."""
    _, holed = _holed()
    first = _imputer(random_state=0, sample_posterior=sample_posterior).fit(holed)
    second = _imputer(random_state=0, sample_posterior=sample_posterior).fit(holed)
    assert_array_equal(first.transform(holed), second.transform(holed))
    assert_allclose(first.transform(holed[5:17]), first.transform(holed)[5:17])


def test_sample_posterior_draws_differ_by_random_state():
    """Multiple imputation: draws vary with random_state and differ from the mean."""
    _, holed = _holed()
    draws = [
        _imputer(random_state=seed, sample_posterior=True).fit_transform(holed)
        for seed in (0, 1)
    ]
    mean = _imputer(random_state=0).fit_transform(holed)
    holes = np.isnan(holed)
    assert not np.allclose(draws[0][holes], draws[1][holes])
    assert not np.allclose(draws[0][holes], mean[holes])


def test_missing_values_placeholder_and_indicator():
    """A numeric placeholder is imputed; add_indicator appends named mask columns."""
    _, holed = _holed()
    coded = np.where(np.isnan(holed), -999.0, holed)
    imputer = _imputer(missing_values=-999.0, add_indicator=True, random_state=0)
    out = imputer.fit_transform(coded)
    n_features = holed.shape[1]
    assert out.shape == (len(holed), 2 * n_features)
    assert not (out[:, :n_features] == -999.0).any()
    assert_array_equal(out[:, n_features:], np.isnan(holed))
    names = imputer.get_feature_names_out()
    assert list(names[:2]) == ["x0", "x1"]
    assert names[n_features] == "missingindicator_x0"


def test_imputer_rejects_other_estimators():
    """The imputer needs a VAE's importance weights."""
    _, holed = _holed()
    with pytest.raises(TypeError, match="must be a VAETransformer"):
        VAEImputer(AETransformer(**FAST)).fit(holed)


def test_imputer_in_a_pipeline_before_a_classifier():
    """Pipeline(imputer, scaler, classifier) cross-validates on rows with holes."""
    data = load_breast_cancer()
    X = StandardScaler().fit_transform(data.data)[:, :8]
    X[np.random.default_rng(0).random(X.shape) < 0.3] = np.nan
    pipe = make_pipeline(_imputer(random_state=0), LogisticRegression())
    scores = cross_val_score(pipe, X, data.target, cv=3)
    assert scores.mean() > 0.8
