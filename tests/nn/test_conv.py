"""Tests for the convolutional encoder and decoder and the plan that sizes them."""

import math

import pytest
import torch
from torch import nn

from skvae.nn import AE, VAE, ConvDecoder, ConvEncoder, elbo
from skvae.nn.conv import conv_plan

LATENT_DIM = 2

IMAGE_SHAPES = [
    (1, 28, 28),
    (3, 32, 32),
    (3, 64, 64),
    (1, 30, 30),
    (3, 45, 45),
    (2, 5, 17),
    (1, 3, 3),
]

INVALID_SHAPES = [(1, 2, 28), (1, 28, 2), (1, 2, 2), (0, 28, 28), (1, 0, 0)]


def _images(image_shape, n=3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(n, math.prod(image_shape), generator=generator)


def _conv_model(cls, image_shape, likelihood="gaussian", channels=None):
    return cls(
        math.prod(image_shape),
        LATENT_DIM,
        likelihood=likelihood,
        encoder=ConvEncoder(image_shape, channels),
        decoder=ConvDecoder(LATENT_DIM, image_shape, channels),
    )


def _conv_params(in_channels, out_channels):
    """Weights and biases of a 3x3 (transposed) convolution."""
    return in_channels * out_channels * 9 + out_channels


def _linear_params(in_features, out_features):
    return in_features * out_features + out_features


def _batch_norm_params(channels):
    return 2 * channels


@pytest.mark.parametrize(
    ("image_shape", "channels", "sizes"),
    [
        ((1, 28, 28), (32, 64), [(28, 28), (14, 14), (7, 7)]),
        ((3, 32, 32), (32, 64), [(32, 32), (16, 16), (8, 8)]),
        ((3, 64, 64), (32, 64, 128), [(64, 64), (32, 32), (16, 16), (8, 8)]),
        ((1, 30, 30), (32, 64), [(30, 30), (15, 15), (8, 8)]),
        ((3, 45, 45), (32, 64, 128), [(45, 45), (23, 23), (12, 12), (6, 6)]),
        ((2, 5, 17), (32,), [(5, 17), (3, 9)]),
        ((1, 3, 3), (32,), [(3, 3), (2, 2)]),
        ((1, 8, 8), (32,), [(8, 8), (4, 4)]),
        ((1, 9, 200), (32,), [(9, 200), (5, 100)]),
        (
            (1, 256, 256),
            (32, 64, 128, 128),
            [(256, 256), (128, 128), (64, 64), (32, 32), (16, 16)],
        ),
    ],
)
def test_conv_plan_known_shapes(image_shape, channels, sizes):
    """conv_plan gives the expected channels and sizes for known image shapes."""
    assert conv_plan(image_shape) == (channels, sizes)


@pytest.mark.parametrize(
    "image_shape", [*IMAGE_SHAPES, (1, 9, 9), (1, 17, 17), (1, 1000, 1000)]
)
def test_conv_plan_halving_rule(image_shape):
    """Sides halve with ceil, at least once, until the smaller is <= 8 (<= 4 times)."""
    channels, sizes = conv_plan(image_shape)
    assert sizes[0] == image_shape[1:]
    for before, after in zip(sizes, sizes[1:], strict=False):
        assert after == tuple((side + 1) // 2 for side in before)
    n_halvings = len(sizes) - 1
    assert 1 <= n_halvings <= 4
    assert min(sizes[-1]) <= 8 or n_halvings == 4
    # It stops as soon as the smaller side is small enough.
    assert all(min(size) > 8 for size in sizes[1:-1])
    assert channels == (32, 64, 128, 128)[:n_halvings]


@pytest.mark.parametrize(
    ("channels", "sizes"),
    [
        ((4,), [(28, 28), (14, 14)]),
        ((4, 8, 16), [(28, 28), (14, 14), (7, 7), (4, 4)]),
        ([5, 6, 7, 8, 9], [(28, 28), (14, 14), (7, 7), (4, 4), (2, 2), (1, 1)]),
    ],
)
def test_conv_plan_explicit_channels(channels, sizes):
    """Explicit channels give one halving block each, whatever the image size."""
    assert conv_plan((1, 28, 28), channels) == (tuple(channels), sizes)


def test_conv_plan_rejects_no_blocks():
    """Explicit empty channels raise: the encoder needs a halving block."""
    with pytest.raises(ValueError, match="at least one block"):
        conv_plan((1, 28, 28), ())


@pytest.mark.parametrize("image_shape", INVALID_SHAPES)
@pytest.mark.parametrize(
    "build",
    [
        conv_plan,
        ConvEncoder,
        lambda image_shape: ConvDecoder(LATENT_DIM, image_shape),
    ],
)
def test_invalid_image_shape_raises(build, image_shape):
    """H or W below 3, or C below 1, raise a ValueError naming image_shape."""
    with pytest.raises(ValueError, match="image_shape"):
        build(image_shape)


@pytest.mark.parametrize("image_shape", IMAGE_SHAPES)
def test_encoder_output_width_is_out_features(image_shape):
    """ConvEncoder's flattened output has out_features columns."""
    torch.manual_seed(0)
    encoder = ConvEncoder(image_shape)
    channels, sizes = conv_plan(image_shape)
    assert encoder.out_features == channels[-1] * sizes[-1][0] * sizes[-1][1]
    assert encoder(_images(image_shape)).shape == (3, encoder.out_features)


@pytest.mark.parametrize("image_shape", IMAGE_SHAPES)
def test_decoder_output_is_one_image(image_shape):
    """ConvDecoder's blocks produce a (C, H, W) image, flattened to C*H*W values."""
    torch.manual_seed(0)
    decoder = ConvDecoder(LATENT_DIM, image_shape)
    z = torch.randn(3, LATENT_DIM)
    assert decoder(z).shape == (3, math.prod(image_shape))
    seed = decoder.project(z).view(3, *decoder.seed_shape)
    assert decoder.blocks(seed).shape == (3, *image_shape)


@pytest.mark.parametrize("image_shape", IMAGE_SHAPES)
@pytest.mark.parametrize("cls", [VAE, AE])
def test_conv_model_forward_shapes(cls, image_shape):
    """A VAE or AE with conv networks maps a batch of rows to rows of equal width."""
    torch.manual_seed(0)
    model = _conv_model(cls, image_shape)
    x = _images(image_shape)
    out = model(x)
    assert out.loc.shape == x.shape
    assert out.log_px_z.shape == (3,)
    assert out.z.shape == (3, LATENT_DIM)
    assert model.encoder_width == model.encoder.out_features
    assert model.features(x).shape == (3, model.encoder.out_features)
    assert model.code(x).shape == (3, LATENT_DIM)
    assert model.reconstruct(x).shape == x.shape


@pytest.mark.parametrize(
    ("likelihood", "likelihood_params"), [("bernoulli", 0), ("gaussian", 784)]
)
def test_mnist_vae_parameter_count(likelihood, likelihood_params):
    """The default 1x28x28 VAE (latent_dim=2) has the parameters of its layer list."""
    torch.manual_seed(0)
    model = _conv_model(VAE, (1, 28, 28), likelihood)
    encoder = (
        _conv_params(1, 32)
        + _batch_norm_params(32)
        + _conv_params(32, 64)
        + _batch_norm_params(64)
        + _conv_params(64, 64)
        + _batch_norm_params(64)
    )
    heads = 2 * _linear_params(64 * 7 * 7, LATENT_DIM)
    decoder = (
        _linear_params(LATENT_DIM, 64 * 7 * 7)
        + _conv_params(64, 64)
        + _batch_norm_params(64)
        + _conv_params(64, 32)
        + _batch_norm_params(32)
        + _conv_params(32, 1)
    )
    # 133,893 with the Bernoulli likelihood; the Gaussian's per-pixel scales add 784.
    expected = encoder + heads + decoder + likelihood_params
    assert sum(p.numel() for p in model.parameters()) == expected


@pytest.mark.parametrize("channels", [None, (4,), (4, 8, 16)])
def test_blocks_use_batch_norm_and_leaky_relu(channels):
    """Each block is conv, LeakyReLU, batch norm; the decoder ends in a bare conv."""
    torch.manual_seed(0)
    encoder = ConvEncoder((1, 28, 28), channels)
    decoder = ConvDecoder(LATENT_DIM, (1, 28, 28), channels)
    n_halvings = len(conv_plan((1, 28, 28), channels)[0])
    # The decoder's projection adds a LeakyReLU; its last conv has neither layer.
    for module, n_norms in [(encoder, n_halvings + 1), (decoder, n_halvings)]:
        layers = list(module.modules())
        assert sum(isinstance(m, nn.BatchNorm2d) for m in layers) == n_norms
        assert sum(isinstance(m, nn.LeakyReLU) for m in layers) == n_halvings + 1
        assert not any(isinstance(m, nn.ReLU) for m in layers)
    strided = [m for m in encoder.modules() if isinstance(m, nn.Conv2d)]
    assert [m.stride for m in strided] == [(2, 2)] * n_halvings + [(1, 1)]
    assert isinstance(decoder.blocks[-1], nn.ConvTranspose2d)
    assert decoder.blocks[-1].out_channels == 1


@pytest.mark.parametrize("cls", [VAE, AE])
def test_batch_of_one_in_eval_mode(cls):
    """In eval mode (batch-norm running statistics) a single row goes through."""
    torch.manual_seed(0)
    model = _conv_model(cls, (3, 45, 45)).eval()
    x = _images((3, 45, 45), n=1)
    with torch.no_grad():
        out = model(x)
    assert out.loc.shape == (1, 3 * 45 * 45)
    assert torch.isfinite(out.log_px_z).all()


@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
def test_gradients_reach_first_conv(likelihood):
    """Back-propagating the negative ELBO gives every conv parameter a gradient."""
    torch.manual_seed(0)
    model = _conv_model(VAE, (1, 28, 28), likelihood)
    out = model(_images((1, 28, 28), n=4))
    (-elbo(out.log_px_z, out.kl).mean()).backward()
    first_conv = model.encoder.blocks[0]
    assert isinstance(first_conv, nn.Conv2d)
    for name, param in model.named_parameters():
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all(), name
    assert first_conv.weight.grad.abs().sum() > 0
