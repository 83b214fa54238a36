"""Imputation of missing entries by self-normalised importance sampling.

MIWAE (Mattei & Frellsen 2019, section 3.2): with draws ``z_j ~ q(z | x_obs)`` and
weights ``w_j`` proportional to ``p(x_obs | z_j) p(z_j) / q(z_j | x_obs)``, the
conditional mean ``E[x_mis | x_obs]`` is about ``sum_j w_j E[x_mis | z_j]``, and
a draw of ``x_mis ~ p(x_mis | z_j)`` with ``j`` chosen by the weights is a draw
from ``p(x_mis | x_obs)`` (sampling importance resampling). Draws are made in
passes, so memory does not grow with their number.
"""

import torch

from .iwae import importance_draws

__all__ = ["impute_missing"]


def impute_missing(module, x, observed, noise, n_draws, draws_per_pass, sample=False):
    """Rows ``x`` with their missing entries filled from the model.

    Parameters
    ----------
    module : skvae.nn.VAE
        The VAE.
    x : Tensor of shape (n, n_features)
        Rows in data units, any value (NaN) where not ``observed``.
    observed : Tensor of bool, shape (n, n_features), or None
        Which entries are observed; None: all are, and ``x`` is returned.
    noise : callable
        ``noise(first_draw, n)``: standard normal noise of draws ``first_draw``
        to ``first_draw + n - 1`` of each row, of shape ``(n_rows, n, width)``;
        ``width`` is ``latent_dim``, or ``latent_dim + n_features + 1`` with
        ``sample`` (the code, the observation noise and the choice of draw).
    n_draws : int
        Draws ``z_j`` per row.
    draws_per_pass : int
        Draws per row decoded in one pass.
    sample : bool, default=False
        False: fill with the importance-weighted conditional mean. True: with
        one draw from ``p(x_mis | x_obs)``.

    Returns
    -------
    Tensor of shape (n, n_features)
        ``x`` where observed, the imputations elsewhere.

    Examples
    --------
    >>> import torch
    >>> from skvae.nn import VAE, impute_missing
    >>> vae = VAE(n_features=3, latent_dim=2)
    >>> x = torch.tensor([[1.0, float("nan"), 2.0]])
    >>> eps = torch.randn(1, 16, 2, generator=torch.Generator().manual_seed(0))
    >>> filled = impute_missing(vae, x, ~x.isnan(), lambda f, n: eps[:, f : f + n],
    ...                         16, 4)
    >>> bool(filled.isfinite().all()), filled[0, 0].item(), filled[0, 2].item()
    (True, 1.0, 2.0)
    """
    if observed is None:
        return x
    latent_dim, n_features = module.latent_dim, x.shape[1]
    x_std = module.standardized(x, observed)
    posterior = module._posterior(x_std)
    total = filled = best = None
    for first in range(0, n_draws, draws_per_pass):
        drawn = noise(first, min(draws_per_pass, n_draws - first))
        draws = importance_draws(
            module, x_std, drawn[..., :latent_dim], posterior, observed
        )
        log_weights = draws.log_weights
        loc = draws.loc.reshape(*log_weights.shape, n_features)
        if sample:
            # Gumbel-max: the draw of largest log-weight plus Gumbel noise is
            # chosen with probability w_j, and the choice streams over passes.
            uniform = torch.special.ndtr(drawn[..., -1])
            keys = log_weights - torch.log(-torch.log(uniform))
            values = module.likelihood.sample(
                loc, drawn[..., latent_dim : latent_dim + n_features]
            )
            key, pick = keys.max(dim=1)
            chosen = values[torch.arange(len(x)), pick]
            if best is None:
                best, filled = key, chosen
            else:
                better = key > best
                best = torch.where(better, key, best)
                filled = torch.where(better[:, None], chosen, filled)
        else:
            log_total = torch.logsumexp(log_weights, dim=1)
            weights = torch.softmax(log_weights, dim=1)
            mean = torch.einsum("nk,nkp->np", weights, module.likelihood.mean(loc))
            if total is None:
                total, filled = log_total, mean
            else:
                merged = torch.logaddexp(total, log_total)
                filled = (
                    filled * torch.exp(total - merged)[:, None]
                    + mean * torch.exp(log_total - merged)[:, None]
                )
                total = merged
    return torch.where(observed, x, module.unstandardized(filled).to(x.dtype))
