"""The nets' training losses: the negative ELBO (Kingma & Welling 2013) with the
KL weight beta (Higgins et al. 2017) and free bits (Kingma et al. 2016), or the
importance-weighted bound (Burda et al. 2015), and an autoencoder's negative
log-likelihood; either trimmed of each batch's worst rows, as robust training on
contaminated rows does (RCA, Liu et al. 2021).

They have no weights, so they are plain callables, not torch modules: accelerate
(1.16) wraps each module of a CPU data-parallel fit in DistributedDataParallel,
which refuses a module without weights.
"""

import math

import torch

from .nn import elbo, gaussian_kl_per_dim


class _Loss:
    """A loss called as a function, ``forward`` doing the work."""

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)


class NegativeELBO(_Loss):
    """Training loss of a VAE: the batch mean of ``-(log p(x|z) - kl_weight * KL)``.

    An output of ``k`` draws a row (``log_px_z`` and ``kl`` of shape ``(n, k)``,
    ``kl`` then the one-draw ``log q - log p``) gives the negative
    importance-weighted bound of Burda et al. (2015), the MIWAE bound of Mattei &
    Frellsen (2019) on rows with holes, with ``kl_weight`` on each draw's log
    ratio (1: the bound itself).

    With ``free_bits > 0`` the KL term is ``sum_d max(free_bits, KL_d)``, where
    ``KL_d`` is dimension ``d``'s KL averaged over the batch (Kingma et al. 2016):
    dimensions below the floor get no gradient from the KL.
    """

    def forward(self, output, kl_weight=1.0, free_bits=0.0, trim_fraction=0.0):
        log_weights = elbo(output.log_px_z, output.kl, kl_weight)
        if log_weights.ndim == 2:  # k draws a row: the importance-weighted bound
            k = log_weights.shape[1]
            log_weights = torch.logsumexp(log_weights, dim=1) - math.log(k)
        losses = -log_weights
        kept = kept_rows(losses, trim_fraction)
        if not free_bits:
            return losses[kept].mean()
        mean, logvar = output.mean[kept], output.logvar[kept]
        kl = gaussian_kl_per_dim(mean, logvar).mean(0)
        log_px_z = output.log_px_z[kept]
        return -log_px_z.mean() + kl_weight * kl.clamp(min=free_bits).sum()


class NegativeLogLikelihood(_Loss):
    """Training loss of an autoencoder: batch mean of ``-log p(x | x_hat)``."""

    def forward(self, output, trim_fraction=0.0):
        losses = -output.log_px_z
        return losses[kept_rows(losses, trim_fraction)].mean()


def kept_rows(losses, trim_fraction):
    """The rows of a batch left once its ``trim_fraction`` of highest ``losses``
    are dropped (at least one row): all rows, as a slice, when nothing is."""
    n_kept = max(1, math.ceil((1.0 - trim_fraction) * len(losses)))
    if n_kept == len(losses):
        return slice(None)
    return losses.detach().topk(n_kept, largest=False).indices


def loss_part(output, part):
    """The batch mean of a recorded part of the loss, detached."""
    if part == "reconstruction":
        return -output.log_px_z.detach().mean()
    return output.kl.detach().mean()
