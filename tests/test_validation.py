"""Bad input gets a clear error; edge cases of shape, dtype and batching work."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from skvae import AETransformer, VAETransformer

FAST = {"hidden_dims": (8,), "max_epochs": 2, "random_state": 0}
ESTIMATORS = [VAETransformer, AETransformer]
BAD_VALUES = [np.nan, np.inf, -np.inf]
BAD_VALUE_MESSAGE = {
    "nan": "contains NaN",
    "inf": "contains infinity",
    "-inf": "contains infinity",
}
# Where the bad value goes: first cell, a middle cell, last cell.
POSITIONS = [(0, 0), (7, 1), (-1, -1)]
NOT_FITTED = "is not fitted yet"


def _data(n_samples=20, n_features=3, seed=0):
    return np.random.RandomState(seed).normal(size=(n_samples, n_features))


def _unit_data(n_samples=20, n_features=3, seed=0):
    return np.random.RandomState(seed).uniform(size=(n_samples, n_features))


def _with(X, value, position):
    X = X.copy()
    X[position] = value
    return X


def _fitted(cls, X=None, **params):
    return cls(**{**FAST, **params}).fit(_data() if X is None else X)


def _assert_unfitted(est, X):
    with pytest.raises(NotFittedError, match=NOT_FITTED):
        check_is_fitted(est)
    with pytest.raises(NotFittedError, match=NOT_FITTED):
        est.transform(X)
    assert not hasattr(est, "net_")
    assert not hasattr(est, "n_features_in_")


def _assert_works(est, X):
    """transform, inverse_transform, score_samples and sample give finite output."""
    n_samples, n_features = X.shape
    Z = est.transform(X)
    assert Z.shape == (n_samples, est.latent_dim)
    assert np.all(np.isfinite(Z))
    X_back = est.inverse_transform(Z)
    assert X_back.shape == (n_samples, n_features)
    assert np.all(np.isfinite(X_back))
    scores = est.score_samples(X)
    assert scores.shape == (n_samples,)
    assert np.all(np.isfinite(scores))
    assert np.isfinite(est.score(X))
    samples = est.sample(3, random_state=0)
    assert samples.shape == (3, n_features)
    assert np.all(np.isfinite(samples))


# -- NaN and infinity ----------------------------------------------------------


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("value", BAD_VALUES, ids=str)
@pytest.mark.parametrize("position", POSITIONS, ids=str)
def test_fit_rejects_non_finite(cls, value, position):
    """fit raises a ValueError naming NaN or infinity wherever it sits in X."""
    est = cls(**FAST)
    with pytest.raises(ValueError, match=BAD_VALUE_MESSAGE[str(value)]):
        est.fit(_with(_data(), value, position))
    _assert_unfitted(est, _data())


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("method", ["transform", "score_samples", "score"])
@pytest.mark.parametrize("value", BAD_VALUES, ids=str)
@pytest.mark.parametrize("position", POSITIONS, ids=str)
def test_inference_rejects_non_finite(cls, method, value, position):
    """transform, score_samples and score raise a ValueError naming NaN/infinity."""
    est = _fitted(cls)
    with pytest.raises(ValueError, match=BAD_VALUE_MESSAGE[str(value)]):
        getattr(est, method)(_with(_data(), value, position))


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("value", BAD_VALUES, ids=str)
@pytest.mark.parametrize("position", POSITIONS, ids=str)
def test_partial_fit_after_fit_rejects_non_finite(cls, value, position):
    """partial_fit on a fitted model rejects NaN/inf and leaves the model as it was."""
    X = _data()
    est = _fitted(cls, X)
    before = est.transform(X)
    with pytest.raises(ValueError, match=BAD_VALUE_MESSAGE[str(value)]):
        est.partial_fit(_with(X, value, position))
    assert est.n_iter_ == FAST["max_epochs"]
    np.testing.assert_array_equal(est.transform(X), before)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("value", BAD_VALUES, ids=str)
def test_first_partial_fit_rejects_non_finite(cls, value):
    """A first partial_fit on NaN/inf data raises and leaves the model unfitted."""
    est = cls(**FAST)
    with pytest.raises(ValueError, match=BAD_VALUE_MESSAGE[str(value)]):
        est.partial_fit(_with(_data(), value, (3, 2)))
    _assert_unfitted(est, _data())


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("value", BAD_VALUES, ids=str)
@pytest.mark.parametrize("position", [(0, 0), (0, 1)], ids=str)
def test_inverse_transform_rejects_non_finite(cls, value, position):
    """inverse_transform raises a ValueError naming NaN/infinity in Z."""
    est = _fitted(cls)
    Z = _with(np.zeros((2, est.latent_dim)), value, position)
    with pytest.raises(ValueError, match=rf"Z {BAD_VALUE_MESSAGE[str(value)]}"):
        est.inverse_transform(Z)


# -- wrong widths --------------------------------------------------------------


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "method", ["transform", "score_samples", "score", "partial_fit"]
)
@pytest.mark.parametrize("n_features", [2, 4])
def test_wrong_number_of_features(cls, method, n_features):
    """After fit on 3 features, other widths raise a ValueError naming both."""
    est = _fitted(cls)
    with pytest.raises(ValueError, match=rf"X has {n_features} features.*expecting 3"):
        getattr(est, method)(_data(n_features=n_features))


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("width", [1, 3])
def test_inverse_transform_wrong_latent_width(cls, width):
    """inverse_transform of Z with the wrong width names latent_dim."""
    est = _fitted(cls, latent_dim=2)
    with pytest.raises(ValueError, match=rf"Z has {width} columns.*latent_dim=2"):
        est.inverse_transform(np.zeros((4, width)))


# -- non-numeric, empty, wrong ndim, sparse --------------------------------------


def _object_strings():
    return np.array([["a", "b", "c"], ["d", "e", "f"]], dtype=object)


def _frame_with_string_column():
    return pd.DataFrame(
        {"x": [0.1, 0.2, 0.3], "y": [1.0, 2.0, 3.0], "z": ["u", "v", "w"]}
    )


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "make_X", [_object_strings, _frame_with_string_column], ids=["object", "frame"]
)
def test_fit_rejects_non_numeric(cls, make_X):
    """fit on string data raises a ValueError saying X must be numeric."""
    est = cls(**FAST)
    with pytest.raises(ValueError, match="X must be a numeric array.*could not conv"):
        est.fit(make_X())
    _assert_unfitted(est, _data())


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_non_numeric_dataframe_column_is_named(cls):
    """The error for a DataFrame names its non-numeric column."""
    with pytest.raises(ValueError, match="non-numeric columns: z:"):
        cls(**FAST).fit(_frame_with_string_column())


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_ragged_rows_are_rejected(cls):
    """Rows of different lengths raise a ValueError saying X must be numeric."""
    with pytest.raises(ValueError, match="X must be a numeric array"):
        cls(**FAST).fit([[1.0, 2.0], [3.0]])


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("method", ["transform", "score_samples"])
def test_inference_rejects_non_numeric(cls, method):
    """transform and score_samples of string data raise a clear ValueError."""
    est = _fitted(cls)
    with pytest.raises(ValueError, match="X must be a numeric array.*could not conv"):
        getattr(est, method)(_object_strings())


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "shape, message",
    [((0, 3), r"0 sample\(s\)"), ((5, 0), r"0 feature\(s\)")],
    ids=["no-rows", "no-columns"],
)
def test_fit_rejects_empty(cls, shape, message):
    """fit on an array with no rows or no columns raises a ValueError saying so."""
    est = cls(**FAST)
    with pytest.raises(ValueError, match=message):
        est.fit(np.empty(shape))
    _assert_unfitted(est, _data())


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("method", ["transform", "score_samples", "partial_fit"])
def test_inference_rejects_empty(cls, method):
    """transform, score_samples and partial_fit of 0 rows raise a ValueError."""
    est = _fitted(cls)
    with pytest.raises(ValueError, match=r"0 sample\(s\)"):
        getattr(est, method)(np.empty((0, 3)))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_fit_rejects_1d(cls):
    """fit on a 1-D array asks for a 2-D array."""
    est = cls(**FAST)
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        est.fit(_data()[:, 0])
    _assert_unfitted(est, _data())


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("method", ["transform", "score_samples"])
def test_inference_rejects_1d(cls, method):
    """transform of a single row given as 1-D asks for a 2-D array."""
    est = _fitted(cls)
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        getattr(est, method)(_data()[0])


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("method", ["fit", "transform", "score_samples"])
def test_rejects_3d(cls, method):
    """3-D input raises a ValueError naming the dimension."""
    est = cls(**FAST) if method == "fit" else _fitted(cls)
    with pytest.raises(ValueError, match="dim 3"):
        getattr(est, method)(_data().reshape(20, 3, 1))


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("method", ["fit", "partial_fit", "transform", "score_samples"])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_rejects_sparse(cls, method, fmt):
    """Sparse input raises an error that says dense data is needed."""
    est = cls(**FAST) if method in ("fit", "partial_fit") else _fitted(cls)
    X = sp.random(20, 3, density=0.5, format=fmt, random_state=0)
    with pytest.raises((TypeError, ValueError), match="(?i)sparse.*dense"):
        getattr(est, method)(X)


# -- Bernoulli support -----------------------------------------------------------


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("value", [-0.5, 1.5, -1e-3, 2.0])
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_bernoulli_fit_rejects_out_of_support(cls, value, method):
    """Bernoulli fit on data outside [0, 1] raises a ValueError naming [0, 1]."""
    est = cls(likelihood="bernoulli", **FAST)
    with pytest.raises(ValueError, match=r"likelihood='bernoulli'.*\[0, 1\]"):
        getattr(est, method)(_with(_unit_data(), value, (4, 1)))
    _assert_unfitted(est, _unit_data())


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("value", [-0.5, 1.5])
@pytest.mark.parametrize("method", ["transform", "score_samples", "score"])
def test_bernoulli_inference_rejects_out_of_support(cls, value, method):
    """After a valid Bernoulli fit, rows outside [0, 1] raise a ValueError."""
    est = _fitted(cls, _unit_data(), likelihood="bernoulli")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        getattr(est, method)(_with(_unit_data(), value, (0, 2)))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_bernoulli_accepts_boundaries(cls):
    """Bernoulli data with exact 0s and 1s fits and gives finite outputs."""
    X = (_unit_data() > 0.5).astype(float)
    _assert_works(_fitted(cls, X, likelihood="bernoulli"), X)


# -- not fitted --------------------------------------------------------------------


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "call",
    [
        lambda est: est.transform(_data()),
        lambda est: est.inverse_transform(np.zeros((2, 2))),
        lambda est: est.score_samples(_data()),
        lambda est: est.score(_data()),
        lambda est: est.sample(),
        lambda est: est.get_feature_names_out(),
    ],
    ids=[
        "transform",
        "inverse_transform",
        "score_samples",
        "score",
        "sample",
        "get_feature_names_out",
    ],
)
def test_methods_before_fit_raise_not_fitted(cls, call):
    """Every fitted-state method raises NotFittedError before fit."""
    with pytest.raises(NotFittedError, match=NOT_FITTED):
        call(cls(**FAST))


# -- invalid parameters ------------------------------------------------------------


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "params, message",
    [
        ({"latent_dim": 0}, "latent_dim"),
        ({"latent_dim": 1.5}, "latent_dim"),
        ({"lr": 0}, "lr"),
        ({"lr": -1e-3}, "lr"),
        ({"batch_size": 0}, "batch_size"),
        ({"likelihood": "poisson"}, "likelihood"),
        ({"max_epochs": 0}, "max_epochs"),
        ({"max_epochs": "forever"}, "max_epochs"),
        ({"hidden_dims": (0,)}, "hidden_dims"),
        ({"hidden_dims": (8, -1)}, "hidden_dims"),
        ({"hidden_dims": ("a",)}, "hidden_dims"),
        ({"hidden_dims": (2.5,)}, "hidden_dims"),
        ({"hidden_dims": 8}, "hidden_dims"),
        ({"device": "nonsense"}, "device='nonsense'"),
    ],
    ids=str,
)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_invalid_parameters(cls, params, message, method):
    """Invalid parameters raise a ValueError naming the parameter; nothing is fitted."""
    est = cls(**{**FAST, **params})
    with pytest.raises(ValueError, match=message):
        getattr(est, method)(_data())
    _assert_unfitted(est, _data())


@pytest.mark.parametrize("beta", [-1, -1e-6, "big"])
def test_vae_invalid_beta(beta):
    """VAETransformer rejects a negative or non-numeric beta, naming it."""
    est = VAETransformer(beta=beta, **FAST)
    with pytest.raises(ValueError, match="'beta' parameter"):
        est.fit(_data())
    _assert_unfitted(est, _data())


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("device", ["cuda", "cuda:0"])
def test_cuda_unavailable(cls, device):
    """device='cuda' without CUDA raises a ValueError saying CUDA is unavailable."""
    est = cls(device=device, **FAST)
    with pytest.raises(ValueError, match="CUDA is not available"):
        est.fit(_data())
    _assert_unfitted(est, _data())


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("n_samples", [0, -1, 2.0, True])
def test_sample_rejects_bad_n_samples(cls, n_samples):
    """sample needs a positive integer n_samples."""
    est = _fitted(cls)
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        est.sample(n_samples=n_samples)


# -- failed fits leave nothing half-fitted -------------------------------------------


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "bad_X",
    [
        _with(_data(), np.nan, (5, 0)),
        _data(n_features=4)[:, :0],
        _data().reshape(20, 3, 1),
    ],
    ids=["nan", "no-columns", "3d"],
)
def test_failed_refit_leaves_unfitted(cls, bad_X):
    """A refit that fails on bad data does not leave the old model usable."""
    X = _data()
    est = _fitted(cls, X)
    est.transform(X)
    with pytest.raises(ValueError):
        est.fit(bad_X)
    _assert_unfitted(est, X)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_failed_refit_with_bad_params_leaves_unfitted(cls):
    """A refit with an invalid parameter does not keep the old model."""
    X = _data()
    est = _fitted(cls, X)
    est.set_params(hidden_dims=(0,))
    with pytest.raises(ValueError, match="hidden_dims"):
        est.fit(X)
    _assert_unfitted(est, X)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "bad_X",
    [_with(_data(), np.nan, (0, 0)), _data()[:, 0], np.empty((0, 3))],
    ids=["nan", "1d", "no-rows"],
)
def test_failed_first_partial_fit_leaves_unfitted(cls, bad_X):
    """A first partial_fit on bad data leaves the estimator unfitted."""
    est = cls(**FAST)
    with pytest.raises(ValueError):
        est.partial_fit(bad_X)
    _assert_unfitted(est, _data())
    est.partial_fit(_data())
    assert est.n_iter_ == 1


# -- edge cases that must work ----------------------------------------------------


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "columns, message",
    [
        (["b", "c", "a"], "same order"),
        (["x", "y", "z"], "unseen at fit time"),
    ],
    ids=["reordered", "renamed"],
)
@pytest.mark.parametrize("method", ["transform", "score_samples"])
def test_dataframe_wrong_columns(cls, columns, message, method):
    """A DataFrame with reordered or renamed columns raises about feature names."""
    X = pd.DataFrame(_data(), columns=["a", "b", "c"])
    est = _fitted(cls, X)
    bad = pd.DataFrame(_data(), columns=columns)
    with pytest.raises(
        ValueError, match=rf"feature names should match(.|\n)*{message}"
    ):
        getattr(est, method)(bad)
