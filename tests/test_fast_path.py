"""The training loop's shortcuts over skorch change nothing but speed."""

import numpy as np

from skvae import VAETransformer


def _rows(n=60, seed=0):
    return np.random.RandomState(seed).normal(size=(n, 4))


def test_quiet_print_log_prints_once_verbose(capsys):
    """verbose=0 then verbose=1 on the same estimator prints the table with a header."""
    estimator = VAETransformer(hidden_dims=(8,), max_epochs=2, random_state=0)
    estimator.fit(_rows())
    assert capsys.readouterr().out == ""
    estimator.set_params(verbose=1).partial_fit(_rows())
    out = capsys.readouterr().out
    assert "train_loss" in out and out.count("\n") >= 3
