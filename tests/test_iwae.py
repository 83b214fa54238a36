"""The importance-weighted score (Burda et al. 2015) and its anchor to exact FA."""

import numpy as np
import pytest

from skvae import VAETransformer


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10"])
def test_bad_n_importance_samples_is_a_clear_error(bad):
    """n_importance_samples must be a positive integer."""
    X = np.random.RandomState(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="n_importance_samples"):
        VAETransformer(n_importance_samples=bad, max_epochs=1).fit(X)
