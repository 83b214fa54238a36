"""Training controls: early stopping, KL warm-up, free bits and LR schedules."""

import copy

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from skvae import AETransformer, VAETransformer
from skvae._setup import split_rows

ESTIMATORS = [VAETransformer, AETransformer]
FAST = {"hidden_dims": (8,), "random_state": 0}
STOPPING = {**FAST, "max_epochs": 200, "lr": 1e-2, "early_stopping": True}


def _rows(n=60, n_features=6, seed=0):
    """Rank-2 factor data with noise: learnable, then overfitted."""
    rng = np.random.RandomState(seed)
    return rng.normal(size=(n, 2)) @ rng.normal(size=(2, n_features)) + 0.3 * (
        rng.normal(size=(n, n_features))
    )


def _callback(est, name):
    return dict(est.net_.callbacks_)[name]


class SaveWeights(Callback):
    """Keeps a copy of the module's weights after every epoch."""

    def initialize(self):
        self.weights_ = {}
        return self

    def on_epoch_end(self, net, **kwargs):
        self.weights_[len(net.history)] = copy.deepcopy(net.module_.state_dict())


# -- early stopping -------------------------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping_stops_and_restores_best_weights(Estimator):
    """fit stops n_iter_no_change epochs after the best one and restores its weights."""
    est = Estimator(
        **STOPPING, n_iter_no_change=3, callbacks=[("save", SaveWeights())]
    ).fit(_rows())
    best = _callback(est, "early_stopping").best_epoch_
    assert est.n_iter_ == len(est.history_) < 200
    assert best == est.n_iter_ - 3
    valid = est.history_[:, "valid_loss"]
    assert valid[best - 1] <= min(valid) + est.tol
    saved = _callback(est, "save").weights_[best]
    for name, value in est.module_.state_dict().items():
        assert torch.equal(value, saved[name]), name


def test_restored_autoencoder_has_the_best_validation_loss():
    """After early stopping the module's validation loss is the best one recorded."""
    X = _rows()
    est = AETransformer(**STOPPING, n_iter_no_change=3).fit(X)
    rows = torch.as_tensor(est._standardize(X), dtype=torch.float32)
    _, valid = split_rows(est, rows)
    with torch.no_grad():
        loss = -est.module_(valid.tensors[0]).log_px_z.mean().item()
    best = _callback(est, "early_stopping").best_epoch_
    assert loss == pytest.approx(est.history_[best - 1, "valid_loss"], rel=1e-5)
    assert loss == pytest.approx(min(est.history_[:, "valid_loss"]), abs=est.tol)


@pytest.mark.parametrize("verbose", [0, 1])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping_prints_only_when_verbose(Estimator, verbose, capfd):
    """verbose=0 prints nothing; verbose=1 says why training stopped."""
    est = Estimator(**STOPPING, n_iter_no_change=2, verbose=verbose).fit(_rows())
    assert est.n_iter_ < 200
    out, err = capfd.readouterr()
    if verbose:
        assert "Stopping since valid_loss has not improved" in out
    else:
        assert out == err == ""


@pytest.mark.parametrize(
    ("validation_fraction", "n_valid"), [(None, 5), (0.2, 10), (0.5, 25)]
)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping_holds_out_a_tenth_by_default(
    Estimator, validation_fraction, n_valid
):
    """Early stopping validates on validation_fraction of the rows, 0.1 without."""
    est = Estimator(
        **FAST,
        max_epochs=2,
        early_stopping=True,
        validation_fraction=validation_fraction,
    ).fit(_rows(n=50))
    batch = est.history_[-1, "batches", 0]
    assert batch["train_batch_size"] == 50 - n_valid
    assert est.history_[-1, "batches", -1]["valid_batch_size"] == n_valid


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping_needs_a_row_to_train_on(Estimator):
    """A single row cannot be split for early stopping: a clear error."""
    est = Estimator(**FAST, max_epochs=2, early_stopping=True)
    with pytest.raises(ValueError, match="for early_stopping leaves no rows"):
        est.fit(_rows(n=1))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_keeps_early_stopping_of_the_first_call(Estimator):
    """partial_fit trains one epoch per call, also after early_stopping is unset."""
    X = _rows()
    est = Estimator(**STOPPING, n_iter_no_change=2).fit(X)
    n_iter = est.n_iter_
    est.set_params(early_stopping=False)
    est.partial_fit(X).partial_fit(X)
    assert est.n_iter_ == n_iter + 2
    assert np.isfinite(est.history_[-1, "valid_loss"])


# -- KL warm-up ---------------------------------------------------------------------


# -- free bits ------------------------------------------------------------------------


# -- learning-rate schedules ----------------------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_cosine_schedule_follows_the_cosine(Estimator):
    """Epoch e of a T-epoch fit uses lr * (1 + cos(pi * (e - 1) / T)) / 2."""
    est = Estimator(**FAST, max_epochs=6, lr=0.01, lr_schedule="cosine").fit(_rows())
    epochs = np.arange(6)
    expected = 0.01 * (1 + np.cos(np.pi * epochs / 6)) / 2
    np.testing.assert_allclose(est.history_[:, "event_lr"], expected, rtol=1e-10)
    # Each partial_fit call trains its one epoch at lr.
    est.partial_fit(_rows()).partial_fit(_rows())
    assert est.history_[-2:, "event_lr"] == [0.01, 0.01]


@pytest.mark.parametrize("validation_fraction", [None, 0.2])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_plateau_schedule_divides_lr_by_ten(Estimator, validation_fraction):
    """With no improvement by tol, lr drops 10x after n_iter_no_change // 2 + 1."""
    est = Estimator(
        **FAST,
        max_epochs=8,
        lr=0.01,
        lr_schedule="plateau",
        n_iter_no_change=4,
        tol=100.0,
        validation_fraction=validation_fraction,
    ).fit(_rows())
    expected = [0.01] * 4 + [0.001] * 3 + [0.0001]
    np.testing.assert_allclose(est.history_[:, "event_lr"], expected, rtol=1e-10)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_no_schedule_keeps_lr(Estimator):
    """lr_schedule=None trains every epoch at lr and records no event_lr."""
    est = Estimator(**FAST, max_epochs=4, lr=0.01).fit(_rows())
    assert "event_lr" not in est.history_[-1]
    assert est.net_.optimizer_.param_groups[0]["lr"] == 0.01


# -- all together -------------------------------------------------------------------


@pytest.mark.parametrize("lr_schedule", ["cosine", "plateau"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_controls_are_repeatable_with_random_state(Estimator, lr_schedule):
    """Two fits with the same random_state and every control on agree exactly."""
    params = {**STOPPING, "lr_schedule": lr_schedule, "n_iter_no_change": 2}
    if Estimator is VAETransformer:
        params.update(kl_warmup_epochs=3, free_bits=0.1)
    X = _rows()
    first, second = Estimator(**params).fit(X), Estimator(**params).fit(X)
    assert first.n_iter_ == second.n_iter_
    np.testing.assert_array_equal(first.transform(X), second.transform(X))


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
