"""Tests for seeded parameter initialisation."""

import math

import pytest
import torch
from scipy import stats
from torch import nn

from skvae.nn import VAE, GaussianLikelihood
from skvae.nn.init import build_seeded


def _vae():
    return VAE(6, 2, (16, 8))


def _build(factory, seed):
    return build_seeded(factory, torch.Generator().manual_seed(seed))


def _weighted_layers(module):
    return [m for m in module.modules() if isinstance(m, nn.Linear)]


def test_equal_seeds_give_identical_parameters():
    """Two builds from equally seeded generators have identical parameters."""
    a, b = _build(_vae, 0).state_dict(), _build(_vae, 0).state_dict()
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name


def test_different_seeds_give_different_parameters():
    """Builds from differently seeded generators differ in every Linear layer."""
    a, b = _build(_vae, 0), _build(_vae, 1)
    for layer_a, layer_b in zip(_weighted_layers(a), _weighted_layers(b), strict=True):
        assert not torch.equal(layer_a.weight, layer_b.weight)
        assert not torch.equal(layer_a.bias, layer_b.bias)


def test_global_rng_state_untouched():
    """Building a module does not consume or reset torch's global generator."""
    torch.manual_seed(1234)
    before = torch.get_rng_state()
    _build(_vae, 0)
    assert torch.equal(torch.get_rng_state(), before)


def test_global_seed_does_not_affect_parameters():
    """The parameters depend on the generator only, not on the global seed."""
    torch.manual_seed(1)
    a = _build(_vae, 7)
    torch.manual_seed(2)
    b = _build(_vae, 7)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_parameters_live_on_cpu_and_are_finite():
    """Every parameter and buffer is a finite CPU tensor, not left on meta."""
    module = _build(lambda: nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3)), 0)
    for tensor in [*module.parameters(), *module.buffers()]:
        assert tensor.device.type == "cpu"
        assert torch.isfinite(tensor.float()).all()
    torch.testing.assert_close(module[1].running_var, torch.ones(3))
    torch.testing.assert_close(module[1].running_mean, torch.zeros(3))


def test_weight_and_bias_within_default_bounds():
    """Linear weights and biases lie in +-1/sqrt(fan_in), as PyTorch's default."""
    module = _build(_vae, 3)
    layers = _weighted_layers(module)
    assert len(layers) == 7
    for layer in layers:
        bound = 1.0 / math.sqrt(layer.in_features)
        assert layer.weight.abs().max() <= bound
        assert layer.bias.abs().max() <= bound
        # Uniform over the whole range, not squeezed near zero.
        assert layer.weight.abs().max() > 0.5 * bound


@pytest.mark.parametrize("seed", [0, 1])
def test_weights_uniform_on_default_range(seed):
    """A wide layer's weights pass a KS test for Uniform(-1/sqrt(fan_in), ...)."""
    layer = _build(lambda: nn.Linear(256, 64), seed)
    bound = 1.0 / math.sqrt(256)
    weights = layer.weight.detach().double().ravel().numpy()
    assert stats.kstest(weights, stats.uniform(-bound, 2 * bound).cdf).pvalue > 1e-3


@pytest.mark.parametrize(
    "factory",
    [
        lambda: nn.Linear(7, 3),
        lambda: nn.Linear(7, 3, bias=False),
        lambda: nn.Conv1d(3, 4, 5),
        lambda: nn.Conv2d(2, 6, 3, groups=2),
        lambda: nn.ConvTranspose2d(3, 4, 3),
        lambda: nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 2)),
    ],
)
@pytest.mark.parametrize("seed", [0, 99])
def test_matches_pytorch_default_init(factory, seed):
    """The values equal PyTorch's own init with the global RNG seeded alike."""
    seeded = build_seeded(factory, torch.Generator().manual_seed(seed))
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        reference = factory()
    for got, expected in zip(seeded.parameters(), reference.parameters(), strict=True):
        assert torch.equal(got, expected)


def test_resets_other_modules_deterministically():
    """Modules outside the weighted set are reset by their reset_parameters."""
    likelihood = _build(lambda: GaussianLikelihood(4), 0)
    torch.testing.assert_close(likelihood.scale, torch.ones(4))
    model = _build(_vae, 0)
    torch.testing.assert_close(model.likelihood.scale, torch.ones(6))
