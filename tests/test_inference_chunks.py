"""Inference in chunks of rows: results and memory do not depend on the chunking."""

import tracemalloc
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from torch import nn

from skvae import AETransformer, VAETransformer, _base, _noise
from skvae._noise import row_keys

ESTIMATORS = [VAETransformer, AETransformer]
FAST = {"hidden_dims": (16,), "max_epochs": 2, "random_state": 0}


def _rows(n=300, n_features=6, seed=0):
    return np.random.RandomState(seed).normal(size=(n, n_features)) + 2.0


def _outputs(est, X):
    return (
        est.transform(X),
        est.inverse_transform(est.transform(X)),
        est.score_samples(X),
    )


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_row_chunks_give_the_same_results(Estimator, dtype, monkeypatch):
    """transform, inverse_transform and score_samples agree in chunks of 1 row."""
    X = _rows().astype(dtype)
    est = Estimator(**FAST).fit(X)
    default = _outputs(est, X)
    est.set_params(batch_size=1)
    monkeypatch.setattr(_base, "_INFERENCE_VALUES", 1)
    assert est._inference_rows(X.shape[1]) == 1
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for chunked, whole in zip(_outputs(est, X), default, strict=True):
        assert chunked.dtype == whole.dtype
        assert_allclose(chunked, whole, rtol=tol, atol=tol)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_batch_size_does_not_change_inference_below_the_chunk(Estimator):
    """batch_sizes smaller than the chunk give bit-identical inference results."""
    X = _rows(n=500)
    est = Estimator(**FAST).fit(X)
    outputs = _outputs(est.set_params(batch_size=7), X)
    again = _outputs(est.set_params(batch_size=64), X)
    for second, first in zip(again, outputs, strict=True):
        assert_array_equal(second, first)


@pytest.mark.parametrize("width", [1, 6, 784, 10**6])
@pytest.mark.parametrize("batch_size", [1, 128, 5000])
def test_chunks_hold_about_a_fixed_number_of_values(width, batch_size):
    """A chunk has batch_size rows, or more within the row and value budgets."""
    est = VAETransformer(batch_size=batch_size)
    est.n_features_in_ = 6
    rows = est._inference_rows(width)
    columns = max(width, 6)
    assert rows >= batch_size
    assert rows == batch_size or (
        rows <= _base._INFERENCE_ROWS and rows * columns <= _base._INFERENCE_VALUES
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
    monkeypatch.setattr(_base, "_INFERENCE_VALUES", 64 * 6)
    counter = _RowCounter()
    encoder = nn.Sequential(counter, nn.Linear(6, 8), nn.ReLU())
    decoder = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 6))
    est = VAETransformer(encoder=encoder, decoder=decoder, max_epochs=1).fit(_rows())
    est.set_params(batch_size=16)
    probe = est.module_.encoder[0]
    probe.calls.clear()
    # float32 rows: float64 ones run on a float64 copy of the module.
    getattr(est, method)(_rows(n=1000).astype(np.float32))
    assert probe.calls == [64] * 15 + [40]


@pytest.mark.parametrize("method", ["transform", "score_samples"])
def test_inference_leaves_the_rows_alone(method):
    """Inference never writes to X and takes read-only rows without warnings."""
    X = _rows()
    est = VAETransformer(**FAST).fit(X)
    expected = getattr(est, method)(X.copy())
    X.setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_array_equal(getattr(est, method)(X), expected)
    assert_array_equal(X, _rows())


def test_numpy_memory_of_scoring_streams():
    """score_samples' numpy working memory is its output plus one chunk's worth.

    Hashing all rows at once would take 8 bytes per value (here 12.8 MB); torch's
    allocations are not traced, so this checks the numpy side of the streaming.
    """
    X = _rows(n=50_000, n_features=32).astype(np.float32)
    est = VAETransformer(**FAST).fit(X[:500])
    est.score_samples(X[:10])
    tracemalloc.start()
    try:
        scores = est.score_samples(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * scores.nbytes + 2 * _base._INFERENCE_VALUES * 8


def test_row_keys_hash_in_blocks():
    """Row hashing works in blocks: its memory does not grow with rows x columns."""
    X = _rows(n=50_000, n_features=32)
    tracemalloc.start()
    try:
        keys = row_keys(X, 0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # All values at once would take X.nbytes (12.8 MB) per working array.
    assert peak < 4 * keys.nbytes + 4 * _noise._BLOCK_VALUES * 8
