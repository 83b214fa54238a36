"""Estimator architectures: conv networks, custom modules, validation and verbosity."""

import math

import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal
from torch import nn

from skvae import AETransformer, VAETransformer
from skvae.nn import ConvDecoder, ConvEncoder, MLPDecoder, MLPEncoder

ESTIMATORS = [VAETransformer, AETransformer]
FAST = {"max_epochs": 1, "random_state": 0}
CONV = {**FAST, "architecture": "conv", "image_shape": (1, 8, 8)}


def _images(n=40, image_shape=(1, 8, 8), seed=0):
    """Rows of flattened random images with values in [0, 1]."""
    return np.random.RandomState(seed).rand(n, math.prod(image_shape))


def _rows(n=40, n_features=6, seed=0):
    return np.random.RandomState(seed).normal(size=(n, n_features))


def _mlp_encoder(n_features=6):
    return nn.Sequential(nn.Linear(n_features, 8), nn.ReLU())


def _mlp_decoder(n_features=6):
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, n_features))


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


# -- the conv architecture ----------------------------------------------------


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_conv_fit_and_output_shapes(Estimator, likelihood):
    """A conv estimator fits image rows; every output has the documented shape."""
    X = _images()
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
    X = _images()
    first, second = (Estimator(**CONV).fit(X) for _ in range(2))
    assert_array_equal(first.transform(X), second.transform(X))
    assert_array_equal(first.score_samples(X), second.score_samples(X))


@pytest.mark.parametrize("image_shape", [(3, 5, 7), (2, 3, 4), (1, 9, 4)])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_conv_odd_and_non_square_images(Estimator, image_shape):
    """Odd and non-square images decode to exactly n_features columns."""
    X = _images(n=20, image_shape=image_shape)
    est = Estimator(**{**CONV, "image_shape": image_shape}).fit(X)
    assert est.transform(X).shape == (20, 2)
    assert est.inverse_transform(est.transform(X)).shape == X.shape
    assert est.sample(3).shape == (3, X.shape[1])
    assert est.score_samples(X).shape == (20,)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_conv_explicit_hidden_dims_are_halving_channels(Estimator):
    """hidden_dims=(4, 8) gives two stride-2 blocks with 4 and 8 channels."""
    est = Estimator(**CONV, hidden_dims=(4, 8)).fit(_images())
    convs = [m for m in est.module_.encoder.modules() if isinstance(m, nn.Conv2d)]
    halving = [m.out_channels for m in convs if m.stride == (2, 2)]
    assert halving == [4, 8]
    assert est.module_.encoder.out_features == 8 * 2 * 2


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"architecture": "conv", "image_shape": None}, "needs image_shape"),
        ({"image_shape": (1, 8, 9)}, r"image_shape=\(1, 8, 9\).*72.*64 features"),
        ({"architecture": "mlp", "image_shape": (1, 4, 4)}, r"16.*64 features"),
        ({"image_shape": (8, 8)}, "three positive integers"),
        ({"image_shape": (1, 8, 8, 1)}, "three positive integers"),
        ({"image_shape": (0, 8, 8)}, "three positive integers"),
        ({"image_shape": (1, 8.0, 8)}, "three positive integers"),
        ({"image_shape": (True, 8, 8)}, "three positive integers"),
        ({"image_shape": (4, 2, 8)}, "image_shape"),
        ({"hidden_dims": ()}, "at least one block"),
        ({"hidden_dims": (4, 0)}, "positive integers"),
    ],
)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_invalid_conv_settings_raise(Estimator, params, match):
    """Inconsistent conv settings raise a ValueError and leave no fitted state."""
    est = Estimator(**{**CONV, **params})
    with pytest.raises(ValueError, match=match):
        est.fit(_images())
    assert not hasattr(est, "net_")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_image_shape_with_mlp_is_metadata(Estimator):
    """image_shape with the MLP architecture is kept but does not change networks."""
    X = _images(image_shape=(1, 2, 3))
    est = Estimator(**FAST, hidden_dims=(8,), image_shape=(1, 2, 3)).fit(X)
    assert est.image_shape == (1, 2, 3)
    assert isinstance(est.module_.encoder, MLPEncoder)
    assert not any(isinstance(m, nn.Conv2d) for m in est.module_.modules())


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_image_array_input_suggests_image_shape(method, Estimator):
    """Fitting on a 3-D array of images raises a ValueError naming image_shape."""
    images = np.random.RandomState(0).rand(5, 4, 4)
    with pytest.raises(ValueError, match="image_shape"):
        getattr(Estimator(**FAST), method)(images)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_image_array_input_to_fitted_estimator(Estimator):
    """transform on a 3-D array of images also points to flattening."""
    est = Estimator(**FAST, hidden_dims=(8,)).fit(_images(image_shape=(1, 4, 4)))
    with pytest.raises(ValueError, match="image_shape"):
        est.transform(np.random.RandomState(0).rand(5, 4, 4))


# -- custom encoder and decoder -----------------------------------------------


BOTH = {"encoder": _mlp_encoder(), "decoder": _mlp_decoder()}


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"encoder": _mlp_encoder()}, "both encoder and decoder"),
        ({"decoder": _mlp_decoder()}, "both encoder and decoder"),
        (
            {**BOTH, "architecture": "conv", "image_shape": (1, 2, 3)},
            "leave architecture and hidden_dims",
        ),
        ({**BOTH, "hidden_dims": (8,)}, "leave architecture and hidden_dims"),
        ({**BOTH, "hidden_dims": ()}, "leave architecture and hidden_dims"),
    ],
)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_invalid_custom_module_settings_raise(Estimator, params, match):
    """encoder and decoder go together and replace architecture and hidden_dims."""
    est = Estimator(**FAST, **params)
    with pytest.raises(ValueError, match=match):
        est.fit(_rows())
    assert not hasattr(est, "net_")


@pytest.mark.parametrize("width", [5, 7, 12])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_decoder_of_wrong_width_raises(Estimator, width):
    """A decoder producing rows of the wrong width names both widths."""
    est = Estimator(**FAST, encoder=_mlp_encoder(), decoder=nn.Linear(2, width))
    with pytest.raises(ValueError, match=f"produces {width} values.*6 features"):
        est.fit(_rows())
    assert not hasattr(est, "net_")


@pytest.mark.parametrize(
    ("encoder", "decoder"),
    [
        (nn.Linear(10, 4), _mlp_decoder()),
        (nn.Sequential(nn.Linear(10, 4), nn.ReLU()), _mlp_decoder()),
        (ConvEncoder((1, 7, 7)), _mlp_decoder()),
        (_mlp_encoder(), nn.Linear(3, 6)),
    ],
)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_modules_failing_on_the_data_raise_value_error(Estimator, encoder, decoder):
    """Modules that cannot take the rows or codes raise a ValueError, not torch's."""
    est = Estimator(**FAST, encoder=encoder, decoder=decoder)
    with pytest.raises(ValueError, match="failed on rows of 6 features"):
        est.fit(_rows())
    assert not hasattr(est, "net_")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_custom_modules_fit(Estimator):
    """Custom encoder and decoder modules train and give outputs of the right shape."""
    X = _rows()
    est = Estimator(**FAST, encoder=_mlp_encoder(), decoder=_mlp_decoder()).fit(X)
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
    X = _rows()
    est = Estimator(**FAST, encoder=encoder, decoder=decoder).fit(X)
    assert est.module_.encoder_width == 4 * 2 * 3
    assert est.inverse_transform(est.transform(X)).shape == (40, 6)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fit_copies_and_leaves_user_modules_alone(Estimator):
    """fit trains copies: the user's modules keep their weights and own storage."""
    torch.manual_seed(0)
    encoder, decoder = _mlp_encoder(), _mlp_decoder()
    before = _state(encoder), _state(decoder)
    est = Estimator(**FAST, encoder=encoder, decoder=decoder).fit(_rows())
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
    X = _rows()
    fits = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        est = Estimator(**FAST, encoder=_mlp_encoder(), decoder=_mlp_decoder())
        fits.append(est.fit(X))
    assert_array_equal(fits[0].transform(X), fits[1].transform(X))
    assert_array_equal(fits[0].score_samples(X), fits[1].score_samples(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_layer_without_reset_parameters_raises(Estimator):
    """A layer owning parameters but lacking reset_parameters is named in the error."""
    encoder = nn.Sequential(RawScale(6), nn.Linear(6, 4))
    est = Estimator(**FAST, encoder=encoder, decoder=_mlp_decoder())
    with pytest.raises(ValueError, match="RawScale"):
        est.fit(_rows())
    assert not hasattr(est, "net_")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_custom_reset_parameters_leaves_global_rng_alone(Estimator):
    """A layer resetting from the global generator is seeded and leaves it alone."""
    X = _rows()
    # Built first: constructing torch layers draws from the global generator.
    ests = [
        Estimator(
            **FAST,
            encoder=nn.Sequential(NoisyScale(6), nn.Linear(6, 4)),
            decoder=_mlp_decoder(),
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
    assert not torch.equal(weights[0], torch.ones(6))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_dropout_in_custom_encoder_leaves_global_rng_alone(Estimator):
    """Training noise of custom layers (dropout) is seeded, not torch's global RNG."""
    X = _rows()
    encoder = nn.Sequential(nn.Linear(6, 8), nn.Dropout(0.5))
    est = Estimator(**FAST, encoder=encoder, decoder=_mlp_decoder())
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
    X = _rows()
    encoder = nn.Sequential(FixedScale(6), nn.Linear(6, 4))
    est = Estimator(**FAST, encoder=encoder, decoder=_mlp_decoder()).fit(X)
    assert torch.equal(est.module_.encoder[0].scale, torch.full((6,), 3.0))
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
    X = _images(image_shape=(1, 4, 4))
    ours = Estimator(**FAST, **builtin).fit(X)
    yours = Estimator(**FAST, encoder=encoder, decoder=decoder).fit(X)
    assert_array_equal(ours.transform(X), yours.transform(X))
    assert_array_equal(ours.score_samples(X), yours.score_samples(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_conv_partial_fit_with_validation(Estimator):
    """A conv estimator trains with partial_fit, list-valued settings and a split."""
    X = _images()
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


# -- validation_fraction --------------------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_validation_losses_in_history(Estimator):
    """With validation_fraction every epoch records validation losses and parts."""
    est = Estimator(**{**FAST, "max_epochs": 2}, validation_fraction=0.25)
    est.fit(_rows())
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
    est = Estimator(**FAST).fit(_rows())
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
    est = Estimator(**FAST, validation_fraction=validation_fraction)
    with pytest.raises(ValueError, match="leaves no rows to train on"):
        est.fit(_rows(n=n_samples))
    assert not hasattr(est, "net_")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_validation_fraction_small_data_keeps_one_training_row(Estimator):
    """Two rows with validation_fraction=0.5 hold out one row and train on one."""
    est = Estimator(**FAST, validation_fraction=0.5).fit(_rows(n=2))
    assert np.isfinite(est.history_[-1, "valid_loss"])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fit_with_validation_fraction_is_repeatable(Estimator):
    """The held-out split is seeded: refits agree on outputs and on the history."""
    X = _rows()
    fits = [
        Estimator(**{**FAST, "max_epochs": 2}, validation_fraction=0.3).fit(X)
        for _ in range(2)
    ]
    assert_array_equal(fits[0].transform(X), fits[1].transform(X))
    assert fits[0].history_[:, "valid_loss"] == fits[1].history_[:, "valid_loss"]


@pytest.mark.parametrize("validation_fraction", [1.5, 1.0, 0.0, -0.1, "0.5"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_invalid_validation_fraction_raises(Estimator, validation_fraction):
    """validation_fraction outside (0, 1) raises a ValueError naming it."""
    est = Estimator(**FAST, validation_fraction=validation_fraction)
    with pytest.raises(ValueError, match="validation_fraction"):
        est.fit(_rows())


# -- verbosity ----------------------------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_verbose_2_shows_progress_bar(Estimator, capsys):
    """verbose=2 prints the epoch table and a progress bar on stderr."""
    Estimator(**FAST, batch_size=16, verbose=2).fit(_rows())
    out, err = capsys.readouterr()
    assert "train_loss" in out
    assert "it/s" in err and "/3 [" in err


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_verbose_1_has_no_progress_bar(Estimator, capsys):
    """verbose=1 prints the epoch table only."""
    Estimator(**FAST, batch_size=16, verbose=1).fit(_rows())
    out, err = capsys.readouterr()
    assert "train_loss" in out
    assert "it/s" not in err


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_verbose_0_is_silent(Estimator, capfd):
    """verbose=0 writes nothing to stdout or stderr."""
    Estimator(**FAST, batch_size=16, validation_fraction=0.2).fit(_rows())
    assert capfd.readouterr() == ("", "")
