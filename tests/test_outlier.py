"""AutoencoderOutlierDetector: scores, thresholds, wrapped estimators, attribution."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.decomposition import PCA, FactorAnalysis, TruncatedSVD
from sklearn.exceptions import NotFittedError
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import LinearRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted

from skvae import AETransformer, AutoencoderOutlierDetector, VAETransformer
from tests.conftest import ESTIMATORS, FAST

UNSEEDED = {**FAST, "random_state": None}


def _wrapped():
    """Every kind of estimator the detector wraps, as pytest params."""
    return [
        pytest.param(None, id="default"),
        pytest.param(VAETransformer(**FAST), id="vae"),
        pytest.param(AETransformer(**FAST), id="ae"),
        pytest.param(
            make_pipeline(StandardScaler(), VAETransformer(**FAST)),
            id="pipeline",
        ),
        pytest.param(PCA(2), id="pca"),
    ]


def _reconstructing():
    """The wrapped estimators that have inverse_transform and train fast."""
    return [p for p in _wrapped() if p.id != "default"]


def _planted(n_samples=200, n_outliers=10, seed=0):
    """Standard-normal rows with 4 features; the first rows shifted by +8."""
    X = np.random.RandomState(seed).normal(size=(n_samples, 4))
    X[:n_outliers] += 8
    is_outlier = np.arange(n_samples) < n_outliers
    return X, is_outlier


def _two_factor(n_samples, seed):
    """6 features driven by 2 latent factors plus small noise.

    The loadings form a tight frame (feature j loads on angle j * pi / 6), so every
    feature is equally well explained and none is a near copy of another.
    """
    angles = np.arange(6) * np.pi / 6
    loadings = np.stack([np.cos(angles), np.sin(angles)])
    rng = np.random.RandomState(seed)
    z = rng.normal(size=(n_samples, 2))
    return z @ loadings + 0.1 * rng.normal(size=(n_samples, 6))


class _Centerer(TransformerMixin, BaseEstimator):
    """A transformer with neither inverse_transform nor score_samples."""

    def fit(self, X, y=None):
        self.mean_ = np.asarray(X).mean(axis=0)
        return self

    def transform(self, X):
        return np.asarray(X) - self.mean_


# -- API semantics ----------------------------------------------------------------


@pytest.mark.parametrize("estimator", _wrapped())
@pytest.mark.parametrize("contamination", ["auto", 0.1])
def test_decision_function_is_score_samples_minus_offset(estimator, contamination):
    """decision_function equals score_samples minus offset_."""
    X, _ = _planted()
    detector = AutoencoderOutlierDetector(
        estimator, contamination=contamination, random_state=0
    ).fit(X)
    assert_allclose(
        detector.decision_function(X), detector.score_samples(X) - detector.offset_
    )


@pytest.mark.parametrize("estimator", _reconstructing())
def test_predict_flags_exactly_the_negative_decisions(estimator):
    """predict is -1 where decision_function < 0 and +1 elsewhere, 0 included."""
    # With 201 rows the 10% quantile is the 21st lowest training score itself, so
    # one training row sits exactly on the threshold.
    X, _ = _planted(n_samples=201)
    detector = AutoencoderOutlierDetector(
        estimator, contamination=0.1, random_state=0
    ).fit(X)
    decision = detector.decision_function(X)
    assert (decision == 0).sum() == 1
    labels = detector.predict(X)
    assert_array_equal(labels, np.where(decision < 0, -1, 1))
    assert (labels == -1).sum() == 20
    X_new, _ = _planted(n_samples=100, n_outliers=5, seed=1)
    labels = detector.predict(X_new)
    assert set(np.unique(labels)) == {-1, 1}
    assert_array_equal(labels, np.where(detector.decision_function(X_new) < 0, -1, 1))


@pytest.mark.parametrize("estimator", _reconstructing())
def test_fit_predict_matches_fit_then_predict(estimator):
    """fit_predict(X) equals fit(X).predict(X)."""
    X, _ = _planted()
    detector = AutoencoderOutlierDetector(estimator, contamination=0.1, random_state=0)
    labels = detector.fit_predict(X)
    assert_array_equal(labels, detector.fit(X).predict(X))
    assert (labels == -1).any()


@pytest.mark.parametrize("estimator", _wrapped())
def test_planted_outliers_score_lower(estimator):
    """Rows shifted far from the bulk get lower scores (ROC-AUC above 0.9)."""
    X, is_outlier = _planted()
    detector = AutoencoderOutlierDetector(estimator, random_state=0).fit(X)
    assert roc_auc_score(~is_outlier, detector.score_samples(X)) > 0.9


# -- contamination ----------------------------------------------------------------


@pytest.mark.parametrize("contamination", [0.05, 0.1, 0.25, 0.5])
@pytest.mark.parametrize("score_by", ["likelihood", "reconstruction"])
def test_float_contamination_is_training_score_quantile(contamination, score_by):
    """A float contamination c puts offset_ at the c-quantile and flags c of rows."""
    X, _ = _planted()
    detector = AutoencoderOutlierDetector(
        VAETransformer(**UNSEEDED),
        contamination=contamination,
        score_by=score_by,
        random_state=0,
    ).fit(X)
    scores = detector.score_samples(X)
    assert detector.offset_ == pytest.approx(np.percentile(scores, 100 * contamination))
    n_flagged = (detector.predict(X) == -1).sum()
    assert abs(n_flagged - contamination * len(X)) <= 1


@pytest.mark.parametrize("score_by", ["likelihood", "reconstruction"])
def test_auto_contamination_is_tukey_lower_fence(score_by):
    """contamination="auto" puts offset_ at Q1 - 1.5 * IQR of the training scores."""
    X, _ = _planted()
    detector = AutoencoderOutlierDetector(
        VAETransformer(**UNSEEDED), score_by=score_by, random_state=0
    ).fit(X)
    q1, q3 = np.percentile(detector.score_samples(X), [25, 75])
    assert detector.offset_ == pytest.approx(q1 - 1.5 * (q3 - q1))


@pytest.mark.parametrize("contamination", [0, 0.0, -0.1, 0.6, 1.0, "x"])
def test_invalid_contamination_raises(contamination):
    """contamination outside (0, 0.5] and other strings than "auto" are rejected."""
    X, _ = _planted(n_samples=20)
    detector = AutoencoderOutlierDetector(PCA(2), contamination=contamination)
    with pytest.raises(InvalidParameterError, match="contamination"):
        detector.fit(X)


# -- wrapped estimators -----------------------------------------------------------


@pytest.mark.parametrize("estimator", _wrapped())
def test_auto_score_is_the_estimators_likelihood(estimator):
    """score_by="auto" picks the likelihood, which is the estimator's score_samples."""
    X, _ = _planted()
    detector = AutoencoderOutlierDetector(estimator, random_state=0).fit(X)
    assert detector.score_by_ == "likelihood"
    assert_allclose(detector.score_samples(X), detector.estimator_.score_samples(X))


@pytest.mark.parametrize(
    "shape, latent_dim, max_epochs",
    [((60, 4), 2, 200), ((1000, 30), 8, 25), ((3000, 1), 1, 8), ((40, 3), 1, 200)],
)
def test_default_estimator_is_a_short_trimmed_vae(shape, latent_dim, max_epochs):
    """estimator=None trains a VAETransformer sized to X: about 200 steps of 128
    rows, trimmed batches, half the features as latent size (1 to 8), one hidden
    layer; the param stays None."""
    X = np.random.RandomState(0).normal(size=shape)
    detector = AutoencoderOutlierDetector(random_state=0).fit(X)
    assert detector.estimator is None
    model = detector.estimator_
    assert isinstance(model, VAETransformer)
    assert (model.latent_dim, model.max_epochs) == (latent_dim, max_epochs)
    assert (model.batch_size, model.trim_fraction) == (128, 0.3)
    assert (model.hidden_dims, model.lr) == ((64,), 3e-3)
    assert model.n_iter_ == max_epochs


def test_default_detector_repeats_with_random_state():
    """Two default detectors with the same random_state score alike, bit for bit;
    another seed gives other scores."""
    X, _ = _planted(n_samples=150)
    scores = [
        AutoencoderOutlierDetector(random_state=seed).fit(X).score_samples(X)
        for seed in (0, 0, 1)
    ]
    assert_array_equal(scores[0], scores[1])
    assert not np.array_equal(scores[0], scores[2])


@pytest.mark.parametrize("estimator", _reconstructing())
@pytest.mark.parametrize("scale_errors", [False, True])
def test_reconstruction_score_is_minus_summed_squared_error(estimator, scale_errors):
    """score_by="reconstruction" is minus the (scaled) summed squared error."""
    X, _ = _planted()
    X_new, _ = _planted(n_samples=30, seed=1)
    detector = AutoencoderOutlierDetector(
        estimator, score_by="reconstruction", scale_errors=scale_errors, random_state=0
    ).fit(X)
    assert detector.score_by_ == "reconstruction"
    fitted = detector.estimator_

    def squared_errors(A):
        return (A - fitted.inverse_transform(fitted.transform(A))) ** 2

    scale = squared_errors(X).mean(axis=0)
    assert_allclose(detector.error_scale_, scale)
    expected = squared_errors(X_new) / (scale if scale_errors else 1.0)
    assert_allclose(detector.score_samples(X_new), -expected.sum(axis=1))


def test_likelihood_without_score_samples_raises():
    """score_by="likelihood" on an estimator without score_samples names it."""
    X, _ = _planted(n_samples=30)
    detector = AutoencoderOutlierDetector(TruncatedSVD(2), score_by="likelihood")
    with pytest.raises(TypeError, match="score_samples; TruncatedSVD has none"):
        detector.fit(X)
    with pytest.raises(NotFittedError):
        check_is_fitted(detector)


@pytest.mark.parametrize(
    "estimator",
    [pytest.param(Nystroem(n_components=5), id="nystroem"), _Centerer()],
)
@pytest.mark.parametrize("score_by", ["auto", "reconstruction"])
def test_reconstruction_without_inverse_transform_raises(estimator, score_by):
    """Reconstruction scores need inverse_transform; without it fit names the class."""
    X, _ = _planted(n_samples=30)
    detector = AutoencoderOutlierDetector(estimator, score_by=score_by)
    name = type(estimator).__name__
    with pytest.raises(TypeError, match=f"inverse_transform; {name} has none"):
        detector.fit(X)
    with pytest.raises(NotFittedError):
        check_is_fitted(detector)


def test_failed_refit_leaves_the_detector_as_it_was():
    """A refit that fails keeps the earlier fit whole, never half of each."""
    X, _ = _planted(n_samples=30)
    detector = AutoencoderOutlierDetector(PCA(2)).fit(X)
    fitted = dict(vars(detector))
    scores = detector.score_samples(X)
    detector.set_params(estimator=TruncatedSVD(2), score_by="likelihood")
    with pytest.raises(TypeError, match="TruncatedSVD has none"):
        detector.fit(X)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    detector.set_params(estimator=PCA(2), score_by="auto")
    with pytest.raises(ValueError, match="NaN"):
        detector.fit(X_nan)
    assert {k: v for k, v in vars(detector).items() if k.endswith("_")} == {
        k: v for k, v in fitted.items() if k.endswith("_")
    }
    assert_array_equal(detector.score_samples(X), scores)


def test_non_transformer_estimator_raises():
    """An estimator without transform fails parameter validation."""
    X, _ = _planted(n_samples=30)
    detector = AutoencoderOutlierDetector(LinearRegression())
    with pytest.raises(InvalidParameterError, match="'estimator' parameter"):
        detector.fit(X)
    with pytest.raises(NotFittedError):
        check_is_fitted(detector)


@pytest.mark.parametrize("estimator", _reconstructing())
def test_fit_leaves_the_passed_estimator_alone(estimator):
    """fit trains a clone: the estimator passed in keeps its params, unfitted."""
    X, _ = _planted()
    params = estimator.get_params(deep=True)
    detector = AutoencoderOutlierDetector(estimator, random_state=123).fit(X)
    assert detector.estimator is estimator
    assert detector.estimator_ is not estimator
    assert estimator.get_params(deep=True).keys() == params.keys()
    for key, value in estimator.get_params(deep=True).items():
        if not isinstance(value, BaseEstimator):
            assert value == params[key], key
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)


def _unseeded():
    """Unseeded wrapped estimators and the name of their seed parameter."""
    return [
        pytest.param(lambda: VAETransformer(**UNSEEDED), "random_state", id="vae"),
        pytest.param(
            lambda: make_pipeline(StandardScaler(), VAETransformer(**UNSEEDED)),
            "vaetransformer__random_state",
            id="pipeline",
        ),
    ]


@pytest.mark.parametrize("make, key", _unseeded())
def test_int_random_state_repeats_fit(make, key):
    """An int random_state makes two fits of an unseeded estimator agree exactly."""
    X, _ = _planted()
    first = AutoencoderOutlierDetector(make(), random_state=0).fit(X)
    second = AutoencoderOutlierDetector(make(), random_state=0).fit(X)
    assert first.estimator_.get_params()[key] == second.estimator_.get_params()[key]
    assert_array_equal(first.score_samples(X), second.score_samples(X))
    assert first.offset_ == second.offset_


@pytest.mark.parametrize("make, key", _unseeded())
def test_int_random_state_overrides_wrapped_seed(make, key):
    """An int random_state replaces the wrapped estimator's own seed, nested too."""
    X, _ = _planted()
    one = make().set_params(**{key: 1})
    two = make().set_params(**{key: 2})
    assert not np.allclose(
        clone(one).fit(X).score_samples(X), clone(two).fit(X).score_samples(X)
    )
    a = AutoencoderOutlierDetector(one, random_state=0).fit(X)
    b = AutoencoderOutlierDetector(two, random_state=0).fit(X)
    assert_array_equal(a.score_samples(X), b.score_samples(X))
    assert a.estimator_.get_params()[key] not in (1, 2)


@pytest.mark.parametrize("make, key", _unseeded())
def test_none_random_state_keeps_wrapped_seed(make, key):
    """random_state=None fits the wrapped estimator with its own seed."""
    X, _ = _planted()
    estimator = make().set_params(**{key: 3})
    detector = AutoencoderOutlierDetector(estimator).fit(X)
    assert detector.estimator_.get_params()[key] == 3
    assert_array_equal(
        detector.score_samples(X), clone(estimator).fit(X).score_samples(X)
    )


# -- determinism and small data ---------------------------------------------------


@pytest.mark.parametrize("score_by", ["auto", "reconstruction"])
def test_scores_repeat_and_do_not_depend_on_other_rows(score_by):
    """A row's score is the same on every call, in a subset, and in any order."""
    X, _ = _planted(n_samples=60)
    detector = AutoencoderOutlierDetector(
        VAETransformer(**UNSEEDED), score_by=score_by, random_state=0
    ).fit(X)
    scores = detector.score_samples(X)
    assert_array_equal(detector.score_samples(X), scores)
    order = np.random.RandomState(0).permutation(len(X))
    assert_allclose(detector.score_samples(X[order]), scores[order], rtol=1e-12)
    assert_allclose(detector.score_samples(X[7:19]), scores[7:19], rtol=1e-12)
    assert_allclose(detector.score_samples(X[3:4]), scores[3:4], rtol=1e-12)


@pytest.mark.parametrize("Estimator", [VAETransformer, AETransformer])
def test_fewer_rows_than_batch_size(Estimator):
    """Fitting on fewer rows than batch_size works and gives finite scores."""
    X, _ = _planted(n_samples=10, n_outliers=0)
    detector = AutoencoderOutlierDetector(
        Estimator(**UNSEEDED, batch_size=128), random_state=0
    ).fit(X)
    scores = detector.score_samples(X)
    assert scores.shape == (10,)
    assert np.isfinite(scores).all()
    assert np.isfinite(detector.offset_)
    assert set(np.unique(detector.predict(X))) <= {-1, 1}


# -- attribution ------------------------------------------------------------------


def _attribution_estimators():
    return [
        pytest.param(VAETransformer(hidden_dims=(16,), max_epochs=5), id="vae"),
        pytest.param(AETransformer(hidden_dims=(16,), max_epochs=5), id="ae"),
        pytest.param(PCA(2), id="pca"),
    ]


@pytest.mark.parametrize("estimator", _attribution_estimators())
@pytest.mark.parametrize("scale_errors", [False, True])
def test_reconstruction_error_points_at_corrupted_feature(estimator, scale_errors):
    """The largest per-feature error of a corrupted row is on the corrupted feature."""
    X = _two_factor(400, seed=0)
    X_test = _two_factor(10, seed=1)
    X_test[:, 3] += 10.0
    detector = AutoencoderOutlierDetector(
        estimator, scale_errors=scale_errors, random_state=0
    ).fit(X)
    errors = detector.reconstruction_error(X_test)
    assert errors.shape == (10, 6)
    assert_array_equal(errors.argmax(axis=1), np.full(10, 3))


@pytest.mark.parametrize("estimator", _attribution_estimators())
def test_scaled_training_errors_average_one(estimator):
    """With scale_errors=True each feature's mean training error is 1."""
    X = _two_factor(400, seed=0)
    detector = AutoencoderOutlierDetector(
        estimator, scale_errors=True, random_state=0
    ).fit(X)
    assert_allclose(detector.reconstruction_error(X).mean(axis=0), np.ones(6))
    assert not np.allclose(detector.error_scale_, 1.0)


@pytest.mark.parametrize(
    "estimator, score_by",
    [
        pytest.param(FactorAnalysis(2), "likelihood", id="factor-analysis"),
        pytest.param(FactorAnalysis(2), "auto", id="factor-analysis-auto"),
    ],
)
def test_reconstruction_error_needs_inverse_transform(estimator, score_by):
    """reconstruction_error raises TypeError when the estimator cannot reconstruct."""
    X, _ = _planted()
    detector = AutoencoderOutlierDetector(estimator, score_by=score_by).fit(X)
    assert detector.score_by_ == "likelihood"
    assert detector.error_scale_ is None
    with pytest.raises(TypeError, match="FactorAnalysis has no inverse_transform"):
        detector.reconstruction_error(X)


def test_reconstruction_error_requires_fit():
    """reconstruction_error on an unfitted detector raises NotFittedError."""
    X, _ = _planted(n_samples=20)
    with pytest.raises(NotFittedError):
        AutoencoderOutlierDetector(PCA(2)).reconstruction_error(X)


# -- input ------------------------------------------------------------------------


@pytest.mark.parametrize("estimator", _reconstructing())
@pytest.mark.parametrize("score_by", ["likelihood", "reconstruction"])
def test_dataframe_feature_names_are_delegated(estimator, score_by):
    """feature_names_in_ and n_features_in_ come from the fitted estimator."""
    X, _ = _planted()
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    detector = AutoencoderOutlierDetector(
        estimator, score_by=score_by, random_state=0
    ).fit(frame)
    assert_array_equal(detector.feature_names_in_, ["a", "b", "c", "d"])
    assert detector.n_features_in_ == 4
    assert detector.predict(frame).shape == (len(X),)


def test_array_input_records_no_feature_names():
    """Fitted on an ndarray, the detector has n_features_in_ but no feature names."""
    X, _ = _planted()
    detector = AutoencoderOutlierDetector(VAETransformer(**UNSEEDED)).fit(X)
    assert detector.n_features_in_ == 4
    assert not hasattr(detector, "feature_names_in_")


def test_unfitted_detector_has_no_n_features_in():
    """An unfitted detector has neither n_features_in_ nor feature_names_in_."""
    detector = AutoencoderOutlierDetector(VAETransformer(**UNSEEDED))
    assert not hasattr(detector, "n_features_in_")
    assert not hasattr(detector, "feature_names_in_")


def test_nan_in_fit_raises():
    """fit rejects X with NaN with a ValueError that says so."""
    X, _ = _planted(n_samples=30)
    X[4, 2] = np.nan
    detector = AutoencoderOutlierDetector(VAETransformer(**UNSEEDED))
    with pytest.raises(ValueError, match="X contains NaN"):
        detector.fit(X)


@pytest.mark.parametrize(
    "method", ["predict", "decision_function", "score_samples", "reconstruction_error"]
)
@pytest.mark.parametrize("score_by", ["likelihood", "reconstruction"])
@pytest.mark.parametrize(
    "estimator",
    [pytest.param(VAETransformer(**FAST), id="vae"), PCA(2)],
)
def test_bad_input_after_fit_raises(method, score_by, estimator):
    """NaN or a wrong number of features gives a clear ValueError after fit."""
    X, _ = _planted()
    detector = AutoencoderOutlierDetector(estimator, score_by=score_by).fit(X)
    with_nan = X[:5].copy()
    with_nan[1, 0] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        getattr(detector, method)(with_nan)
    with pytest.raises(ValueError, match="X has 3 features, but .* is expecting 4"):
        getattr(detector, method)(X[:5, :3])


@pytest.mark.parametrize("Estimator", [VAETransformer, AETransformer])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rows_far_out_score_lowest_and_are_outliers(Estimator, dtype):
    """Finite rows up to 1e30 standard deviations out never score NaN.

    Where the network overflows on them (NaN from inf - inf, measured for a VAE
    at 1e20) they score -inf, below every training row, and are outliers.
    """
    rng = np.random.RandomState(0)
    X = rng.randn(300, 5).astype(dtype)
    est = Estimator(max_epochs=30, random_state=0).fit(X)
    far = np.concatenate([rng.randn(50, 5) * scale for scale in (1e4, 1e8, 1e20, 1e30)])
    far = far.astype(dtype)
    scores = est.score_samples(far)
    assert not np.isnan(scores).any()
    assert scores.max() < est.score_samples(X).min()
    detector = AutoencoderOutlierDetector(Estimator(max_epochs=30), random_state=0).fit(
        X
    )
    assert (detector.predict(far) == -1).all()


@pytest.mark.parametrize("score_by", ["likelihood", "reconstruction"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_rows_the_model_overflows_on_score_minus_inf_either_way(Estimator, score_by):
    """A finite row at 1e308 scores -inf by likelihood and by reconstruction, and
    is flagged; it used to stop reconstruction scoring with "Z contains NaN"."""
    X = np.random.RandomState(0).uniform(size=(40, 3))
    detector = AutoencoderOutlierDetector(
        Estimator(**FAST), score_by=score_by, random_state=0
    ).fit(X)
    rows = np.array([[1e308, -1e308, 1e308], [0.5, 0.5, 0.5]])
    scores = detector.score_samples(rows)
    assert scores[0] == -np.inf
    assert np.isfinite(scores[1])
    assert detector.predict(rows)[0] == -1


class _UnderflowsFarOut(_Centerer):
    """A model whose likelihood underflows to -inf beyond 10 from the median."""

    def fit(self, X, y=None):
        self.mean_ = np.median(np.asarray(X), axis=0)
        return self

    def score_samples(self, X):
        distance = np.abs(self.transform(X)).max(axis=1)
        return np.where(distance > 10, -np.inf, -distance)


@pytest.mark.parametrize("contamination", ["auto", 0.1])
def test_training_rows_scoring_minus_inf_leave_a_finite_threshold(contamination):
    """offset_ is set on the finite scores: with a quarter of the training rows at
    -inf it was NaN (the fence) or -inf (the percentile), and none was flagged."""
    X = np.random.RandomState(0).uniform(size=(40, 3))
    X[:10] = 1e6
    detector = AutoencoderOutlierDetector(
        _UnderflowsFarOut(), contamination=contamination, score_by="likelihood"
    ).fit(X)
    assert np.isfinite(detector.offset_)
    assert (detector.predict(X[:10]) == -1).all()


def test_training_rows_all_minus_inf_are_a_clear_error():
    """When every training row overflows, fit says so instead of a NaN threshold."""
    X = np.random.RandomState(0).uniform(size=(40, 3))
    X[0] = [1e308, -1e308, 1e308]
    detector = AutoencoderOutlierDetector(
        VAETransformer(**FAST), score_by="reconstruction", random_state=0
    )
    with pytest.raises(ValueError, match="Every training row scores -inf"):
        detector.fit(X)
    assert not hasattr(detector, "offset_")


def test_reconstructions_of_another_shape_are_named():
    """An inverse_transform that gives other rows was numpy's broadcast error."""
    from sklearn.preprocessing import FunctionTransformer

    halves = FunctionTransformer(
        lambda Z: Z[:, :2], inverse_func=lambda Z: Z, check_inverse=False
    )
    with pytest.raises(ValueError, match=r"rows of shape \(2,\), not the \(4,\)"):
        AutoencoderOutlierDetector(halves).fit(np.zeros((10, 4)))


def test_nested_set_params_is_all_or_none():
    """A refused nested name used to leave the names before it set."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    detector = AutoencoderOutlierDetector(
        make_pipeline(StandardScaler(), VAETransformer(**FAST))
    )
    with pytest.raises(ValueError, match="Invalid parameter 'estimator__stand"):
        detector.set_params(
            estimator__vaetransformer__latent_dim=5,
            estimator__standardscaler__bogus=1,
        )
    assert detector.estimator[-1].latent_dim == 2
    detector.set_params(estimator=PCA(), estimator__n_components=3)
    assert detector.estimator.n_components == 3
