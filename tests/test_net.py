"""Tests of skvae._net: binarised batches, the loss parts, modes, divergence."""

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback, PrintLog
from torch import nn

import skvae._loss
import skvae._net
from skvae import AETransformer, VAETransformer
from skvae._net import GeneratorState, QuietPrintLog
from tests.conftest import (
    BINARY,
    ESTIMATORS,
    FAST,
    ONE_EPOCH,
    assert_same_state,
    assert_unfitted,
    fast_fit,
    fitted_state,
    grey_rows,
    normal_rows,
)

N_SAMPLES, BATCH_SIZE = 40, 10  # four training batches per epoch
BATCHES_PER_EPOCH = N_SAMPLES // BATCH_SIZE


# -- batches and dynamic binarisation -------------------------------------------


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
        binarize=True, max_epochs=2, callbacks=[("record", RecordBatches())], **BINARY
    ).fit(grey_rows())
    batches = torch.cat(_recorded(est).train_)
    assert set(batches.unique().tolist()) == {0.0, 1.0}


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_without_binarize_batches_keep_their_values(Estimator):
    """The default trains on the values as given."""
    X = grey_rows()
    est = Estimator(
        max_epochs=1, callbacks=[("record", RecordBatches())], **BINARY
    ).fit(X)
    batches = torch.cat(_recorded(est).train_).double().cpu().numpy()
    np.testing.assert_allclose(np.sort(batches.ravel()), np.sort(X.ravel()), rtol=1e-6)


def test_draws_follow_the_values_and_change_each_epoch():
    """A row's draws are 1 with probability its value, and differ between epochs."""
    X = np.tile([[0.1, 0.5, 0.9]], (400, 1))
    est = VAETransformer(
        binarize=True,
        max_epochs=5,
        callbacks=[("record", RecordBatches())],
        **{**BINARY, "batch_size": 400},
    ).fit(X)
    epochs = [b.cpu().numpy() for b in _recorded(est).train_]
    np.testing.assert_allclose(np.mean(epochs, axis=(0, 1)), [0.1, 0.5, 0.9], atol=0.03)
    assert not np.array_equal(epochs[0], epochs[1])


def test_validation_rows_are_not_binarised():
    """Held-out rows are scored on their values, not on draws."""
    est = VAETransformer(
        binarize=True,
        max_epochs=2,
        validation_fraction=0.25,
        callbacks=[("record", RecordBatches())],
        **BINARY,
    ).fit(grey_rows())
    valid = torch.cat(_recorded(est).valid_)
    assert not set(valid.unique().tolist()) <= {0.0, 1.0}


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fit_is_repeatable_and_differs_from_plain_training(Estimator):
    """random_state fixes the draws; binarised training gives another model."""
    X = grey_rows()
    first = Estimator(binarize=True, max_epochs=3, **BINARY).fit(X)
    again = Estimator(binarize=True, max_epochs=3, **BINARY).fit(X)
    plain = Estimator(max_epochs=3, **BINARY).fit(X)
    np.testing.assert_array_equal(first.transform(X), again.transform(X))
    assert not np.allclose(first.transform(X), plain.transform(X))


def test_partial_fit_continues_the_stream_and_follows_the_parameter():
    """partial_fit draws fresh values each call and honours a change of binarize."""
    X = grey_rows()
    est = VAETransformer(
        binarize=True, callbacks=[("record", RecordBatches())], **BINARY
    )
    est.partial_fit(X)
    est.partial_fit(X)
    draws = _recorded(est).train_
    assert set(torch.cat(draws).unique().tolist()) == {0.0, 1.0}
    est.set_params(binarize=False).partial_fit(X)
    assert not set(_recorded(est).train_[-1].unique().tolist()) <= {0.0, 1.0}


def test_inference_uses_values_as_given():
    """transform and score_samples are deterministic: no draws at inference."""
    X = grey_rows()
    est = VAETransformer(binarize=True, max_epochs=2, **BINARY).fit(X)
    np.testing.assert_array_equal(est.transform(X), est.transform(X))
    np.testing.assert_array_equal(est.score_samples(X), est.score_samples(X))


# -- the loss and its recorded parts --------------------------------------------


@pytest.mark.parametrize("beta", [0.5, 2.0])
def test_vae_loss_is_reconstruction_plus_beta_kl(beta):
    """Per epoch, a VAE's loss is its reconstruction plus beta times its KL."""
    est = VAETransformer(
        **{**ONE_EPOCH, "max_epochs": 2},
        beta=beta,
        batch_size=16,
        validation_fraction=0.2,
    ).fit(normal_rows(50, 6))
    for row in est.history_:
        for stage in ("train", "valid"):
            expected = row[f"{stage}_reconstruction"] + beta * row[f"{stage}_kl"]
            assert np.isclose(row[f"{stage}_loss"], expected, rtol=1e-4), stage


def test_ae_loss_is_reconstruction():
    """Per epoch, an autoencoder's loss is its reconstruction term."""
    est = AETransformer(
        **{**ONE_EPOCH, "max_epochs": 2}, batch_size=16, validation_fraction=0.2
    ).fit(normal_rows(50, 6))
    for row in est.history_:
        assert row["train_loss"] == row["train_reconstruction"]
        assert row["valid_loss"] == row["valid_reconstruction"]


# -- train and eval modes -------------------------------------------------------


class _ModeProbe(nn.Module):
    """Identity layer that records (batch length, training flag) of each call."""

    def __init__(self, log):
        super().__init__()
        self.log = log

    def forward(self, x):
        self.log.append((len(x), self.training))
        return x


def _modules(log, n_features=4):
    encoder = nn.Sequential(
        _ModeProbe(log), nn.Linear(n_features, 8), nn.ReLU(), nn.Dropout(0.3)
    )
    decoder = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, n_features))
    return encoder, decoder


def _estimator(Estimator, log):
    """3 epochs in batches of 16 with a quarter of the rows held out."""
    encoder, decoder = _modules(log)
    return Estimator(
        encoder=encoder,
        decoder=decoder,
        max_epochs=3,
        batch_size=16,
        validation_fraction=0.25,
        random_state=0,
    )


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_training_batches_train_and_validation_batches_evaluate(Estimator):
    """Every training batch runs in train mode and every validation batch in eval."""
    estimator = _estimator(Estimator, [])
    # 45 training rows give batches of 16, 16 and 13; the 15 validation rows one.
    estimator.fit(normal_rows(60, 4))
    estimator.partial_fit(normal_rows(60, 4))
    probe = estimator.module_.encoder[0]
    modes = probe.log
    assert [mode for n, mode in modes if n == 13] == [True] * 4
    assert [mode for n, mode in modes if n == 15] == [False] * 4
    assert not estimator.module_.training


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_quiet_print_log_gives_the_same_model_as_skorch(Estimator, monkeypatch):
    """With skorch's own PrintLog, fit gives identical weights."""

    fast = _estimator(Estimator, []).fit(normal_rows(60, 4))
    monkeypatch.setattr(QuietPrintLog, "on_epoch_end", PrintLog.on_epoch_end)
    plain = _estimator(Estimator, []).fit(normal_rows(60, 4))
    for (name, a), (_, b) in zip(
        fast.module_.state_dict().items(),
        plain.module_.state_dict().items(),
        strict=True,
    ):
        assert torch.equal(a, b), name
    np.testing.assert_array_equal(
        fast.history_[:, "valid_loss"], plain.history_[:, "valid_loss"]
    )


# -- stopping on a non-finite loss ----------------------------------------------


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


def _diverging(Estimator, epoch, value=float("inf"), **params):
    """An estimator whose training loss is first non-finite in epoch ``epoch``."""
    return Estimator(
        encoder=BlowsUpAfter((epoch - 1) * BATCHES_PER_EPOCH, value),
        decoder=nn.Linear(2, 6),
        batch_size=BATCH_SIZE,
        random_state=0,
        **params,
    )


def _assert_no_fitted_state(est):
    """est is unfitted and keeps no attribute ending in an underscore."""
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
        est.fit(normal_rows(N_SAMPLES, 6))
    assert "lr" in str(e.value)
    assert "standardise" in str(e.value)
    _assert_no_fitted_state(est)


class BreaksWeightsInLastStep(Callback):
    """Writes NaN into a weight after the last training batch of ``epoch``."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_batch_end(self, net, training=False, **kwargs):
        batches = net.history[-1, "batches"]
        last = sum(1 for batch in batches if "train_loss" in batch)
        if training and len(net.history) == self.epoch and last == BATCHES_PER_EPOCH:
            with torch.no_grad():
                next(net.module_.parameters()).view(-1)[0] = float("nan")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_divergence_in_the_last_step_is_caught(Estimator):
    """Finite losses, then NaN weights from the epoch's last step: still an error."""
    est = Estimator(
        **{**FAST, "max_epochs": 3},
        batch_size=BATCH_SIZE,
        callbacks=[BreaksWeightsInLastStep(epoch=3)],
    )
    with pytest.raises(FloatingPointError, match="diverged in epoch 3.*weights"):
        est.fit(normal_rows(N_SAMPLES, 6))
    _assert_no_fitted_state(est)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_huge_learning_rate_diverges(Estimator):
    """lr=1e8 on standardised data blows up into the same clear error."""
    est = Estimator(hidden_dims=(32,), max_epochs=20, lr=1e8, random_state=0)
    with pytest.raises(FloatingPointError, match=r"epoch \d+.*Lower `lr`"):
        est.fit(normal_rows(N_SAMPLES, 6))
    _assert_no_fitted_state(est)


def test_a_finite_loss_that_explodes_is_divergence():
    """Losses that turn finite but absurd in epoch 2 end in the named error.

    (A VAE's variance head overflows to NaN on the same features.)
    """
    est = _diverging(AETransformer, epoch=2, value=1e8, max_epochs=4)
    with pytest.raises(FloatingPointError, match=r"epoch 2\b: the training loss rose"):
        est.fit(normal_rows(N_SAMPLES, 6))
    _assert_no_fitted_state(est)


@pytest.mark.parametrize(
    ("Estimator", "lr"), [(AETransformer, 10), (VAETransformer, 0.3)]
)
def test_a_large_lr_on_a_table_is_divergence_not_absurd_scores(Estimator, lr):
    """lr=10 took an AE from 8.5 to 1e25 nats per row, all finite: now an error."""
    est = Estimator(lr=lr, max_epochs=3, random_state=0)
    with pytest.raises(FloatingPointError, match="rose from .* nats per row"):
        est.fit(normal_rows(200, 6))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_a_loss_that_rises_and_recovers_is_not_divergence(Estimator):
    """A loss up a hundredfold in an epoch trains on: far below the bound."""
    est = _diverging(Estimator, epoch=2, value=30.0, max_epochs=3)
    est.fit(normal_rows(N_SAMPLES, 6))
    assert est.n_iter_ == 3


@pytest.mark.parametrize("lr", [1e38, 1e300])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_learning_rates_beyond_float32_give_the_divergence_error(Estimator, lr):
    """lr=1e38 used to overflow inside torch; now it is the named divergence."""
    est = Estimator(**FAST, lr=lr)
    with pytest.raises(FloatingPointError, match="Lower `lr`"):
        est.fit(normal_rows(N_SAMPLES, 6))
    _assert_no_fitted_state(est)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_divergence_leaves_global_rng_alone(Estimator, method):
    """Torch's global generator is in the same state after a diverged fit."""
    est = _diverging(Estimator, epoch=1, max_epochs=3)
    torch.manual_seed(123)
    state = torch.get_rng_state()
    with pytest.raises(FloatingPointError):
        getattr(est, method)(normal_rows(N_SAMPLES, 6))
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_divergence_keeps_the_fitted_model(Estimator):
    """A partial_fit that diverges on a fitted estimator leaves its model as it was.

    The error names the epoch counted over all training so far; the earlier
    training is not lost, and a lower lr trains on from it.
    """
    X = normal_rows(N_SAMPLES, 6)
    est = _diverging(Estimator, epoch=3, max_epochs=2).fit(X)
    before = fitted_state(est)
    with pytest.raises(FloatingPointError, match=r"epoch 3\b.*as it was before"):
        est.partial_fit(X)
    assert_same_state(fitted_state(est), before)
    assert np.isfinite(est.score_samples(X)).all()


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_divergence_leaves_user_modules_usable(Estimator):
    """The user's encoder is untouched by a diverged fit (fit trains a copy)."""
    est = _diverging(Estimator, epoch=1, max_epochs=2)
    weight = est.encoder.linear.weight.detach().clone()
    with pytest.raises(FloatingPointError):
        est.fit(normal_rows(N_SAMPLES, 6))
    assert est.encoder.calls == 0
    assert torch.equal(est.encoder.linear.weight, weight)


def _with_huge_lr(cls):
    # Inputs are standardised, so the 1e6 scale alone is harmless; the lr is not.
    return cls(hidden_dims=(8,), max_epochs=5, lr=1e12, random_state=0)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_divergence_through_public_api(cls):
    """A huge learning rate stops with a FloatingPointError naming the epoch."""
    X = normal_rows() * 1e6
    est = _with_huge_lr(cls)
    with pytest.raises(FloatingPointError, match=r"diverged in epoch \d+.*as it was"):
        est.fit(X)
    assert_unfitted(est, X)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_divergence_on_refit_keeps_the_earlier_model(cls):
    """A refit that diverges leaves the previously fitted model in place."""
    X = normal_rows() * 1e6
    est = fast_fit(cls, X)
    before = fitted_state(est)
    est.set_params(lr=1e12, max_epochs=5)
    with pytest.raises(FloatingPointError, match=r"epoch \d+"):
        est.fit(X)
    assert_same_state(fitted_state(est), before)


@pytest.fixture
def make_loss_nan(monkeypatch):
    """A function that makes both training losses NaN from then on."""

    def patch():
        for criterion in (skvae._loss.NegativeELBO, skvae._loss.NegativeLogLikelihood):
            original = criterion.forward

            # Multiplying keeps the graph, so backward and the optimiser step still run.
            def forward(self, output, original=original, **weights):
                return original(self, output, **weights) * float("nan")

            monkeypatch.setattr(criterion, "forward", forward)

    return patch


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_nan_loss_raises_naming_first_epoch(cls, method, make_loss_nan):
    """A NaN loss stops training in epoch 1 with a FloatingPointError; unfitted."""
    X = normal_rows()
    est = cls(**FAST)
    make_loss_nan()
    with pytest.raises(FloatingPointError, match=r"epoch 1\b.*loss is nan"):
        getattr(est, method)(X)
    assert_unfitted(est, X)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_nan_loss_after_fit_keeps_the_model(cls, method, make_loss_nan):
    """Diverging after a good fit raises and leaves the old model as it was."""
    X = normal_rows()
    est = fast_fit(cls, X)
    before = fitted_state(est)
    make_loss_nan()
    epoch = 1 if method == "fit" else FAST["max_epochs"] + 1
    with pytest.raises(FloatingPointError, match=rf"epoch {epoch}\b"):
        getattr(est, method)(X)
    assert_same_state(fitted_state(est), before)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_batch_norm_trains_when_one_row_is_left_over(Estimator):
    """A conv model whose batch norm sees 1x1 maps fits 2 * batch_size + 1 rows.

    Three stride-2 blocks take 8x8 images to 1x1: a batch of one row gives batch
    normalisation one value per channel, which it cannot train on.
    """
    X = np.random.RandomState(0).uniform(size=(33, 64))
    est = Estimator(
        architecture="conv",
        image_shape=(1, 8, 8),
        hidden_dims=(8, 8, 8),
        batch_size=16,
        **ONE_EPOCH,
    ).fit(X)
    assert np.isfinite(est.transform(X)).all()


def test_generator_state_gives_back_the_same_stream():
    """A generator rebuilt from its state continues where it was."""
    generator = torch.Generator().manual_seed(3)
    torch.rand(5, generator=generator)
    state = GeneratorState.of(generator)
    again = state.generator("cpu")
    assert torch.equal(
        torch.rand(5, generator=again), torch.rand(5, generator=generator)
    )


def test_generator_state_moved_to_another_kind_of_device_keeps_its_seed():
    """A CUDA generator's state loaded without CUDA seeds a CPU generator alike."""
    cuda_state = GeneratorState("cuda:0", 1234, np.zeros(16, dtype=np.uint8))
    generator = cuda_state.generator("cpu")
    assert generator.device == torch.device("cpu")
    assert generator.initial_seed() == 1234
