"""Tests of skvae._ae: what sets AETransformer apart from the VAE."""

import numpy as np
from numpy.testing import assert_allclose

from skvae import AETransformer
from tests.conftest import FAST, standardised_factor_data


def test_autoencoder_has_no_kl_diagnostics():
    """The deterministic autoencoder has no posterior, hence no KL diagnostics."""
    est = AETransformer(**{**FAST, "max_epochs": 3}).fit(
        standardised_factor_data(n_samples=60)
    )
    assert not hasattr(est, "kl_per_dim_")
    assert not hasattr(est, "n_active_units_")


def test_code_gaussian_of_many_rows_is_estimated_on_a_subset():
    """Beyond STATISTICS_ROWS rows, sample's Gaussian comes from a random subset.

    Tolerance: on 5000 rows, the mean within 0.1 and the covariance within 10%
    (plus 0.05) of those of all training codes, as they were before.
    """
    X = standardised_factor_data(n_samples=5000)
    est = AETransformer(**{**FAST, "max_epochs": 3, "batch_size": 250}).fit(X)
    codes = est.transform(X).astype(np.float64)
    scale = np.sqrt(np.diag(np.cov(codes, rowvar=False)))
    assert_allclose(est.latent_mean_, codes.mean(axis=0), atol=0.1 * scale.max())
    assert_allclose(
        est.latent_covariance_,
        np.cov(codes, rowvar=False, bias=True),
        rtol=0.1,
        atol=0.05 * scale.max() ** 2,
    )
