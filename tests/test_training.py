"""Tests of skvae._training: seeds, module building, callbacks, validation split."""

import copy
import subprocess
import sys

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from skorch.callbacks import Callback
from torch import nn

import skvae._training
from skvae import AETransformer, VAETransformer
from skvae._training import (
    mean_and_scale,
    n_epochs,
    rows_dtype,
    spawn_seeds,
    split_rows,
)
from skvae.nn import ConvDecoder, ConvEncoder, MLPDecoder, MLPEncoder
from tests.conftest import (
    CONV,
    ESTIMATORS,
    FAST,
    ONE_EPOCH,
    SMALL,
    WIDE,
    HeavyBall,
    factor_data,
    fitted_outputs,
    images,
    low_rank_rows,
    mlp_decoder,
    mlp_encoder,
    normal_rows,
)

STOPPING = {**SMALL, "max_epochs": 200, "lr": 1e-2, "early_stopping": True}


# -- random_state: repeatable fits, torch's global RNG untouched ---------------


def test_processes_of_a_data_parallel_fit_draw_only_their_own_noise():
    """Process 0 has the seeds of a fit on one process; the others share every
    seed but those of the noise, binarisation and layer streams, each its own."""
    seeds = [spawn_seeds(0, process) for process in range(3)]
    assert seeds[0] == spawn_seeds(0)
    own = {"noise", "binarize", "layers"}
    for name in seeds[0]._fields:
        values = {getattr(s, name) for s in seeds}
        assert len(values) == (3 if name in own else 1), name


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_same_random_state_gives_identical_results(Estimator):
    """Two fits with the same random_state agree bit for bit on every output."""
    X = factor_data()
    first = fitted_outputs(Estimator(**WIDE).fit(X), X)
    second = fitted_outputs(Estimator(**WIDE).fit(X), X)
    for a, b in zip(first, second, strict=True):
        assert_array_equal(a, b)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("optimizer", ["sgd", "rmsprop"])
def test_same_random_state_gives_identical_results_with_each_optimizer(
    Estimator, optimizer
):
    """With SGD or RMSprop too, two fits of one random_state agree bit for bit."""
    X = factor_data()
    params = {**WIDE, "optimizer": optimizer, "lr": 0.01}
    first = fitted_outputs(Estimator(**params).fit(X), X)
    second = fitted_outputs(Estimator(**params).fit(X), X)
    for a, b in zip(first, second, strict=True):
        assert_array_equal(a, b)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_adam_trains_the_model_of_the_default_adam(Estimator, dtype, monkeypatch):
    """Adam's fused kernel, the default, takes the default Adam's steps.

    Tolerance: after 80 steps the codes agree within 1e-4 of their scale and the
    last training loss within 1e-5 relative (measured: 1e-6 and equal).
    """
    X = load_digits().data[:200].astype(dtype)
    params = {"max_epochs": 20, "batch_size": 50, "random_state": 0}
    fused = Estimator(**params).fit(X)
    assert fused.net_.optimizer_.defaults["fused"] is True
    monkeypatch.setattr(skvae._training, "FUSED_ADAM", None)
    default = Estimator(**params).fit(X)
    assert default.net_.optimizer_.defaults["fused"] is None
    codes = default.transform(X)
    assert_allclose(fused.transform(X), codes, atol=1e-4 * np.abs(codes).max())
    assert_allclose(
        fused.history_[-1, "train_loss"], default.history_[-1, "train_loss"], rtol=1e-5
    )


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_different_random_state_gives_different_fit(Estimator):
    """A different random_state changes the fitted model."""
    X = factor_data()
    a = Estimator(**WIDE).fit(X).transform(X)
    b = Estimator(**{**WIDE, "random_state": 1}).fit(X).transform(X)
    assert not np.allclose(a, b)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fit_leaves_global_torch_rng_alone(Estimator):
    """Fitting, scoring and sampling neither read nor change torch's global RNG."""
    X = factor_data(n_samples=50)
    torch.manual_seed(123)
    state = torch.get_rng_state()
    est = Estimator(**WIDE).fit(X)
    est.score_samples(X)
    est.sample(3)
    assert torch.equal(torch.get_rng_state(), state)


# -- epochs, and set_params between partial_fit calls --------------------------


@pytest.mark.parametrize(
    ("n_samples", "expected"), [(20, 500), (1500, 209), (100_000, 10)]
)
def test_auto_epochs_scale_with_data(n_samples, expected):
    """max_epochs='auto' gives many epochs on tiny data and few on large data."""
    assert n_epochs("auto", n_samples, VAETransformer().batch_size) == expected


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
def test_partial_fit_uses_current_params_and_keeps_optimizer_state(
    Estimator, optimizer
):
    """lr and batch_size set after fit apply to partial_fit; the optimizer keeps
    its state."""
    X = factor_data(n_samples=60)
    est = Estimator(**WIDE, batch_size=60, optimizer=optimizer).fit(X)
    optimizer = est.net_.optimizer_
    steps = optimizer.state_dict()["state"][0]["step"].item()
    est.set_params(lr=0.05, batch_size=20).partial_fit(X)
    assert est.net_.optimizer_ is optimizer
    assert [group["lr"] for group in optimizer.param_groups] == [0.05]
    # One epoch of three batches of 20 rows, on top of the earlier steps.
    assert optimizer.state_dict()["state"][0]["step"].item() == steps + 3


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_refuses_another_optimizer_which_fit_takes(Estimator):
    """A changed optimizer would lose the state: partial_fit refuses it, saying
    so; fit builds a new model with it."""
    X = factor_data(n_samples=60)
    est = Estimator(**FAST).fit(X).set_params(optimizer="sgd")
    message = "optimizer='sgd' differs from the optimizer='adam' .* call fit"
    with pytest.raises(ValueError, match=message):
        est.partial_fit(X)
    assert type(est.net_.optimizer_) is torch.optim.Adam
    assert type(est.fit(X).net_.optimizer_) is torch.optim.SGD


def test_partial_fit_uses_current_beta():
    """beta set after fit is the KL weight of the next partial_fit."""
    X = factor_data(n_samples=60)
    vae = VAETransformer(**WIDE).fit(X)
    vae.set_params(beta=3.0).partial_fit(X)
    assert vae.net_.beta == 3.0
    assert vae.history_[-1, "kl_weight"] == 3.0


# -- the optimizer ----------------------------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    ("optimizer", "expected", "lr"),
    [
        ("adam", torch.optim.Adam, 1e-2),
        ("sgd", torch.optim.SGD, 1e-2),
        ("rmsprop", torch.optim.RMSprop, 1e-3),
        (torch.optim.AdamW, torch.optim.AdamW, 1e-2),
        (HeavyBall, HeavyBall, 1e-2),
    ],
    ids=["adam", "sgd", "rmsprop", "AdamW", "custom"],
)
def test_each_optimizer_trains_at_lr_with_torchs_defaults(
    Estimator, optimizer, expected, lr
):
    """The net's optimizer is the named class or the given one, at the rate lr and
    torch's defaults otherwise ("adam": its fused kernel); the loss falls."""
    est = Estimator(**{**WIDE, "max_epochs": 20}, optimizer=optimizer, lr=lr)
    est.fit(factor_data())
    assert type(est.net_.optimizer_) is expected
    assert [group["lr"] for group in est.net_.optimizer_.param_groups] == [lr]
    fused = {"fused": True} if optimizer == "adam" else {}
    reference = expected([nn.Parameter(torch.zeros(1))], lr=lr, **fused)
    assert est.net_.optimizer_.defaults == reference.defaults
    losses = est.history_[:, "train_loss"]
    assert losses[-1] < losses[0]


# -- building the module: the conv architecture --------------------------------


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_conv_fit_and_output_shapes(Estimator, likelihood):
    """A conv estimator fits image rows; every output has the documented shape."""
    X = images()
    est = Estimator(**CONV, likelihood=likelihood).fit(X)
    assert isinstance(est.module_.encoder, ConvEncoder)
    assert isinstance(est.module_.decoder, ConvDecoder)
    Z = est.transform(X)
    assert Z.shape == (40, 2)
    assert est.inverse_transform(Z).shape == (40, 64)
    assert est.score_samples(X).shape == (40,)
    assert est.sample(5).shape == (5, 64)
    assert np.isfinite(est.score_samples(X)).all()


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_conv_fit_is_repeatable(Estimator):
    """Two conv fits with the same random_state give identical outputs."""
    X = images()
    # On the CPU: CUDA's convolutions are not bit-for-bit repeatable.
    first, second = (Estimator(**CONV, device="cpu").fit(X) for _ in range(2))
    assert_array_equal(first.transform(X), second.transform(X))
    assert_array_equal(first.score_samples(X), second.score_samples(X))


@pytest.mark.parametrize("image_shape", [(3, 5, 7), (2, 3, 4), (1, 9, 4)])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_conv_odd_and_non_square_images(Estimator, image_shape):
    """Odd and non-square images decode to exactly n_features columns."""
    X = images(n=20, image_shape=image_shape)
    est = Estimator(**{**CONV, "image_shape": image_shape}).fit(X)
    assert est.transform(X).shape == (20, 2)
    assert est.inverse_transform(est.transform(X)).shape == X.shape
    assert est.sample(3).shape == (3, X.shape[1])
    assert est.score_samples(X).shape == (20,)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_conv_explicit_hidden_dims_are_halving_channels(Estimator):
    """hidden_dims=(4, 8) gives two stride-2 blocks with 4 and 8 channels."""
    est = Estimator(**CONV, hidden_dims=(4, 8)).fit(images())
    convs = [m for m in est.module_.encoder.modules() if isinstance(m, nn.Conv2d)]
    halving = [m.out_channels for m in convs if m.stride == (2, 2)]
    assert halving == [4, 8]
    assert est.module_.encoder.out_features == 8 * 2 * 2


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_image_shape_with_mlp_is_metadata(Estimator):
    """image_shape with the MLP architecture is kept but does not change networks."""
    X = images(image_shape=(1, 2, 3))
    est = Estimator(**ONE_EPOCH, hidden_dims=(8,), image_shape=(1, 2, 3)).fit(X)
    assert est.image_shape == (1, 2, 3)
    assert isinstance(est.module_.encoder, MLPEncoder)
    assert not any(isinstance(m, nn.Conv2d) for m in est.module_.modules())


# -- building the module: custom encoder and decoder ----------------------------


def _state(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


def _assert_states_equal(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


class RawScale(nn.Module):
    """A layer with a parameter but no reset_parameters."""

    def __init__(self, n_features):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n_features))

    def forward(self, x):
        return x * self.weight


class NoisyScale(RawScale):
    """A layer whose reset_parameters draws from torch's global generator."""

    def reset_parameters(self):
        nn.init.normal_(self.weight, 1.0, 0.1)


class FixedScale(nn.Module):
    """A layer with a constant buffer and no parameters."""

    def __init__(self, n_features):
        super().__init__()
        self.register_buffer("scale", torch.full((n_features,), 3.0))

    def forward(self, x):
        return x * self.scale


@pytest.mark.parametrize("width", [5, 7, 12])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_decoder_of_wrong_width_raises(Estimator, width):
    """A decoder producing rows of the wrong width names both widths."""
    est = Estimator(**ONE_EPOCH, encoder=mlp_encoder(), decoder=nn.Linear(2, width))
    with pytest.raises(ValueError, match=f"produces {width} values.*6 features"):
        est.fit(normal_rows(40, 6))
    assert not hasattr(est, "net_")


class _ReturnsTuple(nn.Module):
    """An encoder that returns a tuple of tensors, not one tensor."""

    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(6, 4)

    def forward(self, x):
        h = self.layer(x)
        return h, h


@pytest.mark.parametrize(
    ("encoder", "decoder"),
    [
        (nn.Linear(10, 4), mlp_decoder()),
        (nn.Sequential(nn.Linear(10, 4), nn.ReLU()), mlp_decoder()),
        (ConvEncoder((1, 7, 7)), mlp_decoder()),
        (mlp_encoder(), nn.Linear(3, 6)),
        (_ReturnsTuple(), mlp_decoder()),
    ],
)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_modules_failing_on_the_data_raise_value_error(Estimator, encoder, decoder):
    """Modules that cannot take the rows or codes raise a ValueError, not torch's."""
    est = Estimator(**ONE_EPOCH, encoder=encoder, decoder=decoder)
    with pytest.raises(ValueError, match="failed on rows of 6 features"):
        est.fit(normal_rows(40, 6))
    assert not hasattr(est, "net_")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_custom_modules_fit(Estimator):
    """Custom encoder and decoder modules train and give outputs of the right shape."""
    X = normal_rows(40, 6)
    est = Estimator(**ONE_EPOCH, encoder=mlp_encoder(), decoder=mlp_decoder()).fit(X)
    assert est.transform(X).shape == (40, 2)
    assert est.inverse_transform(est.transform(X)).shape == (40, 6)
    assert est.score_samples(X).shape == (40,)
    assert est.sample(3).shape == (3, 6)
    assert est.module_.encoder_width == 8


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_custom_modules_with_image_shaped_outputs(Estimator):
    """Encoder features of any shape are flattened; decoder images become rows."""
    image_shape = (1, 2, 3)
    encoder = nn.Sequential(nn.Unflatten(1, image_shape), nn.Conv2d(1, 4, 1))
    decoder = nn.Sequential(nn.Linear(2, 6), nn.Unflatten(1, image_shape))
    X = normal_rows(40, 6)
    est = Estimator(**ONE_EPOCH, encoder=encoder, decoder=decoder).fit(X)
    assert est.module_.encoder_width == 4 * 2 * 3
    assert est.inverse_transform(est.transform(X)).shape == (40, 6)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fit_copies_and_leaves_user_modules_alone(Estimator):
    """fit trains copies: the user's modules keep their weights and own storage."""
    torch.manual_seed(0)
    encoder, decoder = mlp_encoder(), mlp_decoder()
    before = _state(encoder), _state(decoder)
    est = Estimator(**ONE_EPOCH, encoder=encoder, decoder=decoder).fit(
        normal_rows(40, 6)
    )
    _assert_states_equal(_state(encoder), before[0])
    _assert_states_equal(_state(decoder), before[1])
    assert est.encoder is encoder and est.decoder is decoder
    assert est.module_.encoder is not encoder
    assert est.module_.decoder is not decoder
    user = {p.data_ptr() for p in [*encoder.parameters(), *decoder.parameters()]}
    assert user.isdisjoint(p.data_ptr() for p in est.module_.parameters())


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_custom_modules_are_seeded_by_random_state(Estimator):
    """Custom modules are re-initialised from random_state, not their own weights."""
    X = normal_rows(40, 6)
    fits = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        est = Estimator(**ONE_EPOCH, encoder=mlp_encoder(), decoder=mlp_decoder())
        fits.append(est.fit(X))
    assert_array_equal(fits[0].transform(X), fits[1].transform(X))
    assert_array_equal(fits[0].score_samples(X), fits[1].score_samples(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_layer_without_reset_parameters_raises(Estimator):
    """A layer owning parameters but lacking reset_parameters is named in the error."""
    encoder = nn.Sequential(RawScale(6), nn.Linear(6, 4))
    est = Estimator(**ONE_EPOCH, encoder=encoder, decoder=mlp_decoder())
    with pytest.raises(ValueError, match="RawScale"):
        est.fit(normal_rows(40, 6))
    assert not hasattr(est, "net_")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_custom_reset_parameters_leaves_global_rng_alone(Estimator):
    """A layer resetting from the global generator is seeded and leaves it alone."""
    X = normal_rows(40, 6)
    # Built first: constructing torch layers draws from the global generator.
    ests = [
        Estimator(
            **ONE_EPOCH,
            encoder=nn.Sequential(NoisyScale(6), nn.Linear(6, 4)),
            decoder=mlp_decoder(),
        )
        for _ in range(2)
    ]
    torch.manual_seed(123)
    state = torch.get_rng_state()
    for est in ests:
        est.fit(X)
    assert torch.equal(torch.get_rng_state(), state)
    assert_array_equal(ests[0].transform(X), ests[1].transform(X))
    weights = [est.module_.encoder[0].weight for est in ests]
    assert torch.equal(*weights)
    assert not torch.equal(weights[0].cpu(), torch.ones(6))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_dropout_in_custom_encoder_leaves_global_rng_alone(Estimator):
    """Training noise of custom layers (dropout) is seeded, not torch's global RNG."""
    X = normal_rows(40, 6)
    encoder = nn.Sequential(nn.Linear(6, 8), nn.Dropout(0.5))
    est = Estimator(**ONE_EPOCH, encoder=encoder, decoder=mlp_decoder())
    codes = []
    for global_seed in (0, 1):
        torch.manual_seed(global_seed)
        state = torch.get_rng_state()
        codes.append(est.fit(X).transform(X))
        assert torch.equal(torch.get_rng_state(), state)
    assert_array_equal(codes[0], codes[1])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_buffers_of_custom_layers_survive_fit(Estimator):
    """A custom layer's constant buffer keeps its value in the fitted module."""
    X = normal_rows(40, 6)
    encoder = nn.Sequential(FixedScale(6), nn.Linear(6, 4))
    est = Estimator(**ONE_EPOCH, encoder=encoder, decoder=mlp_decoder()).fit(X)
    assert torch.equal(est.module_.encoder[0].scale.cpu(), torch.full((6,), 3.0))
    first = est.transform(X)
    assert_array_equal(est.fit(X).transform(X), first)


@pytest.mark.parametrize(
    ("builtin", "encoder", "decoder"),
    [
        (
            {"architecture": "conv", "image_shape": (1, 4, 4), "hidden_dims": (4,)},
            ConvEncoder((1, 4, 4), (4,)),
            ConvDecoder(2, (1, 4, 4), (4,)),
        ),
        ({"hidden_dims": (8,)}, MLPEncoder(16, (8,)), MLPDecoder(2, (8,), 16)),
    ],
)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_builtin_networks_equal_the_same_custom_modules(
    Estimator, builtin, encoder, decoder
):
    """Passing the built-in modules yourself fits the same model as asking for them."""
    X = images(image_shape=(1, 4, 4))
    ours = Estimator(**ONE_EPOCH, **builtin).fit(X)
    yours = Estimator(**ONE_EPOCH, encoder=encoder, decoder=decoder).fit(X)
    assert_array_equal(ours.transform(X), yours.transform(X))
    assert_array_equal(ours.score_samples(X), yours.score_samples(X))


# -- the validation split -------------------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_validation_losses_in_history(Estimator):
    """With validation_fraction every epoch records validation losses and parts."""
    est = Estimator(**{**ONE_EPOCH, "max_epochs": 2}, validation_fraction=0.25)
    est.fit(normal_rows(40, 6))
    parts = ["reconstruction", "kl"][: 2 if Estimator is VAETransformer else 1]
    keys = ["valid_loss", *(f"{s}_{p}" for s in ("train", "valid") for p in parts)]
    assert len(est.history_) == 2
    for row in est.history_:
        for key in keys:
            assert np.isfinite(row[key]), key
        if Estimator is AETransformer:
            assert "train_kl" not in row and "valid_kl" not in row


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_no_validation_keys_without_validation_fraction(Estimator):
    """Without validation_fraction no valid_* entry is recorded."""
    est = Estimator(**ONE_EPOCH).fit(normal_rows(40, 6))
    assert not [key for key in est.history_[-1] if key.startswith("valid")]
    assert "train_reconstruction" in est.history_[-1]


@pytest.mark.parametrize(
    ("validation_fraction", "n_samples"), [(0.9, 2), (0.5, 1), (0.99, 10), (0.3, 1)]
)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_validation_fraction_leaving_no_training_rows_raises(
    Estimator, validation_fraction, n_samples
):
    """A validation_fraction that would hold out every row raises a ValueError."""
    est = Estimator(**ONE_EPOCH, validation_fraction=validation_fraction)
    with pytest.raises(ValueError, match="leaves no rows to train on"):
        est.fit(normal_rows(n_samples, 6))
    assert not hasattr(est, "net_")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_validation_fraction_small_data_keeps_one_training_row(Estimator):
    """Two rows with validation_fraction=0.5 hold out one row and train on one."""
    est = Estimator(**ONE_EPOCH, validation_fraction=0.5).fit(normal_rows(2, 6))
    assert np.isfinite(est.history_[-1, "valid_loss"])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fit_with_validation_fraction_is_repeatable(Estimator):
    """The held-out split is seeded: refits agree on outputs and on the history."""
    X = normal_rows(40, 6)
    fits = [
        Estimator(**{**ONE_EPOCH, "max_epochs": 2}, validation_fraction=0.3).fit(X)
        for _ in range(2)
    ]
    assert_array_equal(fits[0].transform(X), fits[1].transform(X))
    assert fits[0].history_[:, "valid_loss"] == fits[1].history_[:, "valid_loss"]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_conv_partial_fit_with_validation(Estimator):
    """A conv estimator trains with partial_fit, list-valued settings and a split."""
    X = images()
    est = Estimator(
        architecture="conv",
        image_shape=[1, 8, 8],
        hidden_dims=[4],
        validation_fraction=0.1,
        random_state=0,
    )
    for _ in range(2):
        est.partial_fit(X)
    assert est.n_iter_ == 2
    assert np.isfinite(est.history_[:, "valid_loss"]).all()
    assert est.inverse_transform(est.transform(X)).shape == X.shape


# -- early stopping -------------------------------------------------------------


def _callback(est, name):
    return dict(est.net_.callbacks_)[name]


class SaveWeights(Callback):
    """Keeps a copy of the module's weights after every epoch."""

    def initialize(self):
        self.weights_ = {}
        return self

    def on_epoch_end(self, net, **kwargs):
        self.weights_[len(net.history)] = copy.deepcopy(net.module_.state_dict())


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping_stops_and_restores_best_weights(Estimator):
    """fit stops n_iter_no_change epochs after the best one and restores its weights."""
    # Seed 1: with seed 0's streams the autoencoder still improves at epoch 200.
    est = Estimator(
        **{**STOPPING, "random_state": 1},
        n_iter_no_change=3,
        callbacks=[("save", SaveWeights())],
    ).fit(low_rank_rows())
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
    X = low_rank_rows()
    est = AETransformer(**STOPPING, n_iter_no_change=3).fit(X)
    _, valid = split_rows(
        est._training_rows(X), None, est._seeds_.split, early_stopping=True
    )
    with torch.no_grad():
        loss = -est.module_(valid.tensors[0]).log_px_z.mean().item()
    best = _callback(est, "early_stopping").best_epoch_
    assert loss == pytest.approx(est.history_[best - 1, "valid_loss"], rel=1e-5)
    assert loss == pytest.approx(min(est.history_[:, "valid_loss"]), abs=est.tol)


@pytest.mark.parametrize("verbose", [0, 1])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping_prints_only_when_verbose(Estimator, verbose, capfd):
    """verbose=0 prints nothing; verbose=1 says why training stopped."""
    est = Estimator(**STOPPING, n_iter_no_change=2, verbose=verbose).fit(
        low_rank_rows()
    )
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
        **SMALL,
        max_epochs=2,
        early_stopping=True,
        validation_fraction=validation_fraction,
    ).fit(low_rank_rows(n=50))
    batch = est.history_[-1, "batches", 0]
    assert batch["train_batch_size"] == 50 - n_valid
    assert est.history_[-1, "batches", -1]["valid_batch_size"] == n_valid


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping_needs_a_row_to_train_on(Estimator):
    """A single row cannot be split for early stopping: a clear error."""
    est = Estimator(**SMALL, max_epochs=2, early_stopping=True)
    with pytest.raises(ValueError, match="for early_stopping leaves no rows"):
        est.fit(low_rank_rows(n=1))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_keeps_early_stopping_of_the_first_call(Estimator):
    """partial_fit trains one epoch per call, also after early_stopping is unset."""
    X = low_rank_rows()
    est = Estimator(**STOPPING, n_iter_no_change=2).fit(X)
    n_iter = est.n_iter_
    est.set_params(early_stopping=False)
    est.partial_fit(X).partial_fit(X)
    assert est.n_iter_ == n_iter + 2
    assert np.isfinite(est.history_[-1, "valid_loss"])


# -- learning-rate schedules ----------------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_cosine_schedule_follows_the_cosine(Estimator):
    """Epoch e of a T-epoch fit uses lr * (1 + cos(pi * (e - 1) / T)) / 2."""
    est = Estimator(**SMALL, max_epochs=6, lr=0.01, lr_schedule="cosine").fit(
        low_rank_rows()
    )
    epochs = np.arange(6)
    expected = 0.01 * (1 + np.cos(np.pi * epochs / 6)) / 2
    np.testing.assert_allclose(est.history_[:, "event_lr"], expected, rtol=1e-10)
    # Each partial_fit call trains its one epoch at lr.
    est.partial_fit(low_rank_rows()).partial_fit(low_rank_rows())
    assert est.history_[-2:, "event_lr"] == [0.01, 0.01]


@pytest.mark.parametrize("validation_fraction", [None, 0.2])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_plateau_schedule_divides_lr_by_ten(Estimator, validation_fraction):
    """With no improvement by tol, lr drops 10x after n_iter_no_change // 2 + 1."""
    est = Estimator(
        **SMALL,
        max_epochs=8,
        lr=0.01,
        lr_schedule="plateau",
        n_iter_no_change=4,
        tol=100.0,
        validation_fraction=validation_fraction,
    ).fit(low_rank_rows())
    expected = [0.01] * 4 + [0.001] * 3 + [0.0001]
    np.testing.assert_allclose(est.history_[:, "event_lr"], expected, rtol=1e-10)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_no_schedule_keeps_lr(Estimator):
    """lr_schedule=None trains every epoch at lr and records no event_lr."""
    est = Estimator(**SMALL, max_epochs=4, lr=0.01).fit(low_rank_rows())
    assert "event_lr" not in est.history_[-1]
    assert est.net_.optimizer_.param_groups[0]["lr"] == 0.01


@pytest.mark.parametrize("lr_schedule", ["cosine", "plateau"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_controls_are_repeatable_with_random_state(Estimator, lr_schedule):
    """Two fits with the same random_state and every control on agree exactly."""
    params = {**STOPPING, "lr_schedule": lr_schedule, "n_iter_no_change": 2}
    params["trim_fraction"] = 0.2
    if Estimator is VAETransformer:
        params.update(kl_warmup_epochs=3, free_bits=0.1)
    X = low_rank_rows()
    first, second = Estimator(**params).fit(X), Estimator(**params).fit(X)
    assert first.n_iter_ == second.n_iter_
    np.testing.assert_array_equal(first.transform(X), second.transform(X))


# -- verbosity -----------------------------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_verbose_2_shows_progress_bar(Estimator, capsys):
    """verbose=2 prints the epoch table and a progress bar on stderr."""
    Estimator(**ONE_EPOCH, batch_size=16, verbose=2).fit(normal_rows(40, 6))
    out, err = capsys.readouterr()
    assert "train_loss" in out
    assert "it/s" in err and "/3 [" in err


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_verbose_1_has_no_progress_bar(Estimator, capsys):
    """verbose=1 prints the epoch table only."""
    Estimator(**ONE_EPOCH, batch_size=16, verbose=1).fit(normal_rows(40, 6))
    out, err = capsys.readouterr()
    assert "train_loss" in out
    assert "it/s" not in err


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_verbose_0_is_silent(Estimator, capfd):
    """verbose=0 writes nothing to stdout or stderr."""
    Estimator(**ONE_EPOCH, batch_size=16, validation_fraction=0.2).fit(
        normal_rows(40, 6)
    )
    assert capfd.readouterr() == ("", "")


def test_quiet_print_log_prints_once_verbose(capsys):
    """verbose=0 then verbose=1 on the same estimator prints the table with a header."""
    estimator = VAETransformer(hidden_dims=(8,), max_epochs=2, random_state=0)
    estimator.fit(normal_rows(60, 4))
    assert capsys.readouterr().out == ""
    estimator.set_params(verbose=1).partial_fit(normal_rows(60, 4))
    out = capsys.readouterr().out
    assert "train_loss" in out and out.count("\n") >= 3


# -- the precision the training rows are held in -------------------------------


@pytest.mark.parametrize(
    ("factor", "offset", "expected"),
    [
        (1.0, 0.0, torch.float32),
        (1e30, 0.0, torch.float32),
        (1e200, 0.0, torch.float64),
        (1e-200, 0.0, torch.float64),
        (1.0, 1e9, torch.float64),
    ],
    ids=["table", "large", "beyond-float32", "below-float32", "offset"],
)
def test_rows_are_float32_unless_that_blurs_them(factor, offset, expected):
    """float64 rows stay float64 only where float32 would lose their values."""
    X = factor_data() * factor + offset
    _, scale = mean_and_scale(X)
    assert rows_dtype(X, scale) == expected


def test_rows_read_as_they_are_are_float32():
    """Rows without a standardising layer, and float32 rows, are held in float32."""
    X = factor_data()
    assert rows_dtype(X, None) == torch.float32
    assert rows_dtype(X.astype(np.float32), np.ones(X.shape[1])) == torch.float32


def test_float64_rows_train_like_their_float32_copy_on_tables():
    """On ordinary tables float64 and float32 input train the same model."""
    X = factor_data()
    est64 = VAETransformer(**FAST).fit(X)
    est32 = VAETransformer(**FAST).fit(X.astype(np.float32))
    assert_allclose(est64.transform(X), est32.transform(X), rtol=1e-4, atol=1e-5)


# -- Ctrl-C ---------------------------------------------------------------------

_INTERRUPTED_FIT = """
import os, signal, sys
import numpy as np
from skorch.callbacks import Callback
from sklearn.utils.validation import check_is_fitted
from skvae import {estimator}

class CtrlC(Callback):
    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == 2:
            os.kill(os.getpid(), signal.SIGINT)

est = {estimator}(max_epochs=1000, hidden_dims=(8,), callbacks=[CtrlC()])
X = np.random.RandomState(0).normal(size=(50, 3))
try:
    est.fit(X)
except KeyboardInterrupt:
    fitted = hasattr(est, "net_")
    print("interrupted", "fitted" if fitted else "unfitted")
    sys.exit(130)
print("returned after", est.n_iter_, "epochs")
"""


def _interrupted(script, estimator):
    """What ``script`` printed, run for ``estimator``; it must exit with 130."""
    result = subprocess.run(
        [sys.executable, "-c", script.format(estimator=estimator)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 130, result.stdout + result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize("estimator", ["VAETransformer", "AETransformer"])
def test_ctrl_c_during_fit_propagates_and_leaves_the_estimator_unfitted(estimator):
    """A real SIGINT in epoch 2 raises KeyboardInterrupt out of fit, model dropped.

    skorch swallows KeyboardInterrupt; fit used to return a half-trained model.
    """
    assert _interrupted(_INTERRUPTED_FIT, estimator) == "interrupted unfitted"


_INTERRUPTED_PARTIAL_FIT = """
import os, signal, sys
import numpy as np
from skorch.callbacks import Callback
from skvae import {estimator}

class CtrlC(Callback):
    def on_batch_end(self, net, training=False, **kwargs):
        if training and len(net.history) == 3:  # inside the partial_fit's epoch
            os.kill(os.getpid(), signal.SIGINT)

est = {estimator}(max_epochs=2, hidden_dims=(8,), batch_size=10, callbacks=[CtrlC()])
X = np.random.RandomState(0).normal(size=(50, 3))
codes = est.fit(X).transform(X)
try:
    est.partial_fit(X)
except KeyboardInterrupt:
    same = np.array_equal(est.transform(X), codes)
    print("interrupted", est.n_iter_, "epochs", "same" if same else "changed")
    sys.exit(130)
print("returned after", est.n_iter_, "epochs")
"""


@pytest.mark.parametrize("estimator", ["VAETransformer", "AETransformer"])
def test_ctrl_c_during_partial_fit_keeps_the_trained_model(estimator):
    """A real SIGINT inside a later partial_fit leaves the earlier model as it was."""
    result = _interrupted(_INTERRUPTED_PARTIAL_FIT, estimator)
    assert result == "interrupted 2 epochs same"


def test_callbacks_raising_keyboard_interrupt_still_stop_early():
    """skorch's convention holds: a callback's KeyboardInterrupt ends training."""
    est = VAETransformer(
        **{**FAST, "max_epochs": 50},
        early_stopping=True,
        n_iter_no_change=2,
        tol=1e9,  # no epoch improves by this much: stop after the first misses
    ).fit(normal_rows(60, 3))
    assert est.n_iter_ < 50


@pytest.mark.parametrize(
    ("callbacks", "error", "match"),
    [
        ([("print_log", Callback())], ValueError, "'print_log' is taken"),
        ([("stop_on_divergence", Callback())], ValueError, "is taken"),
        ([("a", Callback()), ("a", Callback())], ValueError, "'a' is taken"),
        ([(1, Callback())], TypeError, "name must be a string"),
    ],
)
def test_callback_names_that_clash_are_named(callbacks, error, match):
    """skorch's duplicate-name error (or a TypeError inside it) came from skorch."""
    est = VAETransformer(**FAST, callbacks=callbacks)
    with pytest.raises(error, match=match):
        est.fit(normal_rows())
