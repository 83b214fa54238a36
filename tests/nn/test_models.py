"""Tests for the VAE and AE modules and their MLP encoder and decoder."""

import pytest
import torch
from torch import nn

from skvae.nn import (
    AE,
    VAE,
    AEOutput,
    GaussianLikelihood,
    MLPDecoder,
    MLPEncoder,
    Posterior,
    VAEOutput,
    elbo,
)

N_FEATURES = 5
LATENT_DIM = 2


def _rows(n=8, seed=0):
    return torch.randn(n, N_FEATURES, generator=torch.Generator().manual_seed(seed))


def _binary_rows(n=8, seed=0):
    return (_rows(n, seed) > 0).float()


def _data(likelihood, n=8):
    return _rows(n) if likelihood == "gaussian" else _binary_rows(n)


def _linear_widths(module):
    return [
        (layer.in_features, layer.out_features)
        for layer in module.modules()
        if isinstance(layer, nn.Linear)
    ]


def test_output_field_names():
    """The NamedTuples expose the documented fields, in order."""
    assert VAEOutput._fields == ("log_px_z", "kl", "z", "mean", "logvar", "loc")
    assert AEOutput._fields == ("log_px_z", "z", "loc")
    assert Posterior._fields == ("mean", "logvar")


@pytest.mark.parametrize("hidden_dims", [(), (7,), (9, 4)])
@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
def test_vae_forward_shapes(hidden_dims, likelihood):
    """VAE.forward returns a VAEOutput with per-row and per-latent shapes."""
    torch.manual_seed(0)
    model = VAE(N_FEATURES, LATENT_DIM, hidden_dims, likelihood)
    out = model(_data(likelihood))
    assert isinstance(out, VAEOutput)
    assert out.log_px_z.shape == (8,)
    assert out.kl.shape == (8,)
    assert out.z.shape == (8, LATENT_DIM)
    assert out.mean.shape == (8, LATENT_DIM)
    assert out.logvar.shape == (8, LATENT_DIM)
    assert out.loc.shape == (8, N_FEATURES)
    posterior = model.encode(_data(likelihood))
    assert isinstance(posterior, Posterior)
    assert posterior.mean.shape == (8, LATENT_DIM)


@pytest.mark.parametrize("hidden_dims", [(), (7,), (9, 4)])
@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
def test_ae_forward_shapes(hidden_dims, likelihood):
    """AE.forward returns an AEOutput with per-row and per-latent shapes."""
    torch.manual_seed(0)
    model = AE(N_FEATURES, LATENT_DIM, hidden_dims, likelihood)
    out = model(_data(likelihood))
    assert isinstance(out, AEOutput)
    assert out.log_px_z.shape == (8,)
    assert out.z.shape == (8, LATENT_DIM)
    assert out.loc.shape == (8, N_FEATURES)


def test_linear_vae_has_identity_encoder_and_only_linear_layers():
    """With hidden_dims=() the encoder is the identity and all layers are Linear."""
    torch.manual_seed(0)
    model = VAE(N_FEATURES, LATENT_DIM, hidden_dims=())
    x = _rows()
    assert model.encoder.out_features == N_FEATURES
    assert torch.equal(model.encoder(x), x)
    assert list(model.encoder.parameters()) == []
    with_params = {
        type(m) for m in model.modules() if list(m.parameters(recurse=False))
    }
    assert with_params == {nn.Linear, GaussianLikelihood}
    assert not any(isinstance(m, nn.ReLU) for m in model.modules())
    assert sorted(_linear_widths(model)) == sorted(
        [(N_FEATURES, LATENT_DIM), (N_FEATURES, LATENT_DIM), (LATENT_DIM, N_FEATURES)]
    )


def test_linear_vae_mean_is_affine():
    """The linear VAE's posterior mean and decoder are affine maps."""
    torch.manual_seed(0)
    model = VAE(N_FEATURES, LATENT_DIM, hidden_dims=()).double()
    a, b = _rows(seed=1).double(), _rows(seed=2).double()
    with torch.no_grad():
        za, zb = model.encode(a).mean, model.encode(b).mean
        mixed = model.encode(0.3 * a + 0.7 * b).mean
        torch.testing.assert_close(mixed, 0.3 * za + 0.7 * zb)
        decoded = model.decode(0.3 * za + 0.7 * zb)
        expected = 0.3 * model.decode(za) + 0.7 * model.decode(zb)
        torch.testing.assert_close(decoded, expected)


@pytest.mark.parametrize(
    ("hidden_dims", "encoder_widths", "decoder_widths"),
    [
        ((7,), [(5, 7)], [(2, 7), (7, 5)]),
        ((9, 4), [(5, 9), (9, 4)], [(2, 4), (4, 9), (9, 5)]),
        ((6, 5, 3), [(5, 6), (6, 5), (5, 3)], [(2, 3), (3, 5), (5, 6), (6, 5)]),
    ],
)
@pytest.mark.parametrize("cls", [VAE, AE])
def test_decoder_mirrors_hidden_dims(cls, hidden_dims, encoder_widths, decoder_widths):
    """The decoder's layer widths are the encoder's, reversed."""
    torch.manual_seed(0)
    model = cls(N_FEATURES, LATENT_DIM, hidden_dims)
    assert _linear_widths(model.encoder) == encoder_widths
    assert _linear_widths(model.decoder) == decoder_widths
    n_relu = sum(isinstance(m, nn.ReLU) for m in model.decoder.modules())
    assert n_relu == len(hidden_dims)


def test_mlp_encoder_and_decoder_widths():
    """MLPEncoder reports its last width; MLPDecoder ends at n_features."""
    encoder = MLPEncoder(6, (10, 3))
    assert encoder.out_features == 3
    assert encoder(torch.zeros(2, 6)).shape == (2, 3)
    assert (encoder(torch.randn(50, 6)) >= 0).all()
    decoder = MLPDecoder(3, (10, 4), 6)
    assert decoder(torch.zeros(2, 3)).shape == (2, 6)


def test_vae_zero_noise_gives_posterior_mean():
    """With eps = 0 the latent sample is the posterior mean."""
    torch.manual_seed(0)
    model = VAE(N_FEATURES, LATENT_DIM, (7,))
    x = _rows()
    out = model(x, torch.zeros(8, LATENT_DIM))
    assert torch.equal(out.z, out.mean)
    torch.testing.assert_close(out.mean, model.encode(x).mean)


def test_vae_reparameterisation():
    """The latent sample is mean + exp(logvar / 2) * eps."""
    torch.manual_seed(0)
    model = VAE(N_FEATURES, LATENT_DIM, (7,))
    eps = torch.randn(8, LATENT_DIM, generator=torch.Generator().manual_seed(3))
    out = model(_rows(), eps)
    torch.testing.assert_close(out.z, out.mean + torch.exp(0.5 * out.logvar) * eps)
    torch.testing.assert_close(out.loc, model.decode(out.z))


def test_vae_forward_deterministic_given_eps():
    """forward(x, eps) gives identical outputs on repeated calls."""
    torch.manual_seed(0)
    model = VAE(N_FEATURES, LATENT_DIM, (7,))
    x = _rows()
    eps = torch.randn(8, LATENT_DIM, generator=torch.Generator().manual_seed(4))
    first, second = model(x, eps), model(x, eps)
    for a, b in zip(first, second, strict=True):
        assert torch.equal(a, b)


def test_vae_forward_without_eps_is_random():
    """Without eps, forward draws fresh noise, so z changes between calls."""
    torch.manual_seed(0)
    model = VAE(N_FEATURES, LATENT_DIM, (7,))
    x = _rows()
    assert not torch.equal(model(x).z, model(x).z)


# Wide enough that no ReLU layer starts dead for every row, which would block
# gradients at initialisation by chance rather than by a bug.
@pytest.mark.parametrize("hidden_dims", [(), (16, 8)])
@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
def test_vae_gradients_reach_all_parameters(hidden_dims, likelihood):
    """Back-propagating the negative ELBO gives every parameter a gradient."""
    torch.manual_seed(0)
    model = VAE(N_FEATURES, LATENT_DIM, hidden_dims, likelihood)
    out = model(_data(likelihood, n=32))
    (-elbo(out.log_px_z, out.kl).mean()).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all(), name
        assert param.grad.abs().sum() > 0, name


# Wide enough that no ReLU layer starts dead for every row, which would block
# gradients at initialisation by chance rather than by a bug.
@pytest.mark.parametrize("hidden_dims", [(), (16, 8)])
@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
def test_ae_gradients_reach_all_parameters(hidden_dims, likelihood):
    """Back-propagating the negative log-likelihood reaches every AE parameter."""
    torch.manual_seed(0)
    model = AE(N_FEATURES, LATENT_DIM, hidden_dims, likelihood)
    (-model(_data(likelihood, n=32)).log_px_z.mean()).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all(), name
        assert param.grad.abs().sum() > 0, name


def test_vae_kl_and_log_px_z_match_parts():
    """The VAE's kl and log_px_z come from its posterior and likelihood."""
    torch.manual_seed(0)
    model = VAE(N_FEATURES, LATENT_DIM, (7,))
    x = _rows()
    out = model(x, torch.zeros(8, LATENT_DIM))
    expected_kl = 0.5 * (out.mean**2 + out.logvar.exp() - 1 - out.logvar).sum(-1)
    torch.testing.assert_close(out.kl, expected_kl)
    torch.testing.assert_close(out.log_px_z, model.likelihood.log_prob(x, out.loc))
