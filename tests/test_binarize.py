"""Dynamic binarisation: fresh 0/1 training batches; stored rows, inference as given."""

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from torch.utils.data import TensorDataset

from skvae import AETransformer, VAETransformer
from skvae._net import TensorBatches

ESTIMATORS = [VAETransformer, AETransformer]
FAST = {
    "hidden_dims": (8,),
    "likelihood": "bernoulli",
    "batch_size": 16,
    "random_state": 0,
}


def _grey(n=40, n_features=6, seed=0):
    """Fractional values strictly inside (0, 1), so any 0/1 value is a draw."""
    return np.random.RandomState(seed).uniform(0.05, 0.95, size=(n, n_features))


class RecordBatches(Callback):
    """Keeps a copy of every batch's rows, split by training and validation."""

    def initialize(self):
        self.train_, self.valid_ = [], []
        return self

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        (self.train_ if training else self.valid_).append(batch[0].clone())


def _recorded(est):
    return dict(est.net_.callbacks_)["record"]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_training_batches_are_binary_draws(Estimator):
    """With binarize=True every training batch holds only 0s and 1s."""
    est = Estimator(
        binarize=True, max_epochs=2, callbacks=[("record", RecordBatches())], **FAST
    ).fit(_grey())
    batches = torch.cat(_recorded(est).train_)
    assert set(batches.unique().tolist()) == {0.0, 1.0}


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_without_binarize_batches_keep_their_values(Estimator):
    """The default trains on the values as given."""
    X = _grey()
    est = Estimator(max_epochs=1, callbacks=[("record", RecordBatches())], **FAST).fit(
        X
    )
    batches = torch.cat(_recorded(est).train_).double().numpy()
    np.testing.assert_allclose(np.sort(batches.ravel()), np.sort(X.ravel()), rtol=1e-6)


def test_draws_follow_the_values_and_change_each_epoch():
    """A row's draws are 1 with probability its value, and differ between epochs."""
    X = np.tile([[0.1, 0.5, 0.9]], (400, 1))
    est = VAETransformer(
        binarize=True,
        max_epochs=5,
        callbacks=[("record", RecordBatches())],
        **{**FAST, "batch_size": 400},
    ).fit(X)
    epochs = [b.numpy() for b in _recorded(est).train_]
    np.testing.assert_allclose(np.mean(epochs, axis=(0, 1)), [0.1, 0.5, 0.9], atol=0.03)
    assert not np.array_equal(epochs[0], epochs[1])


def test_validation_rows_are_not_binarised():
    """Held-out rows are scored on their values, not on draws."""
    est = VAETransformer(
        binarize=True,
        max_epochs=2,
        validation_fraction=0.25,
        callbacks=[("record", RecordBatches())],
        **FAST,
    ).fit(_grey())
    valid = torch.cat(_recorded(est).valid_)
    assert not set(valid.unique().tolist()) <= {0.0, 1.0}


def test_stored_rows_are_not_changed():
    """Binarising a batch never writes into the tensor the batches are cut from."""
    rows = torch.rand(10, 4, dtype=torch.float64) * 0.8 + 0.1
    before = rows.clone()
    batches = TensorBatches(
        TensorDataset(rows),
        batch_size=3,
        binarize_generator=torch.Generator().manual_seed(0),
    )
    drawn = [x for x, _ in batches]
    assert torch.equal(rows, before)
    assert set(torch.cat(drawn).unique().tolist()) <= {0.0, 1.0}
    assert sum(len(x) for x in drawn) == len(rows)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fit_is_repeatable_and_differs_from_plain_training(Estimator):
    """random_state fixes the draws; binarised training gives another model."""
    X = _grey()
    first = Estimator(binarize=True, max_epochs=3, **FAST).fit(X)
    again = Estimator(binarize=True, max_epochs=3, **FAST).fit(X)
    plain = Estimator(max_epochs=3, **FAST).fit(X)
    np.testing.assert_array_equal(first.transform(X), again.transform(X))
    assert not np.allclose(first.transform(X), plain.transform(X))


def test_partial_fit_continues_the_stream_and_follows_the_parameter():
    """partial_fit draws fresh values each call and honours a change of binarize."""
    X = _grey()
    est = VAETransformer(binarize=True, callbacks=[("record", RecordBatches())], **FAST)
    est.partial_fit(X)
    est.partial_fit(X)
    draws = _recorded(est).train_
    assert set(torch.cat(draws).unique().tolist()) == {0.0, 1.0}
    est.set_params(binarize=False).partial_fit(X)
    assert not set(_recorded(est).train_[-1].unique().tolist()) <= {0.0, 1.0}


def test_inference_uses_values_as_given():
    """transform and score_samples are deterministic: no draws at inference."""
    X = _grey()
    est = VAETransformer(binarize=True, max_epochs=2, **FAST).fit(X)
    np.testing.assert_array_equal(est.transform(X), est.transform(X))
    np.testing.assert_array_equal(est.score_samples(X), est.score_samples(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_binarize_needs_the_bernoulli_likelihood(Estimator):
    """binarize=True with a Gaussian model is refused and leaves it unfitted."""
    est = Estimator(binarize=True, max_epochs=1, hidden_dims=(8,))
    with pytest.raises(ValueError, match="binarize=True .* likelihood='bernoulli'"):
        est.fit(_grey())
    assert not hasattr(est, "net_")


@pytest.mark.parametrize("value", ["yes", 1.5, None])
def test_binarize_must_be_a_bool(value):
    """Non-boolean values are rejected by parameter validation."""
    with pytest.raises(ValueError, match="binarize"):
        VAETransformer(binarize=value, max_epochs=1, **FAST).fit(_grey())
