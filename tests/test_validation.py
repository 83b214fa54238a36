"""Tests of skvae._validation: bad input and bad parameters get a clear error."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

import skvae._device
from skvae import AETransformer, AutoencoderOutlierDetector, VAETransformer
from skvae._device import check_memory
from tests.conftest import (
    BINARY,
    CONV,
    ESTIMATORS,
    FAST,
    NOT_FITTED,
    ONE_EPOCH,
    SMALL,
    assert_same_state,
    assert_unfitted,
    assert_works,
    fast_fit,
    fitted_state,
    grey_rows,
    images,
    low_rank_rows,
    mlp_decoder,
    mlp_encoder,
    normal_rows,
    unit_rows,
)

# NaN is a missing value, accepted (tests/test_impute.py); infinity is an error.
BAD_VALUES = [np.inf, -np.inf]
BAD_VALUE_MESSAGE = {
    "nan": "contains NaN",
    "inf": "contains infinity",
    "-inf": "contains infinity",
}
# Where the bad value goes: first cell, a middle cell, last cell.
POSITIONS = [(0, 0), (7, 1), (-1, -1)]


def _with(X, value, position):
    X = X.copy()
    X[position] = value
    return X


# -- NaN and infinity -----------------------------------------------------------


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("value", BAD_VALUES, ids=str)
@pytest.mark.parametrize("position", POSITIONS, ids=str)
def test_fit_rejects_non_finite(cls, value, position):
    """fit raises a ValueError naming NaN or infinity wherever it sits in X."""
    est = cls(**FAST)
    with pytest.raises(ValueError, match=BAD_VALUE_MESSAGE[str(value)]):
        est.fit(_with(normal_rows(), value, position))
    assert_unfitted(est, normal_rows())


def _laid_out(X, layout):
    if layout == "float32":
        return X.astype(np.float32)
    if layout == "fortran":
        return np.asfortranarray(X)
    if layout == "reversed":  # negative strides, which torch cannot view
        return X[::-1, ::-1]
    X.setflags(write=False)  # read-only: checked by numpy, not torch
    return X


@pytest.mark.parametrize("layout", ["float32", "fortran", "reversed", "read-only"])
@pytest.mark.parametrize("value", BAD_VALUES, ids=str)
@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
def test_non_finite_is_named_in_every_layout(layout, value, likelihood):
    """NaN and infinity are named, not taken for values outside [0, 1]."""
    X = _laid_out(_with(unit_rows(), value, (3, 2)), layout)
    with pytest.raises(ValueError, match=BAD_VALUE_MESSAGE[str(value)]):
        VAETransformer(likelihood=likelihood, **FAST).fit(X)


@pytest.mark.parametrize("layout", ["float32", "fortran", "reversed", "read-only"])
def test_finite_rows_pass_in_every_layout(layout):
    """Valid rows of any layout fit and score, and the support check sees them."""
    X = _laid_out(unit_rows(), layout)
    est = VAETransformer(likelihood="bernoulli", **FAST).fit(X)
    assert np.isfinite(est.score_samples(X)).all()
    assert np.isfinite(est.transform(X)).all()
    outside = _laid_out(_with(unit_rows(), 1.5, (19, 2)), layout)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        VAETransformer(likelihood="bernoulli", **FAST).fit(outside)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("method", ["transform", "score_samples", "score"])
@pytest.mark.parametrize("value", BAD_VALUES, ids=str)
@pytest.mark.parametrize("position", POSITIONS, ids=str)
def test_inference_rejects_non_finite(cls, method, value, position):
    """transform, score_samples and score raise a ValueError naming NaN/infinity."""
    est = fast_fit(cls)
    with pytest.raises(ValueError, match=BAD_VALUE_MESSAGE[str(value)]):
        getattr(est, method)(_with(normal_rows(), value, position))


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("value", BAD_VALUES, ids=str)
@pytest.mark.parametrize("position", POSITIONS, ids=str)
def test_partial_fit_after_fit_rejects_non_finite(cls, value, position):
    """partial_fit on a fitted model rejects NaN/inf and leaves the model as it was."""
    X = normal_rows()
    est = fast_fit(cls, X)
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
        est.partial_fit(_with(normal_rows(), value, (3, 2)))
    assert_unfitted(est, normal_rows())


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("value", BAD_VALUES, ids=str)
@pytest.mark.parametrize("position", [(0, 0), (0, 1)], ids=str)
def test_inverse_transform_rejects_non_finite(cls, value, position):
    """inverse_transform raises a ValueError naming NaN/infinity in Z."""
    est = fast_fit(cls)
    Z = _with(np.zeros((2, est.latent_dim)), value, position)
    with pytest.raises(ValueError, match=rf"Z {BAD_VALUE_MESSAGE[str(value)]}"):
        est.inverse_transform(Z)


# -- wrong widths and column names ----------------------------------------------


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "method", ["transform", "score_samples", "score", "partial_fit"]
)
@pytest.mark.parametrize("n_features", [2, 4])
def test_wrong_number_of_features(cls, method, n_features):
    """After fit on 3 features, other widths raise a ValueError naming both."""
    est = fast_fit(cls)
    with pytest.raises(ValueError, match=rf"X has {n_features} features.*expecting 3"):
        getattr(est, method)(normal_rows(n_features=n_features))


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("width", [1, 3])
def test_inverse_transform_wrong_latent_width(cls, width):
    """inverse_transform of Z with the wrong width names latent_dim."""
    est = fast_fit(cls, latent_dim=2)
    with pytest.raises(ValueError, match=rf"Z has {width} columns.*latent_dim=2"):
        est.inverse_transform(np.zeros((4, width)))


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
    X = pd.DataFrame(normal_rows(), columns=["a", "b", "c"])
    est = fast_fit(cls, X)
    bad = pd.DataFrame(normal_rows(), columns=columns)
    with pytest.raises(
        ValueError, match=rf"feature names should match(.|\n)*{message}"
    ):
        getattr(est, method)(bad)


# -- non-numeric, empty, wrong ndim, sparse -------------------------------------


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
    est = cls(**FAST, categorical_features=None)
    with pytest.raises(ValueError, match="X must be a numeric array.*could not conv"):
        est.fit(make_X())
    assert_unfitted(est, normal_rows())


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_non_numeric_dataframe_column_is_named(cls):
    """The error for a DataFrame (categorical_features=None) names its
    non-numeric column."""
    with pytest.raises(ValueError, match="non-numeric columns: z "):
        cls(**FAST, categorical_features=None).fit(_frame_with_string_column())


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_ragged_rows_are_rejected(cls):
    """Rows of different lengths raise a ValueError saying X must be numeric."""
    with pytest.raises(ValueError, match="X must be a numeric array"):
        cls(**FAST).fit([[1.0, 2.0], [3.0]])


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("method", ["transform", "score_samples"])
def test_inference_rejects_non_numeric(cls, method):
    """transform and score_samples of string data raise a clear ValueError."""
    est = fast_fit(cls)
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
    assert_unfitted(est, normal_rows())


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("method", ["transform", "score_samples", "partial_fit"])
def test_inference_rejects_empty(cls, method):
    """transform, score_samples and partial_fit of 0 rows raise a ValueError."""
    est = fast_fit(cls)
    with pytest.raises(ValueError, match=r"0 sample\(s\)"):
        getattr(est, method)(np.empty((0, 3)))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_fit_rejects_1d(cls):
    """fit on a 1-D array asks for a 2-D array."""
    est = cls(**FAST)
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        est.fit(normal_rows()[:, 0])
    assert_unfitted(est, normal_rows())


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("method", ["transform", "score_samples"])
def test_inference_rejects_1d(cls, method):
    """transform of a single row given as 1-D asks for a 2-D array."""
    est = fast_fit(cls)
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        getattr(est, method)(normal_rows()[0])


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("method", ["fit", "transform", "score_samples"])
def test_rejects_3d(cls, method):
    """3-D input raises a ValueError naming the dimension."""
    est = cls(**FAST) if method == "fit" else fast_fit(cls)
    with pytest.raises(ValueError, match="dim 3"):
        getattr(est, method)(normal_rows().reshape(20, 3, 1))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_image_array_input_suggests_image_shape(method, Estimator):
    """Fitting on a 3-D array of images raises a ValueError naming image_shape."""
    images = np.random.RandomState(0).rand(5, 4, 4)
    with pytest.raises(ValueError, match="image_shape"):
        getattr(Estimator(**ONE_EPOCH), method)(images)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_image_array_input_to_fitted_estimator(Estimator):
    """transform on a 3-D array of images also points to flattening."""
    est = Estimator(**ONE_EPOCH, hidden_dims=(8,)).fit(images(image_shape=(1, 4, 4)))
    with pytest.raises(ValueError, match="image_shape"):
        est.transform(np.random.RandomState(0).rand(5, 4, 4))


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("method", ["fit", "partial_fit", "transform", "score_samples"])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_rejects_sparse(cls, method, fmt):
    """Sparse input raises an error that says dense data is needed."""
    est = cls(**FAST) if method in ("fit", "partial_fit") else fast_fit(cls)
    X = sp.random(20, 3, density=0.5, format=fmt, random_state=0)
    with pytest.raises((TypeError, ValueError), match="(?i)sparse.*dense"):
        getattr(est, method)(X)


# -- Bernoulli support ----------------------------------------------------------


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("value", [-0.5, 1.5, -1e-3, 2.0])
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_bernoulli_fit_rejects_out_of_support(cls, value, method):
    """Bernoulli fit on data outside [0, 1] raises a ValueError naming [0, 1]."""
    est = cls(likelihood="bernoulli", **FAST)
    with pytest.raises(ValueError, match=r"likelihood='bernoulli'.*\[0, 1\]"):
        getattr(est, method)(_with(unit_rows(), value, (4, 1)))
    assert_unfitted(est, unit_rows())


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("value", [-0.5, 1.5])
@pytest.mark.parametrize("method", ["transform", "score_samples", "score"])
def test_bernoulli_inference_rejects_out_of_support(cls, value, method):
    """After a valid Bernoulli fit, rows outside [0, 1] raise a ValueError."""
    est = fast_fit(cls, unit_rows(), likelihood="bernoulli")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        getattr(est, method)(_with(unit_rows(), value, (0, 2)))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_bernoulli_accepts_boundaries(cls):
    """Bernoulli data with exact 0s and 1s fits and gives finite outputs."""
    X = (unit_rows() > 0.5).astype(float)
    assert_works(fast_fit(cls, X, likelihood="bernoulli"), X)


# -- not fitted -----------------------------------------------------------------


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "call",
    [
        lambda est: est.transform(normal_rows()),
        lambda est: est.inverse_transform(np.zeros((2, 2))),
        lambda est: est.score_samples(normal_rows()),
        lambda est: est.score(normal_rows()),
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


# -- invalid parameters ---------------------------------------------------------


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
        getattr(est, method)(normal_rows())
    assert_unfitted(est, normal_rows())


@pytest.mark.parametrize("beta", [-1, -1e-6, "big"])
def test_vae_invalid_beta(beta):
    """VAETransformer rejects a negative or non-numeric beta, naming it."""
    est = VAETransformer(beta=beta, **FAST)
    with pytest.raises(ValueError, match="'beta' parameter"):
        est.fit(normal_rows())
    assert_unfitted(est, normal_rows())


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10"])
def test_bad_n_importance_samples_is_a_clear_error(bad):
    """n_importance_samples must be a positive integer."""
    X = normal_rows()
    with pytest.raises(ValueError, match="n_importance_samples"):
        VAETransformer(n_importance_samples=bad, max_epochs=1).fit(X)


@pytest.mark.parametrize(
    ("Estimator", "param", "value"),
    [
        (Estimator, param, value)
        for Estimator in ESTIMATORS
        for param, value in [
            ("lr_schedule", "linear"),
            ("lr_schedule", 1),
            ("early_stopping", "yes"),
            ("n_iter_no_change", 0),
            ("n_iter_no_change", 2.5),
            ("tol", -1e-3),
        ]
    ]
    + [
        (VAETransformer, "kl_warmup_epochs", -1),
        (VAETransformer, "kl_warmup_epochs", 1.5),
        (VAETransformer, "free_bits", -0.1),
        (VAETransformer, "free_bits", "many"),
    ],
)
def test_bad_control_values_raise(Estimator, param, value):
    """Each control parameter rejects bad values with a ValueError naming it."""
    with pytest.raises(ValueError, match=param):
        Estimator(**SMALL, max_epochs=1, **{param: value}).fit(low_rank_rows())


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "optimizer",
    [
        torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))]),
        torch.optim.Optimizer,
        torch.nn.Linear,
        int,
        "adamw",
        "Adam",
        None,
    ],
    ids=["instance", "base-class", "module-class", "int", "adamw", "Adam", "None"],
)
def test_a_bad_optimizer_is_a_clear_error(Estimator, optimizer):
    """An optimizer instance, a class that is no Optimizer subclass or an unknown
    name is refused, naming the parameter and what it takes; nothing is fitted."""
    est = Estimator(**FAST, optimizer=optimizer)
    message = (
        r"The 'optimizer' parameter of \w+ must be a str among \{.*\} or a "
        r"subclass of torch.optim.Optimizer \(the class, not an instance\)"
    )
    with pytest.raises(InvalidParameterError, match=message) as caught:
        est.fit(normal_rows())
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, TypeError)
    assert_unfitted(est, normal_rows())


@pytest.mark.parametrize("validation_fraction", [1.5, 1.0, 0.0, -0.1, "0.5"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_invalid_validation_fraction_raises(Estimator, validation_fraction):
    """validation_fraction outside (0, 1) raises a ValueError naming it."""
    est = Estimator(**ONE_EPOCH, validation_fraction=validation_fraction)
    with pytest.raises(ValueError, match="validation_fraction"):
        est.fit(normal_rows(40, 6))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_binarize_needs_the_bernoulli_likelihood(Estimator):
    """binarize=True with a Gaussian model is refused and leaves it unfitted."""
    est = Estimator(binarize=True, max_epochs=1, hidden_dims=(8,))
    with pytest.raises(ValueError, match="binarize=True .* likelihood='bernoulli'"):
        est.fit(grey_rows())
    assert not hasattr(est, "net_")


@pytest.mark.parametrize("value", ["yes", 1.5, None])
def test_binarize_must_be_a_bool(value):
    """Non-boolean values are rejected by parameter validation."""
    with pytest.raises(ValueError, match="binarize"):
        VAETransformer(binarize=value, max_epochs=1, **BINARY).fit(grey_rows())


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("device", ["cuda", "cuda:0"])
def test_cuda_unavailable(cls, device):
    """device='cuda' without CUDA raises a ValueError saying CUDA is unavailable."""
    est = cls(device=device, **FAST)
    with pytest.raises(ValueError, match="CUDA is not available"):
        est.fit(normal_rows())
    assert_unfitted(est, normal_rows())


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "param", ["latent_dim", "batch_size", "max_epochs", "n_iter_no_change"]
)
def test_bools_are_not_counts(cls, param):
    """latent_dim=True and its siblings are refused by name, not crashed on."""
    with pytest.raises(ValueError, match=f"'{param}' parameter"):
        cls(**{**FAST, param: True}).fit(normal_rows())


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "make",
    [
        lambda X: torch.tensor(X, requires_grad=True),
        lambda X: torch.tensor(X, dtype=torch.bfloat16),
    ],
    ids=["requires_grad", "bfloat16"],
)
def test_torch_tensors_are_read_as_arrays(cls, make):
    """Tensors that numpy cannot read as they are (grad, bfloat16) are converted."""
    X = make(normal_rows())
    est = cls(**FAST).fit(X)
    codes = est.transform(X)
    assert np.isfinite(codes).all()
    assert est.inverse_transform(torch.tensor(codes, requires_grad=True)).shape == (
        len(codes),
        X.shape[1],
    )


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("device", ["meta", "mps", "xla", "ipu"])
def test_unusable_devices_are_named(cls, device):
    """Devices torch knows but cannot use here raise a ValueError naming them."""
    if device == "mps" and torch.backends.mps.is_available():
        pytest.skip("MPS is available here")
    est = cls(device=device, **FAST)
    with pytest.raises(ValueError, match=f"device='{device}'"):
        est.fit(normal_rows())
    assert_unfitted(est, normal_rows())


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("n_samples", [0, -1, 2.0, True])
def test_sample_rejects_bad_n_samples(cls, n_samples):
    """sample needs a positive integer n_samples."""
    est = fast_fit(cls)
    with pytest.raises(ValueError, match="n_samples must be an integer >= 1"):
        est.sample(n_samples=n_samples)


# -- conv settings and custom modules -------------------------------------------


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"architecture": "conv", "image_shape": None}, "needs image_shape"),
        ({"image_shape": (1, 8, 9)}, r"image_shape=\(1, 8, 9\).*72.*64 features"),
        ({"architecture": "mlp", "image_shape": (1, 4, 4)}, r"16.*64 features"),
        ({"image_shape": (8, 8)}, "three positive integers"),
        ({"image_shape": (1, 8, 8, 1)}, "three positive integers"),
        ({"image_shape": (0, 8, 8)}, "three positive integers"),
        ({"image_shape": (1, 8.0, 8)}, "three positive integers"),
        ({"image_shape": (True, 8, 8)}, "three positive integers"),
        ({"image_shape": (4, 2, 8)}, "image_shape"),
        ({"hidden_dims": ()}, "at least one block"),
        ({"hidden_dims": (4, 0)}, "positive integers"),
    ],
)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_invalid_conv_settings_raise(Estimator, params, match):
    """Inconsistent conv settings raise a ValueError and leave no fitted state."""
    est = Estimator(**{**CONV, **params})
    with pytest.raises(ValueError, match=match):
        est.fit(images())
    assert not hasattr(est, "net_")


BOTH = {"encoder": mlp_encoder(), "decoder": mlp_decoder()}


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"encoder": mlp_encoder()}, "both encoder and decoder"),
        ({"decoder": mlp_decoder()}, "both encoder and decoder"),
        (
            {**BOTH, "architecture": "conv", "image_shape": (1, 2, 3)},
            "leave architecture and hidden_dims",
        ),
        ({**BOTH, "hidden_dims": (8,)}, "leave architecture and hidden_dims"),
        ({**BOTH, "hidden_dims": ()}, "leave architecture and hidden_dims"),
    ],
)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_invalid_custom_module_settings_raise(Estimator, params, match):
    """encoder and decoder go together and replace architecture and hidden_dims."""
    est = Estimator(**ONE_EPOCH, **params)
    with pytest.raises(ValueError, match=match):
        est.fit(normal_rows(40, 6))
    assert not hasattr(est, "net_")


# -- failed fits leave the estimator as it was ----------------------------------


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "bad_X",
    [
        _with(normal_rows(), np.inf, (5, 0)),
        normal_rows(n_features=4)[:, :0],
        normal_rows().reshape(20, 3, 1),
    ],
    ids=["inf", "no-columns", "3d"],
)
def test_failed_refit_keeps_the_model_as_it_was(cls, bad_X):
    """A refit rejected for its data leaves the old model whole, not half-reset."""
    X = normal_rows()
    est = fast_fit(cls, X)
    before = fitted_state(est)
    with pytest.raises(ValueError):
        est.fit(bad_X)
    assert_same_state(fitted_state(est), before)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_failed_refit_with_bad_params_keeps_the_model(cls):
    """A refit with an invalid parameter leaves the old model as it was."""
    X = normal_rows()
    est = fast_fit(cls, X)
    before = fitted_state(est)
    est.set_params(hidden_dims=(0,))
    with pytest.raises(ValueError, match="hidden_dims"):
        est.fit(X)
    assert_same_state(fitted_state(est), before)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "bad_X",
    [_with(normal_rows(), np.inf, (0, 0)), normal_rows()[:, 0], np.empty((0, 3))],
    ids=["inf", "1d", "no-rows"],
)
def test_failed_first_partial_fit_leaves_unfitted(cls, bad_X):
    """A first partial_fit on bad data leaves the estimator unfitted."""
    est = cls(**FAST)
    with pytest.raises(ValueError):
        est.partial_fit(bad_X)
    assert_unfitted(est, normal_rows())
    est.partial_fit(normal_rows())
    assert est.n_iter_ == 1


@pytest.mark.parametrize(
    "column",
    [
        pd.date_range("2020-01-01", periods=20),
        pd.date_range("2020-01-01", periods=20, tz="UTC"),
        pd.to_timedelta(np.arange(20), unit="s"),
    ],
    ids=["datetime", "datetime-tz", "timedelta"],
)
def test_date_and_duration_columns_are_named(column):
    """A DataFrame's date or duration column is named, not a numpy promotion error."""
    frame = pd.DataFrame({"a": np.arange(20.0), "when": column, "b": np.ones(20)})
    with pytest.raises(TypeError, match="when"):
        VAETransformer(**FAST).fit(frame)


# -- memory --------------------------------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "params",
    [{"latent_dim": 2**24, "hidden_dims": (2**10,)}, {"hidden_dims": (10**6, 10**6)}],
    ids=["latent_dim", "hidden_dims"],
)
def test_models_too_large_for_memory_are_named_before_allocating(Estimator, params):
    """A model no machine here can train is a ValueError, not torch's allocator."""
    est = Estimator(**{**FAST, **params})
    with pytest.raises(ValueError, match=r"GiB of memory.*Choose a smaller"):
        est.fit(normal_rows())
    assert_unfitted(est, normal_rows())


def test_autoencoder_code_covariance_too_large_is_named_before_training():
    """latent_dim=10**5 fits in the module but not as a covariance: named first."""
    est = AETransformer(**FAST, latent_dim=10**5)
    with pytest.raises(ValueError, match="covariance of the codes.*latent_dim"):
        est.fit(normal_rows())
    assert_unfitted(est, normal_rows())


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sample_too_large_for_memory_is_named(Estimator):
    """sample(10**12) names the memory it would need, and the remedy."""
    est = fast_fit(Estimator)
    with pytest.raises(ValueError, match=r"sample\(n_samples=10+\).*several calls"):
        est.sample(10**12)
    assert est.sample(3).shape == (3, 3)


def test_check_memory_passes_what_fits_and_names_what_does_not():
    """check_memory compares with the device's whole memory."""
    check_memory(1, "cpu", "one byte", "")
    with pytest.raises(ValueError, match="a zettabyte needs .* Buy more"):
        check_memory(2**70, "cpu", "a zettabyte", "Buy more.")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_inference_output_beyond_memory_is_named_before_allocating(
    Estimator, monkeypatch
):
    """An output larger than memory is refused after one chunk, not by numpy."""
    est = fast_fit(Estimator, latent_dim=64)
    monkeypatch.setattr(skvae._device, "memory_bytes", lambda device: 2**20)
    rows = normal_rows(5000)  # 5000 x 64 float64 codes: 2.4 MiB
    with pytest.raises(ValueError, match=r"output of shape \(5000, 64\).*fewer rows"):
        est.transform(rows)
    assert est.transform(rows[:100]).shape == (100, 64)


@pytest.mark.parametrize("value", [True, False])
@pytest.mark.parametrize(
    ("Estimator", "name"),
    [
        (VAETransformer, "lr"),
        (VAETransformer, "tol"),
        (VAETransformer, "validation_fraction"),
        (VAETransformer, "beta"),
        (VAETransformer, "free_bits"),
        (AETransformer, "lr"),
        (AutoencoderOutlierDetector, "contamination"),
    ],
)
def test_bools_are_not_rates_or_fractions(Estimator, name, value):
    """lr=True trained at a rate of 1; now every numeric parameter refuses bools."""
    est = Estimator(**({} if Estimator is AutoencoderOutlierDetector else FAST))
    with pytest.raises(ValueError, match=f"'{name}' parameter.*Got {value} instead"):
        est.set_params(**{name: value}).fit(normal_rows())


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"latent_dim": 10**31}, "'latent_dim' parameter"),
        ({"latent_dim": 2**62}, "'latent_dim' parameter"),
        ({"max_epochs": 10**31}, "'max_epochs' parameter"),
        ({"batch_size": 2**64}, "'batch_size' parameter"),
        ({"hidden_dims": (2**31, 2**31)}, "hidden_dims must be .* up to 16,777,216"),
    ],
    ids=str,
)
def test_sizes_beyond_64_bits_are_named_not_overflowed_in_torch(params, named):
    """Sizes whose products overflow torch's 64-bit sizes are refused by name."""
    est = VAETransformer(**{**FAST, **params})
    with pytest.raises(ValueError, match=named):
        est.fit(normal_rows())


@pytest.mark.parametrize("seed", [-1, 2**40, 1.5, "x"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sample_names_a_bad_random_state(Estimator, seed):
    """sample(random_state=-1) was numpy's "Seed must be between 0 and 2**32 - 1"."""
    est = fast_fit(Estimator)
    with pytest.raises(ValueError, match=r"'random_state' parameter of .*\.sample"):
        est.sample(2, random_state=seed)
