"""Training controls: early stopping, KL warm-up, free bits and LR schedules."""

import numpy as np
import pytest

from skvae import AETransformer, VAETransformer

ESTIMATORS = [VAETransformer, AETransformer]
FAST = {"hidden_dims": (8,), "random_state": 0}
STOPPING = {**FAST, "max_epochs": 200, "lr": 1e-2, "early_stopping": True}


def _rows(n=60, n_features=6, seed=0):
    """Rank-2 factor data with noise: learnable, then overfitted."""
    rng = np.random.RandomState(seed)
    return rng.normal(size=(n, 2)) @ rng.normal(size=(2, n_features)) + 0.3 * (
        rng.normal(size=(n, n_features))
    )


# -- early stopping -------------------------------------------------------------


# -- KL warm-up ---------------------------------------------------------------------


# -- free bits ------------------------------------------------------------------------


# -- learning-rate schedules ----------------------------------------------------------


# -- all together -------------------------------------------------------------------


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
        Estimator(**FAST, max_epochs=1, **{param: value}).fit(_rows())
