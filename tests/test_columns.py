"""Tests of categorical columns: categorical_features, round trips, unknown and
missing categories, dtypes (skvae._columns and skvae._mixed)."""

import numpy as np
import pandas as pd
import pytest

import skvae
from skvae import AETransformer, VAETransformer

from .conftest import ESTIMATORS, FAST


def _table(n=120, seed=0):
    rng = np.random.RandomState(seed)
    colour = rng.choice(["red", "green", "blue"], n, p=[0.5, 0.3, 0.2])
    count = np.where(colour == "red", 0, rng.poisson(4, n))
    return pd.DataFrame(
        {
            "colour": pd.Categorical(colour, categories=["red", "green", "blue"]),
            "count": count.astype(np.int64),
            "value": rng.normal(size=n) + (colour == "green") * 3,
            "size": rng.choice(["S", "L"], n).astype(object),
        }
    )


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "categorical_features",
    ["from_dtype", [0, 3], [True, False, False, True], ["colour", "size"]],
)
def test_categorical_features_forms_agree(Estimator, categorical_features):
    """Every form of categorical_features finds the same columns and categories."""
    df = _table()
    est = Estimator(categorical_features=categorical_features, **FAST).fit(df)
    np.testing.assert_array_equal(est.is_categorical_, [True, False, False, True])
    assert [list(c) for c in est.categories_] == [["red", "green", "blue"], ["L", "S"]]
    assert est.module_.n_features == 2 + 3 + 2


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_none_or_numeric_arrays_take_the_numeric_path(Estimator):
    """None, or 'from_dtype' on a numeric array, models every column as a number."""
    X = np.random.RandomState(0).normal(size=(40, 3))
    for value in (None, "from_dtype", []):
        est = Estimator(categorical_features=value, **FAST).fit(X)
        assert not est.is_categorical_.any() and est.categories_ == []
        assert est.sample(3).shape == (3, 3)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ([5], "outside"),
        ([True, False], "mask of 2"),
        (["nope"], "does not have"),
        ([[0]], "1-D"),
    ],
)
def test_bad_categorical_features_name_the_problem(value, match):
    """Out-of-range indices, a mask of the wrong length and unknown names are
    ValueErrors that say so."""
    with pytest.raises(ValueError, match=match):
        VAETransformer(categorical_features=value, **FAST).fit(_table())


def test_names_need_a_dataframe():
    """Column names on an array without names is a clear ValueError."""
    X = np.random.RandomState(0).randint(0, 3, size=(30, 2)).astype(float)
    with pytest.raises(ValueError, match="no column names"):
        VAETransformer(categorical_features=["a"], **FAST).fit(X)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sample_and_inverse_transform_give_real_categories_and_dtypes(Estimator):
    """Rows come back as a DataFrame with the fit's columns, dtypes and only
    categories seen in fit; integer columns hold whole numbers."""
    df = _table()
    est = Estimator(**FAST).fit(df)
    for rows in (
        est.sample(50, random_state=1),
        est.inverse_transform(est.transform(df)),
    ):
        assert list(rows.columns) == list(df.columns)
        assert rows.dtypes.to_dict() == df.dtypes.to_dict()
        assert set(rows["colour"]) <= {"red", "green", "blue"}
        assert set(rows["size"]) <= {"S", "L"}
        assert rows["count"].min() >= df["count"].min()
        assert rows["count"].max() <= df["count"].max()


def test_sample_draws_categories_at_their_frequencies():
    """A trained VAE's samples hold every category about as often as the data."""
    df = _table(n=1500)
    est = VAETransformer(latent_dim=3, max_epochs=60, random_state=0).fit(df)
    rows = est.sample(3000, random_state=0)
    real = df["colour"].value_counts(normalize=True)
    drawn = rows["colour"].value_counts(normalize=True)
    np.testing.assert_allclose(drawn[real.index], real, atol=0.06)
    # The mass at 0 of ``count`` (every red row) is kept at exactly 0.
    assert abs((rows["count"] == 0).mean() - (df["count"] == 0).mean()) < 0.08


def test_sample_is_repeatable():
    """The same random_state draws the same rows."""
    est = VAETransformer(**FAST).fit(_table())
    pd.testing.assert_frame_equal(
        est.sample(20, random_state=3), est.sample(20, random_state=3)
    )


def test_categorical_columns_of_a_numeric_array_come_back_as_values():
    """Categories given by index on a numeric array are returned as their values."""
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.choice([2.0, 5.0, 7.0], 60), rng.normal(size=60)])
    est = VAETransformer(categorical_features=[0], **FAST).fit(X)
    rows = est.sample(30, random_state=0)
    assert isinstance(rows, np.ndarray) and rows.shape == (30, 2)
    assert set(rows[:, 0]) <= {2.0, 5.0, 7.0}


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_unknown_categories_follow_handle_unknown(Estimator):
    """An unseen category is an error naming the column by default, and reads as
    missing with handle_unknown='ignore' (scores and codes stay finite)."""
    df = _table()
    est = Estimator(**FAST).fit(df)
    new = df.iloc[:3].copy()
    new["size"] = ["XL", "S", "L"]
    with pytest.raises(ValueError, match="'size'.*XL"):
        est.transform(new)
    est.set_params(handle_unknown="ignore")
    assert np.isfinite(est.score_samples(new)).all()
    missing = new.copy()
    missing.loc[0, "size"] = None
    np.testing.assert_allclose(est.transform(new)[0], est.transform(missing)[0])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_missing_categories_are_masked(Estimator):
    """Rows with missing categories fit and score; a missing category scores
    higher than any observed one (it leaves a probability out)."""
    df = _table()
    df["colour"] = df["colour"].astype(object)
    df.loc[::7, "colour"] = np.nan
    est = Estimator(**FAST).fit(df)
    assert est.categories_[0].tolist() == ["blue", "green", "red"]
    scores = est.score_samples(df)
    assert np.isfinite(scores).all()


def test_score_is_probability_of_categories():
    """With only categorical columns, exp(score) over every possible row sums to
    at most 1: scores are log-probabilities (an ELBO bounds them below)."""
    rng = np.random.RandomState(0)
    df = pd.DataFrame(
        {"a": rng.choice(["x", "y"], 200), "b": rng.choice(["u", "v", "w"], 200)}
    )
    df = df.astype("category")
    est = VAETransformer(
        latent_dim=1, n_importance_samples=200, **{**FAST, "max_epochs": 20}
    ).fit(df)
    grid = pd.DataFrame(
        [(a, b) for a in "xy" for b in "uvw"], columns=["a", "b"]
    ).astype(df.dtypes.to_dict())
    total = np.exp(est.score_samples(grid)).sum()
    assert 0.8 < total <= 1.0 + 1e-6


def test_partial_fit_keeps_the_categories_of_the_first_call():
    """Later partial_fit calls read rows with the first call's categories."""
    df = _table()
    est = VAETransformer(**FAST).partial_fit(df)
    est.partial_fit(df.iloc[:40])
    assert [list(c) for c in est.categories_][1] == ["L", "S"]
    with pytest.raises(ValueError, match="not seen in fit"):
        est.partial_fit(df.assign(size="M"))


def test_set_output_pandas_still_works_for_transform():
    """transform's output follows set_output on a mixed table."""
    est = AETransformer(**FAST).set_output(transform="pandas").fit(_table())
    codes = est.transform(_table())
    assert isinstance(codes, pd.DataFrame)
    assert list(codes.columns) == ["aetransformer0", "aetransformer1"]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_save_and_load_a_mixed_type_model(Estimator, tmp_path):
    """skvae.save/load keeps the categories, numeric maps and dtypes: the loaded
    model samples and scores exactly as the saved one."""
    import skvae

    df = _table()
    df.loc[2, "value"] = np.nan
    est = Estimator(**FAST).fit(df)
    path = tmp_path / "mixed.skvae"
    skvae.save(est, path)
    loaded = skvae.load(path)
    pd.testing.assert_frame_equal(
        loaded.sample(20, random_state=0), est.sample(20, random_state=0)
    )
    np.testing.assert_array_equal(loaded.score_samples(df), est.score_samples(df))
    assert [list(c) for c in loaded.categories_] == [list(c) for c in est.categories_]


def test_detector_scores_a_mixed_table_by_likelihood(tmp_path):
    """Setting every row's category to a rare one lowers the scores by about the
    log-ratio of the frequencies; squared errors, undefined for categories, are
    refused with the columns named; a missing category is refused as NaN is."""
    from skvae import AutoencoderOutlierDetector

    rng = np.random.RandomState(0)
    kinds = ["common", "middle", "rare"]
    table = pd.DataFrame(
        {
            "value": rng.normal(size=400),
            "kind": pd.Categorical(rng.choice(kinds, 400, p=[0.8, 0.15, 0.05]), kinds),
        }
    )
    model = VAETransformer(**{**FAST, "max_epochs": 200})
    detector = AutoencoderOutlierDetector(model).fit(table)
    assert detector.score_by_ == "likelihood"
    assert detector.predict(table).shape == (400,)
    as_kind = {
        kind: detector.score_samples(
            table.assign(kind=pd.Categorical([kind] * 400, kinds))
        ).mean()
        for kind in kinds
    }
    assert as_kind["rare"] < as_kind["middle"] < as_kind["common"] - 0.5
    with pytest.raises(TypeError, match=r"categorical columns \['kind'\]"):
        detector.reconstruction_error(table)
    with pytest.raises(ValueError, match="needs numeric columns"):
        AutoencoderOutlierDetector(model, score_by="reconstruction").fit(table)
    skvae.save(detector, tmp_path / "detector.skvae")
    loaded = skvae.load(tmp_path / "detector.skvae")
    np.testing.assert_allclose(
        loaded.score_samples(table), detector.score_samples(table)
    )
    holes = table.assign(kind=table["kind"].where(table.index > 0, None))
    with pytest.raises(ValueError, match="needs complete rows"):
        detector.score_samples(holes)


def test_imputer_names_the_non_numeric_columns():
    from skvae import VAEImputer

    with pytest.raises(ValueError, match=r"non-numeric columns \['colour', 'size'\]"):
        VAEImputer().fit(_table())


def test_log_jacobian_is_the_slope_of_the_normal_score_map():
    from skvae._quantiles import fit_quantiles, log_jacobian, to_normal

    rng = np.random.RandomState(0)
    train = np.column_stack([rng.gamma(2.0, 3.0, 500), rng.poisson(3, 500)])
    quantiles = fit_quantiles(train)
    integer = np.array([False, True])
    # Points between the quantiles, where the map is smooth.
    x = np.column_stack([rng.uniform(1.0, 10.0, 200), np.full(200, 2.0)])
    h = 1e-7
    up, down = to_normal(x + h, quantiles), to_normal(x - h, quantiles)
    numerical = np.log((up[:, 0] - down[:, 0]) / (2 * h))
    found = log_jacobian(x, to_normal(x, quantiles), quantiles, integer)
    np.testing.assert_allclose(found, numerical, rtol=1e-5)
    # The integer column counts in normal scores: no term; a hole neither.
    x[:5, 0] = np.nan
    assert (log_jacobian(x, to_normal(x, quantiles), quantiles, integer)[:5] == 0).all()


def _known_table(n, rng, kinds=("a", "b", "c"), p=(0.6, 0.3, 0.1)):
    return pd.DataFrame(
        {
            "x": rng.normal(3.0, 5.0, n),
            "kind": pd.Categorical(rng.choice(kinds, n, p=p), kinds),
            "count": rng.poisson(3, n),
        }
    )


def test_continuous_numbers_score_in_their_own_units():
    """On a known distribution the mean score bounds the true mean log-likelihood
    from below, closely; scaling a continuous column by 10 lowers the scores by
    log 10, as a density in its units must; an integer column counts in normal
    scores, so its scale does not matter."""
    from scipy import stats

    rng = np.random.RandomState(0)
    train, test = _known_table(2000, rng), _known_table(1000, rng)
    settings = {**FAST, "hidden_dims": (16,), "max_epochs": 30}
    columns = ["x", "kind"]
    scores = VAETransformer(**settings).fit(train[columns]).score_samples(test[columns])
    p = np.array([0.6, 0.3, 0.1])
    true = stats.norm(3.0, 5.0).logpdf(test["x"]) + np.log(p[test["kind"].cat.codes])
    assert true.mean() - 0.5 < scores.mean() < true.mean() + 0.05

    def mean_shift(column):
        model = VAETransformer(**settings)
        before = model.fit(train).score_samples(test)
        scaled = {column: lambda t: t[column] * 10}
        after = model.fit(train.assign(**scaled)).score_samples(test.assign(**scaled))
        return np.mean(after - before)

    assert mean_shift("x") == pytest.approx(-np.log(10), abs=0.05)
    assert mean_shift("count") == pytest.approx(0.0, abs=0.05)
