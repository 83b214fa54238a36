"""Latent-usage diagnostics of the VAE: KL per dimension and active units."""

from skvae import AETransformer
from tests._helpers import standardised_factor_data

FAST = {"hidden_dims": (8,), "max_epochs": 3, "random_state": 0}


def test_autoencoder_has_no_kl_diagnostics():
    """The deterministic autoencoder has no posterior, hence no KL diagnostics."""
    est = AETransformer(**FAST).fit(standardised_factor_data(n_samples=60))
    assert not hasattr(est, "kl_per_dim_")
    assert not hasattr(est, "n_active_units_")
