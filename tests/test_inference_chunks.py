"""Inference in chunks of rows: results and memory do not depend on the chunking."""

import tracemalloc

import numpy as np

from skvae import AETransformer, VAETransformer, _noise
from skvae._noise import row_keys

ESTIMATORS = [VAETransformer, AETransformer]
FAST = {"hidden_dims": (16,), "max_epochs": 2, "random_state": 0}


def _rows(n=300, n_features=6, seed=0):
    return np.random.RandomState(seed).normal(size=(n, n_features)) + 2.0


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
