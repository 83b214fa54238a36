"""The VAE's inference: scores and imputations from row-keyed noise, the
posterior's active units, and rows drawn from the prior.

Every draw's noise is a fixed function of the row's values (``_noise``), so a row
gets the same number in any batch, subset or order. The imputations are those of
MIWAE (Mattei & Frellsen 2019), in :func:`skvae.nn.impute_missing`.
"""

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from ._noise import keyed_normal_noise, row_keys
from .nn import (
    elbo,
    gaussian_kl_per_dim,
    impute_missing,
    streamed_importance_weighted_bound,
)

# Burda et al. (2015) count unit d as active when Cov_x(E_q[z_d]) exceeds this.
_ACTIVITY_THRESHOLD = 0.01
# Seed of the row-keyed noise behind score_samples: fixed, so scores are deterministic.
_SCORE_SEED = 20131220


class VAEInference:
    """The inference of :class:`~skvae.VAETransformer`: Monte-Carlo scores and
    imputations on its ``n_importance_samples``, ``latent_dim`` and chunked
    inference; the active units; rows drawn from the prior."""

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

    def _after_training(self, X, missing):
        def means_and_kl(module, x, _, observed):
            mean, logvar = module.encode(x, observed)
            return torch.cat([mean, gaussian_kl_per_dim(mean, logvar)], dim=1)

        # A unit is active when its posterior mean varies across rows (Burda et
        # al. 2015); a collapsed unit copies the prior for every row.
        codes = self._map_batches(X, means_and_kl, missing=missing)
        mean, kl = np.split(codes, 2, axis=1)
        self.kl_per_dim_ = kl.astype(np.float64).mean(axis=0)
        activity = mean.astype(np.float64).var(axis=0)
        self.n_active_units_ = int(np.sum(activity > _ACTIVITY_THRESHOLD))

    def sample(self, n_samples=1, random_state=None):
        """Draw rows from the generative model.

        Draws ``z`` from the N(0, I) prior and returns the decoder's mean for each,
        in the training data's units (observation noise is not added). With
        categorical columns every value is drawn from ``p(x | z)``: each
        category from its softmax, each number with the learned noise.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        random_state : int, RandomState instance or None, default=None
            Seeds the draw; ``None`` uses the estimator's ``random_state``.

        Returns
        -------
        X : ndarray or DataFrame of shape (n_samples, n_features_in_)
            Decoded means, in the training data's units; with categorical
            columns, drawn rows in the user's terms (a DataFrame with the
            training columns and dtypes when fitted on one).
        """
        check_is_fitted(self)
        rng = self._sample_rng(n_samples, random_state)
        z = rng.standard_normal((n_samples, self._n_features_out))
        return self._rows_at_codes(z, rng)


def _keyed_noise(keys, x, width):
    """``noise(first_draw, n)``: the rows' keyed standard normal draws, of
    ``width`` values each, on ``x``'s device and in its dtype."""

    def noise(first_draw, n_draws):
        draws = keyed_normal_noise(keys.to(x.device), n_draws, width, first_draw)
        return draws.to(x.dtype)

    return noise
