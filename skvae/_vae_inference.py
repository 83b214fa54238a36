"""The VAE's Monte-Carlo inference: scores and imputations from row-keyed noise.

Every draw's noise is a fixed function of the row's values (``_noise``), so a row
gets the same number in any batch, subset or order. The imputations are those of
MIWAE (Mattei & Frellsen 2019), in :func:`skvae.nn.impute_missing`.
"""

import numpy as np
import torch

from ._noise import keyed_normal_noise, row_keys
from .nn import elbo, impute_missing, streamed_importance_weighted_bound

# Seed of the row-keyed noise behind score_samples: fixed, so scores are deterministic.
_SCORE_SEED = 20131220


class VAEInference:
    """The Monte-Carlo methods of :class:`~skvae.VAETransformer`, on the
    estimator's ``n_importance_samples``, ``latent_dim`` and chunked inference."""

    def _score_keys(self, X):
        # Hashing every row first, in one numpy pass, takes less than half the
        # time of hashing each chunk between torch's operations, whose idle
        # worker threads keep the other core busy spinning.
        return torch.from_numpy(row_keys(X, _SCORE_SEED).view(np.int64))

    def _score_batch(self, module, x, keys, observed):
        noise = _keyed_noise(keys, x, module.latent_dim)
        k = self.n_importance_samples
        if k == 1:
            output = module(x, noise(0, 1)[:, 0], observed)
            return elbo(output.log_px_z, output.kl, beta=1.0)
        return streamed_importance_weighted_bound(
            module, x, noise, k, self._draws_per_pass(x), observed
        )

    def _draws_per_pass(self, x):
        # Passes that decode about as many rows as an inference chunk (conv
        # decoders slow down 4x at 8192 rows a pass), so memory does not grow
        # with the draws.
        return max(1, self._inference_rows(self._model_width) // len(x))

    def _imputed(self, X, n_draws, sample, seed):
        """Validated rows ``X`` with their NaN entries filled by ``n_draws``
        importance-weighted draws: the conditional mean, or a draw from the
        conditional with ``sample``; the noise is keyed by each row and ``seed``."""
        width = self._n_features_out + (self._model_width + 1 if sample else 0)

        def fill(module, x, keys, observed):
            noise = _keyed_noise(keys, x, width)
            per_pass = self._draws_per_pass(x)
            return impute_missing(module, x, observed, noise, n_draws, per_pass, sample)

        keys = torch.from_numpy(row_keys(X, seed).view(np.int64))
        return self._map_batches(X, fill, keys, missing=True)


def _keyed_noise(keys, x, width):
    """``noise(first_draw, n)``: the rows' keyed standard normal draws, of
    ``width`` values each, on ``x``'s device and in its dtype."""

    def noise(first_draw, n_draws):
        draws = keyed_normal_noise(keys.to(x.device), n_draws, width, first_draw)
        return draws.to(x.dtype)

    return noise
