"""The nets' training losses: the negative ELBO (Kingma & Welling 2013) with the
KL weight beta (Higgins et al. 2017) and free bits (Kingma et al. 2016), and an
autoencoder's negative log-likelihood.

They have no weights, so they are plain callables, not torch modules: accelerate
(1.16) wraps each module of a CPU data-parallel fit in DistributedDataParallel,
which refuses a module without weights.
"""

from .nn import elbo, gaussian_kl_per_dim


class _Loss:
    """A loss called as a function, ``forward`` doing the work."""

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)


class NegativeELBO(_Loss):
    """Training loss of a VAE: the batch mean of ``-(log p(x|z) - kl_weight * KL)``.

    With ``free_bits > 0`` the KL term is ``sum_d max(free_bits, KL_d)``, where
    ``KL_d`` is dimension ``d``'s KL averaged over the batch (Kingma et al. 2016):
    dimensions below the floor get no gradient from the KL.
    """

    def forward(self, output, kl_weight=1.0, free_bits=0.0):
        if not free_bits:
            return -elbo(output.log_px_z, output.kl, kl_weight).mean()
        kl = gaussian_kl_per_dim(output.mean, output.logvar).mean(0)
        return -output.log_px_z.mean() + kl_weight * kl.clamp(min=free_bits).sum()


class NegativeLogLikelihood(_Loss):
    """Training loss of an autoencoder: batch mean of ``-log p(x | x_hat)``."""

    def forward(self, output):
        return -output.log_px_z.mean()


def loss_part(output, part):
    """The batch mean of a recorded part of the loss, detached."""
    if part == "reconstruction":
        return -output.log_px_z.detach().mean()
    return output.kl.detach().mean()
