"""skvae on dask: searches on a local cluster, partial_fit over dask arrays.

The recipes of docs/user_guide/parallel.rst; they need the ``dask`` extra and
dask-ml, which the ``test`` extra installs.
"""

import os

import dask.array as da
import distributed
import numpy as np
import pytest
import torch
from dask_ml.wrappers import Incremental
from joblib import parallel_config
from numpy.testing import assert_array_equal
from sklearn.model_selection import GridSearchCV, cross_validate

from skvae import AETransformer, VAETransformer
from tests.conftest import (
    BLOCK_ROWS,
    ESTIMATORS,
    FAST,
    assert_chunked_like_fit,
    assert_same_state,
    chunked_data,
    fitted_state,
    normal_rows,
)

# What distributed's nanny writes into its own process's environment before it
# spawns a worker (its ``distributed.nanny.pre-spawn-environ``); torch reads the
# first two.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@pytest.fixture(scope="module")
def client():
    """A client of two one-thread worker processes on loopback.

    The workers start from distributed's own thread settings, not the caller's,
    and this process's environment, which the nanny changes, is put back after.
    """
    saved = dict(os.environ)
    for name in THREAD_VARIABLES:
        os.environ.pop(name, None)
    try:
        with (
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield client
    finally:
        for name in set(os.environ) - set(saved):
            del os.environ[name]
        os.environ.update(saved)


def test_each_worker_runs_one_torch_thread(client):
    """Each worker runs one torch thread: the nanny sets OMP/MKL_NUM_THREADS to 1."""
    threads = client.run(torch.get_num_threads)
    assert list(threads.values()) == [1, 1]


def test_grid_search_on_the_cluster_matches_the_serial_one(client):
    """GridSearchCV under joblib's dask backend gives the n_jobs=1 results exactly."""
    X = normal_rows(40)

    def search():
        grid = {"beta": [0.5, 1.0, 2.0]}
        return GridSearchCV(VAETransformer(**FAST), grid, cv=2)

    serial = search().fit(X)
    with distributed.get_task_stream(client) as tasks, parallel_config(backend="dask"):
        parallel = search().fit(X)
    assert tasks.data, "no task ran on the cluster"
    assert parallel.cv_results_["params"] == serial.cv_results_["params"]
    for key in ("split0_test_score", "split1_test_score", "mean_test_score"):
        assert_array_equal(parallel.cv_results_[key], serial.cv_results_[key])
    assert_array_equal(
        parallel.cv_results_["rank_test_score"], serial.cv_results_["rank_test_score"]
    )
    assert parallel.best_params_ == serial.best_params_


def test_cross_validate_on_the_cluster_matches_the_serial_one(client):
    """cross_validate of an AETransformer on the cluster scores as n_jobs=1 does."""
    X = normal_rows(40)
    serial = cross_validate(AETransformer(**FAST), X, cv=2)
    with parallel_config(backend="dask"):
        parallel = cross_validate(AETransformer(**FAST), X, cv=2)
    assert_array_equal(parallel["test_score"], serial["test_score"])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_over_dask_blocks_trains_like_fit(client, Estimator):
    """Passes of partial_fit over a dask array's computed blocks score like fit,
    and train exactly as the same blocks in numpy do."""
    X, _ = chunked_data()
    blocks = da.from_array(X, chunks=(BLOCK_ROWS, -1)).blocks
    chunked = assert_chunked_like_fit(Estimator, lambda: (b.compute() for b in blocks))
    in_numpy = assert_chunked_like_fit(
        Estimator, lambda: np.split(X, len(X) // BLOCK_ROWS)
    )
    assert_same_state(fitted_state(chunked), fitted_state(in_numpy))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_dask_ml_incremental_trains_block_by_block(client, Estimator):
    """dask-ml's Incremental calls partial_fit once per block, in order when not
    shuffled, and its transform and score agree with the estimator's."""
    X = normal_rows(120)
    dX = da.from_array(X, chunks=(40, -1))
    incremental = Incremental(Estimator(**FAST), shuffle_blocks=False)
    incremental.fit(dX).partial_fit(dX)
    by_hand = Estimator(**FAST)
    for _ in range(2):
        for block in np.split(X, 3):
            by_hand.partial_fit(block)
    fitted = incremental.estimator_
    assert fitted.n_iter_ == 6
    assert_same_state(fitted_state(fitted), fitted_state(by_hand))
    # Incremental's transform declares its output as wide as X (dask-ml maps
    # the blocks without new chunks), but computes the codes.
    assert_array_equal(incremental.transform(dX).compute(), fitted.transform(X))
    assert incremental.score(dX, None) == fitted.score(X)
