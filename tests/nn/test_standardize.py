"""Tests of skvae.nn.standardize: the standardising layer and its use in modules."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from skvae.nn import AE, VAE, Standardize
from skvae.nn.init import build_seeded


def _layer(shift=(1.0, -2.0, 3.0), scale=(2.0, 0.5, 10.0)):
    layer = Standardize(len(shift))
    layer.set_statistics(torch.tensor(shift), torch.tensor(scale))
    return layer


def test_starts_as_the_identity():
    """A new layer leaves rows as they are and has a zero log-Jacobian."""
    x = torch.randn(4, 3)
    layer = Standardize(3)
    assert torch.equal(layer(x), x)
    assert float(layer.log_abs_det_jacobian()) == 0.0


def test_forward_and_inverse_are_the_affine_map():
    """forward is (x - shift) / scale and inverse undoes it."""
    x = torch.randn(5, 3, dtype=torch.float64)
    layer = _layer()
    expected = (x - torch.tensor([1.0, -2.0, 3.0])) / torch.tensor([2.0, 0.5, 10.0])
    assert torch.allclose(layer(x), expected.to(x.dtype))
    assert torch.allclose(layer.inverse(layer(x)), x)


def test_log_jacobian_is_minus_sum_of_log_scales():
    """The log-Jacobian is -sum(log scale), in float64."""
    layer = _layer()
    value = layer.log_abs_det_jacobian()
    assert value.dtype == torch.float64
    assert_allclose(float(value), -np.log([2.0, 0.5, 10.0]).sum())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_computes_in_the_input_dtype(dtype):
    """forward and inverse return the dtype of their input."""
    x = torch.randn(2, 3, dtype=dtype)
    layer = _layer()
    assert layer(x).dtype == dtype
    assert layer.inverse(x).dtype == dtype


def test_float64_buffers_standardise_values_beyond_float32():
    """Rows near 1e200 come out finite and of unit scale in float64."""
    x = torch.tensor([[1e200, -1e200], [3e200, 1e200]], dtype=torch.float64)
    layer = Standardize(2)
    layer.set_statistics([2e200, 0.0], [1e200, 1e200])
    assert torch.allclose(layer(x).abs(), torch.ones(2, 2, dtype=torch.float64))


def test_forward_does_not_write_its_input():
    """Standardising makes a new tensor; the input keeps its values."""
    x = torch.randn(3, 3)
    before = x.clone()
    _layer()(x)
    assert torch.equal(x, before)


def test_reset_parameters_restores_the_identity():
    """reset_parameters sets shift 0 and scale 1 again."""
    layer = _layer()
    layer.reset_parameters()
    assert torch.equal(layer.shift, torch.zeros(3, dtype=torch.float64))
    assert torch.equal(layer.scale, torch.ones(3, dtype=torch.float64))


def test_build_seeded_gives_an_identity_layer():
    """Built on the meta device, the layer is filled as the identity."""
    module = build_seeded(lambda: VAE(3, 2), torch.Generator().manual_seed(0))
    assert torch.equal(module.standardize.scale, torch.ones(3, dtype=torch.float64))
    assert torch.equal(module.standardize.shift, torch.zeros(3, dtype=torch.float64))


@pytest.mark.parametrize("Module", [VAE, AE])
def test_only_gaussian_models_standardise(Module):
    """A Gaussian model has a Standardize layer; a Bernoulli one none."""
    assert isinstance(Module(4, 2).standardize, Standardize)
    assert Module(4, 2, likelihood="bernoulli").standardize is None


@pytest.mark.parametrize("Module", [VAE, AE])
def test_log_likelihood_is_a_density_of_the_raw_rows(Module):
    """log p(x | z) of raw rows is that of standardised rows plus the log-Jacobian."""
    torch.manual_seed(0)
    module = Module(3, 2, hidden_dims=(8,))
    x = torch.randn(6, 3) * 10 + 5
    args = (torch.zeros(6, 2),) if Module is VAE else ()
    plain = module(x / 10 - 0.5, *args).log_px_z
    module.standardize.set_statistics([5.0] * 3, [10.0] * 3)
    scored = module(x, *args).log_px_z
    assert torch.allclose(scored, plain - 3 * np.log(10.0), atol=1e-4)


@pytest.mark.parametrize("Module", [VAE, AE])
def test_reconstructions_are_in_data_units(Module):
    """decode_mean undoes the standardisation of the decoder's mean."""
    module = Module(3, 2, hidden_dims=(8,))
    z = torch.randn(4, 2)
    standardized = module.likelihood.mean(module.decode(z))
    module.standardize.set_statistics([1.0, 2.0, 3.0], [2.0, 2.0, 2.0])
    expected = standardized * 2.0 + torch.tensor([1.0, 2.0, 3.0])
    assert torch.allclose(module.decode_mean(z), expected)
