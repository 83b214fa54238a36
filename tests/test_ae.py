"""Tests of skvae._ae: what sets AETransformer apart from the VAE."""

from skvae import AETransformer
from tests.conftest import FAST, standardised_factor_data


def test_autoencoder_has_no_kl_diagnostics():
    """The deterministic autoencoder has no posterior, hence no KL diagnostics."""
    est = AETransformer(**{**FAST, "max_epochs": 3}).fit(
        standardised_factor_data(n_samples=60)
    )
    assert not hasattr(est, "kl_per_dim_")
    assert not hasattr(est, "n_active_units_")
