"""Tests of skvae._noise: the row-keyed standard normal noise of Monte-Carlo scores."""

import tracemalloc

import numpy as np
import pytest
import torch
from scipy import stats
from scipy.special import ndtri

from skvae import _noise
from skvae._noise import keyed_normal_noise, row_keys
from skvae._noise import row_normal_noise as _row_normal_noise
from tests.conftest import normal_rows

SEED = 12345


def row_normal_noise(X, n_draws, dim, seed, first_draw=0):
    return _row_normal_noise(X, n_draws, dim, seed, first_draw).numpy()


def _rows(n=50, n_features=4, seed=0):
    return np.random.default_rng(seed).normal(size=(n, n_features))


@pytest.mark.parametrize("n_draws", [1, 3])
@pytest.mark.parametrize("dim", [1, 2, 5])
def test_shape_and_dtype(n_draws, dim):
    """The noise has shape (n_rows, n_draws, dim) and is finite float64."""
    noise = row_normal_noise(_rows(7), n_draws, dim, SEED)
    assert noise.shape == (7, n_draws, dim)
    assert noise.dtype == np.float64
    assert np.isfinite(noise).all()


def test_rows_alone_get_the_same_noise():
    """Each row scored on its own gets exactly its noise from the full batch."""
    X = _rows(20)
    full = row_normal_noise(X, 3, 2, SEED)
    for i in range(len(X)):
        np.testing.assert_array_equal(
            row_normal_noise(X[i : i + 1], 3, 2, SEED)[0], full[i]
        )


@pytest.mark.parametrize("subset_seed", [0, 1, 2])
def test_subsets_and_permutations_get_the_same_noise(subset_seed):
    """Any subset of rows, in any order, gets exactly the same noise per row."""
    X = _rows(40)
    full = row_normal_noise(X, 2, 3, SEED)
    rng = np.random.default_rng(subset_seed)
    idx = rng.permutation(len(X))[: rng.integers(1, len(X) + 1)]
    np.testing.assert_array_equal(row_normal_noise(X[idx], 2, 3, SEED), full[idx])


def test_identical_rows_get_identical_noise():
    """Duplicated rows get identical noise wherever they sit in the batch."""
    X = _rows(5)
    X_dup = X[[0, 3, 0, 1, 3, 0]]
    noise = row_normal_noise(X_dup, 2, 2, SEED)
    np.testing.assert_array_equal(noise[0], noise[2])
    np.testing.assert_array_equal(noise[0], noise[5])
    np.testing.assert_array_equal(noise[1], noise[4])
    assert not np.array_equal(noise[0], noise[1])


def test_negative_zero_keys_like_zero():
    """-0.0 and 0.0 give the same keys and the same noise."""
    X = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -3.0]])
    X_neg = np.array([[-0.0, 1.5, -0.0], [2.0, -0.0, -3.0]])
    assert np.signbit(X_neg[0, 0])
    np.testing.assert_array_equal(row_keys(X, SEED), row_keys(X_neg, SEED))
    np.testing.assert_array_equal(
        row_normal_noise(X, 2, 3, SEED), row_normal_noise(X_neg, 2, 3, SEED)
    )


def test_float32_and_float64_get_the_same_noise():
    """float32 rows and their exact float64 copies get the same noise."""
    X32 = _rows(30).astype(np.float32)
    np.testing.assert_array_equal(
        row_normal_noise(X32, 2, 3, SEED),
        row_normal_noise(X32.astype(np.float64), 2, 3, SEED),
    )


def test_different_seeds_give_different_noise():
    """Changing the seed changes every value of the noise."""
    X = _rows(200)
    a = row_normal_noise(X, 2, 3, SEED)
    b = row_normal_noise(X, 2, 3, SEED + 1)
    assert not np.isclose(a, b).any()
    assert abs(np.corrcoef(a.ravel(), b.ravel())[0, 1]) < 0.1


def test_different_seeds_change_the_all_zero_row():
    """Changing the seed changes the noise of an all-zero row too."""
    X = np.zeros((1, 3))
    a = row_normal_noise(X, 1, 4, SEED)
    b = row_normal_noise(X, 1, 4, SEED + 1)
    assert not np.array_equal(a, b)


def test_rows_differing_in_one_value_get_unrelated_noise():
    """A one-ulp change in any one column gives uncorrelated noise."""
    X = _rows(5000, n_features=3, seed=1)
    Y = X.copy()
    column = np.arange(len(X)) % X.shape[1]
    rows = np.arange(len(X))
    Y[rows, column] = np.nextafter(X[rows, column], np.inf)
    a = row_normal_noise(X, 1, 2, SEED).ravel()
    b = row_normal_noise(Y, 1, 2, SEED).ravel()
    assert not np.isclose(a, b).any()
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.05


def test_column_order_matters():
    """Swapping two different values within a row changes its noise."""
    X = np.array([[1.0, 2.0, 3.0]])
    swapped = np.array([[2.0, 1.0, 3.0]])
    assert not np.isclose(
        row_normal_noise(X, 1, 4, SEED), row_normal_noise(swapped, 1, 4, SEED)
    ).any()


def _gaussian_rows():
    return _rows(20000, n_features=4, seed=2)


def _integer_grid_rows():
    # Structured input: small integers on a grid, where a weak hash would show.
    grid = np.indices((20, 20, 50)).reshape(3, -1).T
    return grid.astype(np.float64)


@pytest.mark.parametrize("make_rows", [_gaussian_rows, _integer_grid_rows])
def test_noise_is_standard_normal(make_rows):
    """Over 20000 rows the noise has mean 0, std 1 and a normal distribution."""
    X = make_rows()
    assert len(X) == 20000
    noise = row_normal_noise(X, 2, 3, SEED)
    values = noise.ravel()
    # The standard error of the mean is about 0.003 and of the std about 0.002.
    assert abs(values.mean()) < 0.015
    assert abs(values.std() - 1.0) < 0.015
    for draw_dim in noise.reshape(len(X), -1).T:
        assert abs(draw_dim.mean()) < 0.03
        assert abs(draw_dim.std() - 1.0) < 0.03
    assert stats.kstest(values, "norm").pvalue > 1e-3


@pytest.mark.parametrize("make_rows", [_gaussian_rows, _integer_grid_rows])
def test_draws_and_dimensions_are_uncorrelated(make_rows):
    """Across rows, different draws and dimensions are nearly uncorrelated."""
    X = make_rows()
    columns = row_normal_noise(X, 2, 3, SEED).reshape(len(X), -1)
    corr = np.corrcoef(columns, rowvar=False)
    off_diagonal = corr[~np.eye(len(corr), dtype=bool)]
    assert np.abs(off_diagonal).max() < 0.05


def test_neighbouring_rows_are_uncorrelated():
    """Consecutive rows of an integer grid get uncorrelated noise."""
    noise = row_normal_noise(_integer_grid_rows(), 1, 1, SEED).ravel()
    assert abs(np.corrcoef(noise[:-1], noise[1:])[0, 1]) < 0.05


def test_row_keys_hash_in_blocks():
    """Row hashing works in blocks: its memory does not grow with rows x columns."""
    X = normal_rows(50_000, 32) + 2.0
    tracemalloc.start()
    try:
        keys = row_keys(X, 0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # All values at once would take X.nbytes (12.8 MB) per working array.
    assert peak < 4 * keys.nbytes + 4 * _noise._BLOCK_VALUES * 8


def _numpy_normal_noise(keys, n_draws, dim, first_draw=0):
    """The noise as skvae drew it before, with numpy's uint64 arithmetic."""
    start = first_draw * dim + 1
    counters = np.arange(start, start + n_draws * dim, dtype=np.uint64) * _noise._GOLDEN
    bits = _noise._mix64(keys[:, None] + counters[None, :])
    uniform = (bits >> np.uint64(11)).astype(np.float64)
    return ndtri((uniform + 0.5) * 2.0**-53).reshape(len(keys), n_draws, dim)


@pytest.mark.parametrize("first_draw", [0, 7])
@pytest.mark.parametrize("make_rows", [_gaussian_rows, _integer_grid_rows])
def test_torch_noise_equals_the_uint64_arithmetic(make_rows, first_draw):
    """The torch noise (int64 bits) is numpy's uint64 noise, to 1e-12.

    The bits are equal; only the two ndtri implementations round differently
    (measured: 1e-15).
    """
    keys = row_keys(make_rows(), SEED)
    noise = keyed_normal_noise(keys, 2, 3, first_draw)
    assert noise.dtype == torch.float64
    expected = _numpy_normal_noise(keys, 2, 3, first_draw)
    np.testing.assert_allclose(noise.numpy(), expected, rtol=0, atol=1e-12)
    from_tensor = keyed_normal_noise(torch.from_numpy(keys.view(np.int64)), 2, 3)
    np.testing.assert_array_equal(
        from_tensor.numpy(), keyed_normal_noise(keys, 2, 3).numpy()
    )


def test_row_keys_do_not_depend_on_threads(monkeypatch):
    """Hashing on several threads gives the keys of one thread, bit for bit."""
    X = normal_rows(20_000, 16)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    one = row_keys(X, SEED)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 3)
    np.testing.assert_array_equal(row_keys(X, SEED), one)
    np.testing.assert_array_equal(row_keys(X[:5], SEED), one[:5])
