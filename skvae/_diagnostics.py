"""How a fitted VAE uses its latent dimensions: KL per dimension and active units.

A unit is active when its posterior mean varies across rows, the criterion of
Burda et al. (2015), "Importance Weighted Autoencoders"; a collapsed unit copies
the prior for every row and carries no information about it.
"""

import numpy as np
import torch

from .nn import gaussian_kl_per_dim

# Burda et al. (2015) count unit d as active when Cov_x(E_q[z_d]) exceeds this.
_ACTIVITY_THRESHOLD = 0.01


def latent_usage(estimator, X):
    """Mean KL per latent dimension and number of active units over the rows ``X``.

    Parameters
    ----------
    estimator : VAETransformer
        A VAE with a trained module.
    X : ndarray of shape (n_samples, n_features)
        Validated rows, in the data's units.

    Returns
    -------
    kl_per_dim : ndarray of shape (latent_dim,)
        Mean over the rows of ``KL(q(z_d | x) || N(0, 1))``, in nats; it sums to
        the mean KL term of the ELBO.
    n_active_units : int
        Number of dimensions whose posterior mean has a variance over the rows
        above 0.01.
    """

    def means_and_kl(module, x, rows):
        mean, logvar = module.encode(x)
        return torch.cat([mean, gaussian_kl_per_dim(mean, logvar)], dim=1)

    mean, kl = np.split(estimator._map_inputs(X, means_and_kl), 2, axis=1)
    activity = mean.astype(np.float64).var(axis=0)
    kl_per_dim = kl.astype(np.float64).mean(axis=0)
    return kl_per_dim, int(np.sum(activity > _ACTIVITY_THRESHOLD))
