"""Training that diverges stops with a clear error and leaves the estimator unfitted."""

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted
from torch import nn

from skvae import AETransformer, VAETransformer

ESTIMATORS = [VAETransformer, AETransformer]
N_SAMPLES, BATCH_SIZE = 40, 10  # four training batches per epoch
BATCHES_PER_EPOCH = N_SAMPLES // BATCH_SIZE


class BlowsUpAfter(nn.Module):
    """An encoder whose features turn to ``value`` after ``n_batches`` training calls.

    Calls in eval mode (the estimator's checks and inference) are not counted, so
    the first non-finite training loss falls in a known epoch.
    """

    def __init__(self, n_batches, value=float("inf"), n_features=6):
        super().__init__()
        self.n_batches = n_batches
        self.value = value
        self.linear = nn.Linear(n_features, 8)
        self.calls = 0

    def forward(self, x):
        h = self.linear(x)
        if self.training:
            self.calls += 1
            if self.calls > self.n_batches:
                # Multiplying keeps the graph, so backward and the step still run.
                return h * self.value
        return h


def _rows():
    return np.random.RandomState(0).normal(size=(N_SAMPLES, 6))


def _diverging(Estimator, epoch, value=float("inf"), **params):
    """An estimator whose training loss is first non-finite in epoch ``epoch``."""
    return Estimator(
        encoder=BlowsUpAfter((epoch - 1) * BATCHES_PER_EPOCH, value),
        decoder=nn.Linear(2, 6),
        batch_size=BATCH_SIZE,
        random_state=0,
        **params,
    )


def _assert_unfitted(est):
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    assert not [k for k in vars(est) if k.endswith("_") and not k.startswith("__")]


@pytest.mark.parametrize("value", [float("inf"), float("nan")])
@pytest.mark.parametrize("epoch", [1, 3])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fit_divergence_names_the_epoch_and_lr(Estimator, epoch, value):
    """A non-finite loss raises FloatingPointError naming the epoch and `lr`."""
    est = _diverging(Estimator, epoch, value, max_epochs=5)
    with pytest.raises(FloatingPointError, match=rf"diverged in epoch {epoch}\b") as e:
        est.fit(_rows())
    assert "lr" in str(e.value)
    assert "standardise" in str(e.value)
    _assert_unfitted(est)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_huge_learning_rate_diverges(Estimator):
    """lr=1e8 on standardised data blows up into the same clear error."""
    est = Estimator(hidden_dims=(32,), max_epochs=20, lr=1e8, random_state=0)
    with pytest.raises(FloatingPointError, match=r"epoch \d+.*Lower `lr`"):
        est.fit(_rows())
    _assert_unfitted(est)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_divergence_leaves_global_rng_alone(Estimator, method):
    """Torch's global generator is in the same state after a diverged fit."""
    est = _diverging(Estimator, epoch=1, max_epochs=3)
    torch.manual_seed(123)
    state = torch.get_rng_state()
    with pytest.raises(FloatingPointError):
        getattr(est, method)(_rows())
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_divergence_discards_the_fitted_model(Estimator):
    """A partial_fit that diverges on a fitted estimator discards the whole model.

    The error names the epoch counted over all training so far, and the estimator
    can be fitted again from scratch afterwards.
    """
    X = _rows()
    est = _diverging(Estimator, epoch=3, max_epochs=2).fit(X)
    assert est.n_iter_ == 2
    with pytest.raises(FloatingPointError, match=r"epoch 3\b.*left unfitted"):
        est.partial_fit(X)
    _assert_unfitted(est)
    # A fresh fit copies the user's encoder anew, with its counter at zero.
    est.set_params(max_epochs=2).fit(X)
    assert est.n_iter_ == 2
    assert np.isfinite(est.transform(X)).all()


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_divergence_leaves_user_modules_usable(Estimator):
    """The user's encoder is untouched by a diverged fit (fit trains a copy)."""
    est = _diverging(Estimator, epoch=1, max_epochs=2)
    weight = est.encoder.linear.weight.detach().clone()
    with pytest.raises(FloatingPointError):
        est.fit(_rows())
    assert est.encoder.calls == 0
    assert torch.equal(est.encoder.linear.weight, weight)
