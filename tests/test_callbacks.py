"""skorch callbacks passed to the estimators, and RecordReconstructions."""

import numpy as np
import pytest
from sklearn.base import clone
from skorch.callbacks import Callback, EarlyStopping

from skvae import VAETransformer
from skvae.callbacks import RecordReconstructions
from tests.conftest import ESTIMATORS, FAST, normal_rows


def _rows(n=30, n_features=5, seed=0):
    return np.random.RandomState(seed).normal(size=(n, n_features)) + 2.0


def _recorded_epochs(est):
    return [row["epoch"] for row in est.history_ if "reconstructions" in row]


def _fitted_callbacks(est, cls):
    return [cb for _, cb in est.net_.callbacks_ if isinstance(cb, cls)]


class CountEpochs(Callback):
    """Counts the on_epoch_end calls it gets."""

    def __init__(self):
        self.calls = 0

    def on_epoch_end(self, net, **kwargs):
        self.calls += 1


@pytest.mark.parametrize(
    ("every", "max_epochs", "epochs"),
    [
        (2, 5, [1, 3, 5]),
        (2, 4, [1, 3, 4]),
        (1, 3, [1, 2, 3]),
        (3, 1, [1]),
        (10, 3, [1, 3]),
    ],
)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_records_first_every_and_last_epoch(Estimator, every, max_epochs, epochs):
    """Reconstructions are recorded on epoch 1, every `every` epochs and the last."""
    X = _rows()
    est = Estimator(
        **{**FAST, "max_epochs": max_epochs},
        callbacks=[RecordReconstructions(X[:3], every=every)],
    ).fit(X)
    assert _recorded_epochs(est) == epochs
    for epoch in epochs:
        assert est.history_[epoch - 1, "reconstructions"].shape == (3, 5)


@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_final_reconstructions_match_inverse_transform(Estimator, likelihood):
    """The last recording is inverse_transform(transform(X)), in data units."""
    X = _rows() if likelihood == "gaussian" else np.random.RandomState(0).rand(30, 5)
    est = Estimator(
        **{**FAST, "max_epochs": 2},
        likelihood=likelihood,
        callbacks=[RecordReconstructions(X[:3])],
    ).fit(X)
    recorded = est.history_[-1, "reconstructions"]
    expected = est.inverse_transform(est.transform(X[:3]))
    assert recorded.dtype == np.float64
    assert np.allclose(recorded, expected, atol=1e-4)


def test_conv_reconstructions_match_inverse_transform():
    """With batch norm, recordings use eval mode like inverse_transform."""
    X = np.random.RandomState(0).rand(30, 16)
    est = VAETransformer(
        architecture="conv",
        image_shape=(1, 4, 4),
        max_epochs=2,
        random_state=0,
        callbacks=[RecordReconstructions(X[:3])],
    ).fit(X)
    expected = est.inverse_transform(est.transform(X[:3]))
    assert np.allclose(est.history_[-1, "reconstructions"], expected, atol=1e-4)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_wrong_width_rows_raise(Estimator):
    """Rows of another width than the training data raise a ValueError."""
    X = _rows()
    est = Estimator(
        **{**FAST, "max_epochs": 1}, callbacks=[RecordReconstructions(X[:3, :4])]
    )
    with pytest.raises(ValueError, match="4 features.*5"):
        est.fit(X)
    assert not hasattr(est, "net_")


@pytest.mark.parametrize("every", [0, -1, 1.5, True, "2"])
def test_invalid_every_raises(every):
    """every must be an integer >= 1."""
    X = _rows()
    est = VAETransformer(
        **{**FAST, "max_epochs": 1}, callbacks=[RecordReconstructions(X[:3], every)]
    )
    with pytest.raises(ValueError, match="every must be an integer >= 1"):
        est.fit(X)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_user_callback_is_not_mutated(Estimator):
    """fit works on a copy of each callback, found afterwards in net_.callbacks_."""
    X = _rows()
    callback = RecordReconstructions(X[:3], every=2)
    est = Estimator(**{**FAST, "max_epochs": 1}, callbacks=[callback]).fit(X)
    assert not hasattr(callback, "X_")
    assert vars(callback) == {"X": callback.X, "every": 2}
    assert est.callbacks[0] is callback
    (fitted,) = _fitted_callbacks(est, RecordReconstructions)
    assert fitted is not callback
    assert np.array_equal(fitted.X_, X[:3])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_refit_starts_afresh(Estimator):
    """Refitting records anew rather than appending to the previous fit."""
    X = _rows()
    est = Estimator(
        **{**FAST, "max_epochs": 3},
        callbacks=[RecordReconstructions(X[:3], every=2)],
    )
    first = est.fit(X).history_[:, "reconstructions"]
    second = est.fit(X).history_[:, "reconstructions"]
    assert len(first) == len(second) == 2
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_named_callback_pair(Estimator):
    """A (name, callback) pair is registered under its name."""
    X = _rows()
    est = Estimator(
        **{**FAST, "max_epochs": 2},
        callbacks=[("recorder", RecordReconstructions(X[:2]))],
    ).fit(X)
    assert isinstance(dict(est.net_.callbacks_)["recorder"], RecordReconstructions)
    assert _recorded_epochs(est) == [1, 2]


@pytest.mark.parametrize(
    "callbacks",
    [
        [object()],
        ["print_log"],
        [RecordReconstructions],
        [("name", 3)],
        [("name", RecordReconstructions(np.zeros((1, 5))), "extra")],
    ],
)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_non_callback_raises(Estimator, callbacks):
    """Anything but a Callback instance or a (name, Callback) pair raises."""
    est = Estimator(**{**FAST, "max_epochs": 1}, callbacks=callbacks)
    with pytest.raises(ValueError, match="callbacks must hold skorch Callback"):
        est.fit(_rows())
    assert not hasattr(est, "net_")


@pytest.mark.parametrize("max_epochs", [1, 3])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_user_callback_runs_each_epoch(Estimator, max_epochs):
    """A user-defined skorch Callback gets on_epoch_end once per epoch."""
    est = Estimator(
        **{**FAST, "max_epochs": max_epochs}, callbacks=(CountEpochs(),)
    ).fit(_rows())
    (fitted,) = _fitted_callbacks(est, CountEpochs)
    assert fitted.calls == max_epochs


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_records_each_call(Estimator):
    """Each partial_fit call records its (single, last) epoch."""
    X = _rows()
    est = Estimator(
        **{**FAST, "max_epochs": 1}, callbacks=[RecordReconstructions(X[:3], every=5)]
    )
    for _ in range(3):
        est.partial_fit(X)
    assert _recorded_epochs(est) == [1, 2, 3]
    assert len(_fitted_callbacks(est, RecordReconstructions)) == 1
    expected = est.inverse_transform(est.transform(X[:3]))
    assert np.allclose(est.history_[-1, "reconstructions"], expected, atol=1e-4)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_clone_with_callbacks_fits(Estimator):
    """A clone gets its own copy of the callbacks and records the same epochs."""
    X = _rows()
    est = Estimator(
        **{**FAST, "max_epochs": 3},
        callbacks=[RecordReconstructions(X[:3], every=2)],
    )
    copy = clone(est)
    assert copy.callbacks[0] is not est.callbacks[0]
    assert _recorded_epochs(copy.fit(X)) == _recorded_epochs(est.fit(X)) == [1, 3]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_verbose_table_leaves_out_reconstructions(Estimator, capsys):
    """verbose=1 prints the losses but not the recorded arrays."""
    X = _rows()
    Estimator(
        **{**FAST, "max_epochs": 2},
        validation_fraction=0.2,
        verbose=1,
        callbacks=[RecordReconstructions(X[:3])],
    ).fit(X)
    out = capsys.readouterr().out
    assert "valid_loss" in out
    assert "reconstructions" not in out


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_callback_watching_validation_without_held_out_rows_is_named(Estimator):
    """skorch's EarlyStopping() (monitor='valid_loss') with no validation rows."""
    est = Estimator(**FAST, callbacks=[EarlyStopping()])
    with pytest.raises(ValueError, match="monitors 'valid_loss'.*validation_fraction"):
        est.fit(normal_rows())
    assert not hasattr(est, "net_")
    est.set_params(validation_fraction=0.25).fit(normal_rows())
    assert "valid_loss" in est.history_[-1]
