"""Tests of skvae._base: the public API both autoencoders share."""

import io
import pickle
import tracemalloc
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback
from torch import nn

from skvae import VAETransformer, _inference
from tests.conftest import (
    BLOCK_ROWS,
    ESTIMATORS,
    FAST,
    ONE_EPOCH,
    WIDE,
    assert_chunked_like_fit,
    assert_same_state,
    assert_works,
    chunked_data,
    factor_data,
    factor_model,
    fast_fit,
    fitted_outputs,
    fitted_state,
    grey_rows,
    mlp_decoder,
    mlp_encoder,
    normal_rows,
    unit_rows,
)


def _shifted_rows(n=300, n_features=6, seed=0):
    """Standard normal rows shifted to mean 2."""
    return normal_rows(n, n_features, seed) + 2.0


def _inference_outputs(est, X):
    """Codes, reconstructions and scores of X."""
    return (
        est.transform(X),
        est.inverse_transform(est.transform(X)),
        est.score_samples(X),
    )


# -- fit and partial_fit --------------------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fitting_reduces_training_loss(Estimator):
    """The training loss recorded in history_ goes down."""
    X = factor_data()
    est = Estimator(**{**WIDE, "max_epochs": 30}).fit(X)
    losses = est.history_[:, "train_loss"]
    assert len(losses) == est.n_iter_ == 30
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "n_samples, batch_size",
    [(1, 128), (5, 128), (7, 1), (23, 5), (10, 10), (11, 10)],
    ids=str,
)
def test_any_n_samples_and_batch_size(cls, n_samples, batch_size):
    """Fit works for 1 row, fewer rows than a batch, batch_size=1, ragged batches."""
    X = normal_rows(n_samples=n_samples)
    est = fast_fit(cls, X, batch_size=batch_size)
    assert est.n_iter_ == FAST["max_epochs"]
    assert np.all(np.isfinite(est.history_[:, "train_loss"]))
    assert_works(est, X)


def test_fit_transform_matches_fit_then_transform():
    """fit_transform equals fit followed by transform."""
    X = factor_data()
    assert_array_equal(
        VAETransformer(**WIDE).fit_transform(X),
        VAETransformer(**WIDE).fit(X).transform(X),
    )


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_is_reproducible_and_continues(Estimator):
    """partial_fit over chunks is deterministic and trains one epoch per call."""
    X = factor_data()
    runs = []
    for _ in range(2):
        est = Estimator(**WIDE)
        for chunk in np.array_split(X, 3):
            est.partial_fit(chunk)
        runs.append(est.transform(X))
    assert est.n_iter_ == 3
    assert_array_equal(runs[0], runs[1])


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("chunk_sizes", [(7, 7, 6), (1, 19), (20,)], ids=str)
def test_partial_fit_chunks(cls, chunk_sizes):
    """partial_fit over several chunks works; n_iter_ counts the calls."""
    X = normal_rows()
    est = cls(**FAST)
    start = 0
    for calls, size in enumerate(chunk_sizes, start=1):
        assert est.partial_fit(X[start : start + size]) is est
        start += size
        assert est.n_iter_ == calls
    assert est.n_features_in_ == 3
    assert_works(est, X)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_partial_fit_after_fit_continues(cls):
    """partial_fit after fit trains one more epoch on the same model."""
    X = normal_rows()
    est = fast_fit(cls, X)
    net = est.net_
    before = est.transform(X)
    est.partial_fit(X)
    assert est.net_ is net
    assert est.n_iter_ == FAST["max_epochs"] + 1
    est.partial_fit(X[:5])
    assert est.n_iter_ == FAST["max_epochs"] + 2
    assert not np.allclose(est.transform(X), before)
    assert_works(est, X)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_over_a_generator_of_blocks_trains_like_fit(Estimator):
    """Passes of partial_fit over a generator of blocks score like fit."""
    X, _ = chunked_data()

    def blocks():
        for start in range(0, len(X), BLOCK_ROWS):
            yield X[start : start + BLOCK_ROWS].copy()

    assert_chunked_like_fit(Estimator, blocks)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_refit_with_different_width(cls):
    """Refitting on a different number of features updates n_features_in_."""
    est = fast_fit(cls, normal_rows(n_features=3))
    assert est.n_features_in_ == 3
    est.fit(normal_rows(n_features=5))
    assert est.n_features_in_ == 5
    assert_works(est, normal_rows(n_features=5))
    assert est.inverse_transform(np.zeros((2, 2))).shape == (2, 5)
    with pytest.raises(ValueError, match="X has 3 features.*expecting 5"):
        est.transform(normal_rows(n_features=3))


def test_device_is_resolved_in_fit():
    """device='auto' stays as given in get_params and resolves in fit."""
    vae = VAETransformer(**WIDE)
    assert vae.get_params()["device"] == "auto"
    vae.fit(factor_data(n_samples=20))
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert vae.device_.startswith(expected)
    assert vae.get_params()["device"] == "auto"


# -- inverse_transform and sample -----------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_reconstruction_beats_mean(Estimator):
    """inverse_transform(transform(X)) reconstructs better than predicting the mean."""
    X = factor_data()
    est = Estimator(latent_dim=2, hidden_dims=(32,), max_epochs=60, random_state=0)
    X_hat = est.fit(X).inverse_transform(est.transform(X))
    assert np.mean((X - X_hat) ** 2) < 0.5 * np.mean((X - X.mean(axis=0)) ** 2)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_samples_resemble_training_data(Estimator):
    """sample() draws rows with the data's mean and the spread of its signal."""
    X, signal_std = factor_model(n_samples=500)
    est = Estimator(hidden_dims=(32,), max_epochs=100, lr=3e-3, random_state=0)
    samples = est.fit(X).sample(2000, random_state=0)
    assert samples.shape == (2000, X.shape[1])
    assert_allclose(samples.mean(axis=0), X.mean(axis=0), atol=0.3)
    # Decoded means carry no observation noise: they spread like the signal alone.
    assert_allclose(samples.std(axis=0) / signal_std, 1.0, atol=0.25)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sample_random_state(Estimator):
    """sample's random_state fixes the draw; None falls back to the estimator's."""
    est = Estimator(**WIDE).fit(factor_data(n_samples=50))
    assert_array_equal(est.sample(4, random_state=3), est.sample(4, random_state=3))
    assert not np.allclose(est.sample(4, random_state=3), est.sample(4, random_state=4))
    assert_array_equal(est.sample(4), est.sample(4))


# -- dtypes, constant columns and DataFrames -----------------------------------


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "dtype, expected",
    [
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.int64, np.float64),
        (np.int32, np.float64),
    ],
    ids=str,
)
def test_dtypes(cls, dtype, expected):
    """transform keeps float32 and float64 and maps integer input to float64."""
    X = (normal_rows() * 10).astype(dtype)
    est = fast_fit(cls, X)
    Z = est.transform(X)
    assert Z.dtype == expected
    assert np.all(np.isfinite(Z))
    scores = est.score_samples(X)
    assert scores.shape == (len(X),)
    assert np.all(np.isfinite(scores))


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("constant", ["one", "all"])
@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
def test_constant_columns(cls, constant, likelihood):
    """Constant columns (one or all) give finite scores and outputs."""
    X = unit_rows()
    if constant == "one":
        X[:, 1] = 0.25
    else:
        X[:] = 0.25
    assert_works(fast_fit(cls, X, likelihood=likelihood), X)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_column_constant_up_to_rounding_is_treated_as_constant(Estimator):
    """A column that varies only by rounding noise gets unit scale, not 1/noise."""
    X = factor_data(n_samples=50)
    X[:, 0] = 1e6 + np.random.RandomState(0).uniform(0, 1e-9, size=50)
    est = Estimator(**WIDE).fit(X)
    assert est.input_scale_[0] == 1.0
    assert np.all(np.isfinite(est.score_samples(X)))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_dataframe_feature_names(cls):
    """DataFrame input sets feature_names_in_; output names carry the class name."""
    X = pd.DataFrame(normal_rows(), columns=["a", "b", "c"])
    est = fast_fit(cls, X)
    np.testing.assert_array_equal(est.feature_names_in_, ["a", "b", "c"])
    prefix = cls.__name__.lower()
    np.testing.assert_array_equal(
        est.get_feature_names_out(), [f"{prefix}0", f"{prefix}1"]
    )
    Z = est.transform(X)
    assert Z.shape == (20, 2)
    # Same seed, same numbers: the frame trains exactly like its array.
    from_array = fast_fit(cls, X.to_numpy())
    np.testing.assert_array_equal(Z, from_array.transform(X.to_numpy()))
    assert not hasattr(from_array, "feature_names_in_")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_set_output_pandas(Estimator):
    """set_output(transform='pandas') returns a DataFrame with named latent columns."""
    name = Estimator.__name__.lower()
    X = pd.DataFrame(factor_data(n_samples=40), columns=[f"f{i}" for i in range(6)])
    est = Estimator(**WIDE).set_output(transform="pandas").fit(X)
    Z = est.transform(X)
    assert isinstance(Z, pd.DataFrame)
    assert list(Z.columns) == [f"{name}0", f"{name}1"]
    assert list(Z.index) == list(X.index)
    assert_array_equal(est.feature_names_in_, X.columns)


# -- scores --------------------------------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_row_scores_do_not_depend_on_other_rows(Estimator):
    """A row's score is the same alone, in a subset, or in another order."""
    X = factor_data(n_samples=40)
    est = Estimator(**WIDE).fit(X)
    scores = est.score_samples(X)
    order = np.random.RandomState(0).permutation(len(X))
    assert_allclose(est.score_samples(X[order]), scores[order], rtol=1e-12)
    assert_allclose(est.score_samples(X[7:8]), scores[7:8], rtol=1e-12)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("factor", [10.0, 1e-200, 1e30, 1e200])
def test_score_in_data_units(Estimator, factor):
    """Scaling the data by c shifts the log-density by -n_features * log(c).

    Also at magnitudes where squaring the data would overflow float64.
    """
    X = factor_data()
    est = Estimator(**WIDE)
    base = est.fit(X).score(X)
    scaled = est.fit(X * factor)
    # Rescaled rows draw other Monte-Carlo noise (VAE: ~0.02 nats).
    shift = X.shape[1] * np.log(factor)
    assert_allclose(scaled.score(X * factor), base - shift, atol=0.1)
    Z = scaled.transform(X * factor)
    assert np.all(np.isfinite(scaled.inverse_transform(Z)))
    assert np.all(np.isfinite(scaled.sample(5)))


# -- inference in chunks -------------------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_repeated_calls_and_batch_sizes_agree(Estimator):
    """transform and score_samples repeat exactly and do not depend on batch size."""
    X = factor_data(n_samples=103)
    est = Estimator(**WIDE).fit(X)
    Z, scores = est.transform(X), est.score_samples(X)
    assert_array_equal(est.transform(X), Z)
    assert_array_equal(est.score_samples(X), scores)
    for batch_size in (1, 7, 1000):
        est.set_params(batch_size=batch_size)
        assert_allclose(est.transform(X), Z, rtol=1e-12, atol=1e-12)
        assert_allclose(est.score_samples(X), scores, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("batch_size", [1, 3, 128])
def test_inference_independent_of_batch_size(cls, batch_size):
    """transform and score_samples give the same numbers for any batch_size."""
    X = normal_rows(n_samples=11)
    est = fast_fit(cls, X)
    Z, scores = est.transform(X), est.score_samples(X)
    est.set_params(batch_size=batch_size)
    np.testing.assert_allclose(est.transform(X), Z, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(est.score_samples(X), scores, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_row_chunks_give_the_same_results(Estimator, dtype, monkeypatch):
    """transform, inverse_transform and score_samples agree in chunks of 1 row."""
    X = _shifted_rows().astype(dtype)
    est = Estimator(**{**FAST, "hidden_dims": (16,)}).fit(X)
    default = _inference_outputs(est, X)
    est.set_params(batch_size=1)
    monkeypatch.setattr(_inference, "INFERENCE_VALUES", 1)
    assert est._inference_rows(X.shape[1]) == 1
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for chunked, whole in zip(_inference_outputs(est, X), default, strict=True):
        assert chunked.dtype == whole.dtype
        assert_allclose(chunked, whole, rtol=tol, atol=tol)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_batch_size_does_not_change_inference_below_the_chunk(Estimator):
    """batch_sizes smaller than the chunk give bit-identical inference results."""
    X = _shifted_rows(n=500)
    est = Estimator(**{**FAST, "hidden_dims": (16,)}).fit(X)
    outputs = _inference_outputs(est.set_params(batch_size=7), X)
    again = _inference_outputs(est.set_params(batch_size=64), X)
    for second, first in zip(again, outputs, strict=True):
        assert_array_equal(second, first)


@pytest.mark.parametrize("width", [1, 6, 784, 10**6])
@pytest.mark.parametrize("batch_size", [1, 128, 5000])
def test_chunks_hold_about_a_fixed_number_of_values(width, batch_size, monkeypatch):
    """A chunk has batch_size rows, or more within the row and value budgets."""
    est = VAETransformer(batch_size=batch_size)
    monkeypatch.setattr(VAETransformer, "_model_width", 6)
    rows = est._inference_rows(width)
    columns = max(width, 6)
    assert rows >= batch_size
    assert rows == batch_size or (
        rows <= _inference.INFERENCE_ROWS
        and rows * columns <= _inference.INFERENCE_VALUES
    )


class _RowCounter(nn.Module):
    """Identity layer that records the number of rows of each call."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def forward(self, x):
        self.calls.append(len(x))
        return x


@pytest.mark.parametrize("method", ["transform", "score_samples"])
def test_the_network_sees_one_chunk_at_a_time(method, monkeypatch):
    """The encoder is called on chunks of rows, never on all rows at once."""
    monkeypatch.setattr(_inference, "INFERENCE_VALUES", 64 * 6)
    counter = _RowCounter()
    encoder = nn.Sequential(counter, nn.Linear(6, 8), nn.ReLU())
    decoder = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 6))
    est = VAETransformer(encoder=encoder, decoder=decoder, max_epochs=1).fit(
        _shifted_rows()
    )
    est.set_params(batch_size=16)
    probe = est.module_.encoder[0]
    probe.calls.clear()
    # float32 rows: float64 ones run on a float64 copy of the module.
    getattr(est, method)(_shifted_rows(n=1000).astype(np.float32))
    assert probe.calls == [64] * 15 + [40]


@pytest.mark.parametrize("method", ["transform", "score_samples"])
def test_inference_leaves_the_rows_alone(method):
    """Inference never writes to X and takes read-only rows without warnings."""
    X = _shifted_rows()
    est = VAETransformer(**{**FAST, "hidden_dims": (16,)}).fit(X)
    expected = getattr(est, method)(X.copy())
    X.setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_array_equal(getattr(est, method)(X), expected)
    assert_array_equal(X, _shifted_rows())


def test_numpy_memory_of_scoring_streams():
    """score_samples' numpy working memory is its output plus one chunk's worth.

    Hashing all rows at once would take 8 bytes per value (here 12.8 MB); torch's
    allocations are not traced, so this checks the numpy side of the streaming.
    """
    X = _shifted_rows(n=50_000, n_features=32).astype(np.float32)
    est = VAETransformer(**{**FAST, "hidden_dims": (16,)}).fit(X[:500])
    est.score_samples(X[:10])
    tracemalloc.start()
    try:
        scores = est.score_samples(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * scores.nbytes + 2 * _inference.INFERENCE_VALUES * 8


# -- persistence, clone and pipelines ------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_persistence_round_trip(Estimator, dump, tmp_path):
    """Pickle and joblib round trips give identical outputs and can keep training."""
    X = factor_data(n_samples=80)
    est = Estimator(**WIDE).fit(X)
    if dump == "pickle":
        loaded = pickle.loads(pickle.dumps(est))
    else:
        joblib.dump(est, tmp_path / "model.joblib")
        loaded = joblib.load(tmp_path / "model.joblib")
    for a, b in zip(fitted_outputs(est, X), fitted_outputs(loaded, X), strict=True):
        assert_array_equal(a, b)
    est.partial_fit(X)
    loaded.partial_fit(X)
    assert_array_equal(est.transform(X), loaded.transform(X))


class _RecordingUnpickler(pickle.Unpickler):
    """Notes every class a pickle asks for."""

    def find_class(self, module, name):
        self.classes.append(f"{module}.{name}")
        return super().find_class(module, name)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_pickles_hold_generator_states_not_generators(Estimator):
    """No torch.Generator is pickled (unpickling one leaked 2.6 KB), and the
    random streams carry on: training after a round trip is the same.

    A binarised model uses all three streams: shuffling, draws and (VAE) noise.
    """
    X = grey_rows()
    est = Estimator(**FAST, likelihood="bernoulli", binarize=True).fit(X)
    unpickler = _RecordingUnpickler(io.BytesIO(pickle.dumps(est)))
    unpickler.classes = []
    loaded = unpickler.load()
    assert "torch._C.Generator" not in unpickler.classes
    assert "skvae._net.GeneratorState" in unpickler.classes
    est.partial_fit(X)
    loaded.partial_fit(X)
    assert_array_equal(est.transform(X), loaded.transform(X))
    assert_array_equal(est.score_samples(X), loaded.score_samples(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_pickles_hold_no_tensor_outside_the_device_mapping(Estimator):
    """Only skorch's device-mapped bytes hold tensors: the callbacks' training
    copies (early stopping's best weights, the scheduler's optimizer) are not
    pickled, so a CUDA model's pickle loads without CUDA; training goes on the
    same."""
    X = factor_data(n_samples=80)
    params = {**FAST, "max_epochs": 4, "early_stopping": True, "lr_schedule": "cosine"}
    est = Estimator(**params).fit(X)
    callbacks = dict(est.net_.callbacks_)
    assert callbacks["early_stopping"].best_model_weights_ is not None  # not lost
    unpickler = _RecordingUnpickler(io.BytesIO(pickle.dumps(est)))
    unpickler.classes = []
    loaded = unpickler.load()
    assert not [name for name in unpickler.classes if name.startswith("torch._utils")]
    est.partial_fit(X)
    loaded.partial_fit(X)
    assert_array_equal(est.transform(X), loaded.transform(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_cuda_pickle_loads_on_the_cpu(Estimator, monkeypatch):
    """A model pickled on CUDA, unpickled without CUDA, predicts the same on the
    CPU and refits there (faked as skorch's tests do: the net says "cuda")."""
    X = factor_data(n_samples=60)
    est = Estimator(**FAST).fit(X)
    expected = fitted_outputs(est, X)
    est.net_.device = est.device_ = est.device = est._structure_["device"] = "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = pickle.loads(pickle.dumps(est))
    assert any("no CUDA devices" in str(w.message) for w in caught)
    assert loaded.device_ == "cpu" and loaded.get_params()["device"] == "cpu"
    for a, b in zip(expected, fitted_outputs(loaded, X), strict=True):
        assert_array_equal(a, b)
    loaded.partial_fit(X)
    assert loaded.fit(X).device_ == "cpu"


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_clone_is_unfitted_with_same_params(Estimator):
    """clone copies parameters and none of the fitted state."""
    est = Estimator(**WIDE, latent_dim=3).fit(factor_data(n_samples=30))
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    assert not hasattr(copy, "net_")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_clone_with_custom_modules(Estimator):
    """clone copies the modules, and the clone fits to the same model."""
    X = normal_rows(40, 6)
    est = Estimator(**ONE_EPOCH, encoder=mlp_encoder(), decoder=mlp_decoder())
    copy = clone(est)
    assert copy.encoder is not est.encoder
    assert copy.decoder is not est.decoder
    assert not hasattr(copy, "net_")
    assert_array_equal(copy.fit(X).transform(X), est.fit(X).transform(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_pipeline_fit_transform_inverse(Estimator):
    """A scaler + autoencoder pipeline transforms and inverts end to end."""
    X = factor_data()
    pipe = Pipeline([("scale", StandardScaler()), ("ae", Estimator(**WIDE))])
    Z = pipe.fit_transform(X)
    assert Z.shape == (len(X), 2)
    assert pipe.inverse_transform(Z).shape == X.shape
    assert np.isfinite(pipe.score(X))


# -- a rejected partial_fit leaves the model as it was ---------------------------


REJECTED = [
    ({"lr": -1.0}, "lr"),
    ({"lr": float("nan")}, "lr"),
    ({"batch_size": 0}, "batch_size"),
    ({"latent_dim": 3}, "latent_dim"),
    ({"hidden_dims": (4,)}, "hidden_dims"),
    ({"likelihood": "bernoulli"}, "likelihood"),
    ({"binarize": True}, "binarize"),
    ({"validation_fraction": 0.99}, "validation_fraction"),
    ({"optimizer": "sgd"}, "optimizer"),
    ({"optimizer": torch.optim.Adam}, "optimizer"),
]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(("params", "named"), REJECTED, ids=str)
def test_rejected_partial_fit_leaves_the_model_as_it_was(Estimator, params, named):
    """Bad parameters set after fit are named, and the trained model survives."""
    X = normal_rows(40, 3)
    est = Estimator(**FAST).fit(X)
    before = fitted_state(est)
    est.set_params(**params)
    with pytest.raises(ValueError, match=named):
        est.partial_fit(X[:4])
    assert_same_state(fitted_state(est), before)
    # Set back, the same model trains on.
    est.set_params(**{key: Estimator(**FAST).get_params()[key] for key in params})
    est.partial_fit(X)
    assert len(est.history_) == before[1] + 1


_FAIL_NEXT_BATCH = []


class _FailsWhenAsked(Callback):
    """Raises in the next training batch's end while _FAIL_NEXT_BATCH holds a value."""

    def on_batch_end(self, net, training=False, **kwargs):
        if training and _FAIL_NEXT_BATCH:
            _FAIL_NEXT_BATCH.clear()
            raise RuntimeError("a callback failed")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_a_partial_fit_failing_midway_is_undone_exactly(Estimator):
    """A call that fails after some steps leaves nothing behind: training on
    afterwards gives bit for bit the model that never saw the failed call (weights,
    optimiser state, history and random streams are all put back)."""
    X = normal_rows(40, 3)
    params = {**FAST, "batch_size": 10, "callbacks": [_FailsWhenAsked()]}
    failed = Estimator(**params).fit(X)
    clean = Estimator(**params).fit(X)
    _FAIL_NEXT_BATCH.append(True)
    with pytest.raises(RuntimeError, match="a callback failed"):
        failed.partial_fit(X)
    for est in (failed, clean):
        est.partial_fit(X)
    assert_same_state(fitted_state(failed), fitted_state(clean))
    assert_array_equal(failed.score_samples(X), clean.score_samples(X))


def test_beta_below_zero_is_rejected_by_partial_fit_after_fit():
    """partial_fit validates the VAE's own parameters too (beta < 0)."""
    est = VAETransformer(**FAST).fit(normal_rows())
    with pytest.raises(ValueError, match="beta"):
        est.set_params(beta=-5).partial_fit(normal_rows())
    assert hasattr(est, "net_")


def test_early_stopping_chunk_too_small_keeps_the_model():
    """A chunk too small for early stopping's held-out rows is refused, model kept."""
    est = VAETransformer(**FAST, early_stopping=True).fit(normal_rows(40, 3))
    before = fitted_state(est)
    with pytest.raises(ValueError, match="no rows to train on"):
        est.partial_fit(normal_rows(1, 3))
    assert_same_state(fitted_state(est), before)


def test_fitted_bernoulli_model_checks_its_support_whatever_likelihood_says():
    """After set_params(likelihood=...), inference checks the fitted likelihood."""
    X = unit_rows()
    est = VAETransformer(likelihood="bernoulli", **FAST).fit(X)
    est.set_params(likelihood="gaussian")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        est.score_samples(X + 1.0)


class _Exp(nn.Module):
    def forward(self, x):
        return x.exp()


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_rows_the_encoder_overflows_on_are_named(Estimator):
    """transform never returns NaN for finite input: rows so far out that the
    network overflows are named in a ValueError that carries them."""
    # exp overflows on standardised values beyond about 89 in float32.
    encoder = nn.Sequential(_Exp(), nn.Linear(3, 8))
    est = Estimator(**ONE_EPOCH, encoder=encoder, decoder=nn.Linear(2, 3))
    est.fit(normal_rows(40, 3))
    rows = np.array([[0.5, 0.5, 0.5], [1e3, 1e3, 1e3]], dtype=np.float32)
    with pytest.raises(ValueError, match=r"1 of 2 rows \(at 1\).*codes are not") as e:
        est.transform(rows)
    assert_array_equal(e.value.rows, [1])
    assert_allclose(e.value.output[0], est.transform(rows[:1])[0], rtol=1e-5)


def test_non_finite_outputs_are_named_by_row():
    """check_finite_output names the first five bad rows and counts them all."""
    output = np.zeros((9, 2))
    output[[1, 3, 4, 5, 6, 8], 0] = [np.nan, np.inf, -np.inf, np.nan, np.nan, np.inf]
    with pytest.raises(ValueError, match=r"6 of 9 rows \(at 1, 3, 4, 5, 6, \.\.\.\)"):
        _inference.check_finite_output(output, "decoded rows")
    assert _inference.check_finite_output(output[[0, 2]], "codes") is not None


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_in_place_first_layers_never_write_the_callers_arrays(Estimator):
    """A user's ReLU(inplace=True) zeroed the caller's X or Z: chunks are copies."""
    X = normal_rows(40, 4)
    est = Estimator(
        **ONE_EPOCH,
        encoder=nn.Sequential(nn.ReLU(inplace=True), nn.Linear(4, 8)),
        decoder=nn.Sequential(nn.ReLU(inplace=True), nn.Linear(2, 4)),
    )
    X_given = X.copy()
    est.fit(X_given)
    est.transform(X_given)
    est.score_samples(X_given)
    Z = -np.ones((3, 2))
    est.inverse_transform(Z)
    assert_array_equal(X_given, X)
    assert_array_equal(Z, -np.ones((3, 2)))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_numpy_integers_are_counts_too(Estimator):
    """GridSearchCV passes np.int64 grid values: batch_size=np.int64(16) crashed."""
    X = normal_rows(40, 3)
    est = Estimator(**{**FAST, "batch_size": np.int64(16), "max_epochs": np.int64(2)})
    est.fit(X).partial_fit(X)
    assert est.n_iter_ == 3


class _TupleWhenTraining(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(3, 8)

    def forward(self, x):
        h = self.layer(x)
        return (h, x) if self.training else h


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_networks_that_misbehave_only_in_training_are_named(Estimator):
    """The build check runs the training pass too (on a copy)."""
    est = Estimator(**ONE_EPOCH, encoder=_TupleWhenTraining(), decoder=nn.Linear(2, 3))
    with pytest.raises(ValueError, match="encoder/decoder modules failed"):
        est.fit(normal_rows(40, 3))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_trimmed_training_learns_planted_outliers_less(Estimator):
    """With trim_fraction, rows far from the rest are left out of the training
    loss, so they score lower against the inliers than after untrimmed training;
    trim_fraction=0 is the plain loss."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 4))
    X[:20] = rng.normal(loc=6.0, size=(20, 4))  # 5% of the rows, far out
    params = {**FAST, "max_epochs": 30, "lr": 1e-2}

    def gap(est):
        scores = est.score_samples(X)
        return scores[20:].mean() - scores[:20].mean()

    plain = Estimator(**params).fit(X)
    assert_array_equal(
        Estimator(**params, trim_fraction=0.0).fit(X).transform(X), plain.transform(X)
    )
    trimmed = Estimator(**params, trim_fraction=0.2).fit(X)
    assert gap(trimmed) > gap(plain) + 10.0  # measured: VAE 93 vs 6, AE 55 vs 0.9


@pytest.mark.parametrize("trim_fraction", [-0.1, 1.0, 1.5, "x"])
def test_trim_fraction_outside_zero_one_is_refused(trim_fraction):
    """trim_fraction must lie in [0, 1): the error names it."""
    with pytest.raises(ValueError, match="trim_fraction"):
        VAETransformer(**FAST, trim_fraction=trim_fraction).fit(np.ones((10, 2)))
