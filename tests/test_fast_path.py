"""The training loop's shortcuts over skorch change nothing but speed."""

import numpy as np
import pytest
import torch
from skorch import NeuralNet
from skorch.callbacks import PrintLog
from torch import nn

from skvae import AETransformer, VAETransformer
from skvae._net import AutoencoderNet, QuietPrintLog


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


def _rows(n=60, seed=0):
    return np.random.RandomState(seed).normal(size=(n, 4))


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


@pytest.mark.parametrize("Estimator", [VAETransformer, AETransformer])
def test_training_batches_train_and_validation_batches_evaluate(Estimator):
    """Every training batch runs in train mode and every validation batch in eval."""
    estimator = _estimator(Estimator, [])
    # 45 training rows give batches of 16, 16 and 13; the 15 validation rows one.
    estimator.fit(_rows())
    estimator.partial_fit(_rows())
    probe = estimator.module_.encoder[0]
    modes = probe.log
    assert [mode for n, mode in modes if n == 13] == [True] * 4
    assert [mode for n, mode in modes if n == 15] == [False] * 4
    assert not estimator.module_.training


@pytest.mark.parametrize("Estimator", [VAETransformer, AETransformer])
def test_shortcuts_give_the_same_model_as_skorch(Estimator, monkeypatch):
    """With skorch's own mode switching and PrintLog, fit gives identical weights."""

    fast = _estimator(Estimator, []).fit(_rows())
    monkeypatch.setattr(AutoencoderNet, "_set_training", NeuralNet._set_training)
    monkeypatch.setattr(QuietPrintLog, "on_epoch_end", PrintLog.on_epoch_end)
    plain = _estimator(Estimator, []).fit(_rows())
    for (name, a), (_, b) in zip(
        fast.module_.state_dict().items(),
        plain.module_.state_dict().items(),
        strict=True,
    ):
        assert torch.equal(a, b), name
    np.testing.assert_array_equal(
        fast.history_[:, "valid_loss"], plain.history_[:, "valid_loss"]
    )


def test_quiet_print_log_prints_once_verbose(capsys):
    """verbose=0 then verbose=1 on the same estimator prints the table with a header."""
    estimator = VAETransformer(hidden_dims=(8,), max_epochs=2, random_state=0)
    estimator.fit(_rows())
    assert capsys.readouterr().out == ""
    estimator.set_params(verbose=1).partial_fit(_rows())
    out = capsys.readouterr().out
    assert "train_loss" in out and out.count("\n") >= 3
