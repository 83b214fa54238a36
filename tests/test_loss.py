"""Tests of skvae._loss: the negative ELBO with free bits, and trimmed losses."""

import numpy as np
import pytest
import torch

from skvae._loss import NegativeELBO, NegativeLogLikelihood, kept_rows
from skvae.nn import VAE, VAEOutput, gaussian_kl


def _output(mean, logvar, log_px_z):
    kl = gaussian_kl(mean, logvar)
    return VAEOutput(log_px_z, kl, mean, mean, logvar, mean)


@pytest.mark.parametrize("free_bits", [0.0, 0.1, 1.0, 50.0])
@pytest.mark.parametrize("beta", [1.0, 2.5])
def test_free_bits_loss_floors_each_dimensions_batch_mean_kl(beta, free_bits):
    """The loss is mean(-log p(x|z)) + beta * sum_d max(free_bits, mean KL_d)."""
    gen = torch.Generator().manual_seed(0)
    # Dimension 0 is near the prior (KL ~ 0), dimension 2 far from it (KL > 2).
    mean = torch.randn(7, 3, generator=gen, dtype=torch.float64) * torch.tensor(
        [0.05, 0.7, 2.5], dtype=torch.float64
    )
    logvar = torch.randn(7, 3, generator=gen, dtype=torch.float64) * 0.3
    log_px_z = torch.randn(7, generator=gen, dtype=torch.float64)
    output = _output(mean, logvar, log_px_z)
    loss = NegativeELBO()(output, kl_weight=beta, free_bits=free_bits)
    kl_d = (0.5 * (mean**2 + logvar.exp() - 1 - logvar)).mean(0).numpy()
    expected = -log_px_z.mean().item() + beta * np.maximum(free_bits, kl_d).sum()
    assert loss.item() == pytest.approx(expected, rel=1e-12)


def test_free_bits_stop_kl_gradient_below_the_floor():
    """Dimensions whose batch-mean KL is under the floor get no KL gradient."""
    torch.manual_seed(0)
    module = VAE(n_features=4, latent_dim=3)
    with torch.no_grad():
        module.mean_head.weight.mul_(0.01)
        module.mean_head.bias.copy_(torch.tensor([0.0, 0.0, 3.0]))
        module.logvar_head.weight.zero_()
        module.logvar_head.bias.zero_()
    x = torch.randn(16, 4, generator=torch.Generator().manual_seed(1))
    eps = torch.zeros(16, 3)
    output = module(x, eps)
    # The KL part alone: the reconstruction term also reaches the heads through z.
    output = output._replace(log_px_z=output.log_px_z.detach())
    NegativeELBO()(output, free_bits=1.0).backward()
    grad = module.mean_head.weight.grad
    assert torch.all(grad[:2] == 0)
    assert torch.all(grad[2] != 0)
    assert torch.all(module.logvar_head.weight.grad[:2] == 0)


@pytest.mark.parametrize(
    "n_rows, trim_fraction, n_kept",
    [(10, 0.0, 10), (10, 0.1, 9), (10, 0.15, 9), (10, 0.25, 8), (3, 0.9, 1)]
    + [(1, 0.5, 1)],
)
def test_kept_rows_drop_the_highest_losses(n_rows, trim_fraction, n_kept):
    """ceil((1 - trim_fraction) * n) rows of lowest loss are kept, at least one."""
    losses = torch.randperm(n_rows, generator=torch.Generator().manual_seed(0)).double()
    kept = losses[kept_rows(losses, trim_fraction)]
    assert sorted(kept.tolist()) == list(range(n_kept))


@pytest.mark.parametrize("trim_fraction", [0.0, 0.2, 0.5])
def test_trimmed_losses_average_the_kept_rows(trim_fraction):
    """Both losses are the mean over the rows of lowest loss, with free bits too."""
    gen = torch.Generator().manual_seed(3)
    mean = torch.randn(10, 2, generator=gen, dtype=torch.float64)
    logvar = torch.randn(10, 2, generator=gen, dtype=torch.float64) * 0.3
    log_px_z = torch.randn(10, generator=gen, dtype=torch.float64) * 5
    output = _output(mean, logvar, log_px_z)
    n_kept = int(np.ceil((1 - trim_fraction) * 10))
    nll = -log_px_z.numpy()
    trimmed = NegativeLogLikelihood()(output, trim_fraction=trim_fraction)
    assert trimmed.item() == pytest.approx(np.sort(nll)[:n_kept].mean(), rel=1e-12)
    kl = 0.5 * (mean**2 + logvar.exp() - 1 - logvar)
    per_row = nll + 2.0 * kl.sum(1).numpy()
    keep = np.argsort(per_row)[:n_kept]
    loss = NegativeELBO()(output, kl_weight=2.0, trim_fraction=trim_fraction)
    assert loss.item() == pytest.approx(per_row[keep].mean(), rel=1e-12)
    floored = NegativeELBO()(
        output, kl_weight=2.0, free_bits=5.0, trim_fraction=trim_fraction
    )
    expected = nll[keep].mean() + 2.0 * np.maximum(5.0, kl.numpy()[keep].mean(0)).sum()
    assert floored.item() == pytest.approx(expected, rel=1e-12)
