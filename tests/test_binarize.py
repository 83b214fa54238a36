"""Dynamic binarisation: fresh 0/1 training batches; stored rows, inference as given."""

import numpy as np
import pytest

from skvae import AETransformer, VAETransformer

ESTIMATORS = [VAETransformer, AETransformer]
FAST = {
    "hidden_dims": (8,),
    "likelihood": "bernoulli",
    "batch_size": 16,
    "random_state": 0,
}


def _grey(n=40, n_features=6, seed=0):
    """Fractional values strictly inside (0, 1), so any 0/1 value is a draw."""
    return np.random.RandomState(seed).uniform(0.05, 0.95, size=(n, n_features))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_binarize_needs_the_bernoulli_likelihood(Estimator):
    """binarize=True with a Gaussian model is refused and leaves it unfitted."""
    est = Estimator(binarize=True, max_epochs=1, hidden_dims=(8,))
    with pytest.raises(ValueError, match="binarize=True .* likelihood='bernoulli'"):
        est.fit(_grey())
    assert not hasattr(est, "net_")


@pytest.mark.parametrize("value", ["yes", 1.5, None])
def test_binarize_must_be_a_bool(value):
    """Non-boolean values are rejected by parameter validation."""
    with pytest.raises(ValueError, match="binarize"):
        VAETransformer(binarize=value, max_epochs=1, **FAST).fit(_grey())
