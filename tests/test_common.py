"""scikit-learn's own estimator checks, run on every skvae estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skvae import (
    AETransformer,
    AutoencoderOutlierDetector,
    VAEImputer,
    VAETransformer,
)
from tests.conftest import FAST


@parametrize_with_checks(
    [
        VAETransformer(**FAST),
        AETransformer(**FAST),
        AutoencoderOutlierDetector(VAETransformer(**FAST), random_state=0),
        # Trimmed training, and the detector's own default model (200 steps).
        VAETransformer(**FAST, trim_fraction=0.2),
        AETransformer(**FAST, trim_fraction=0.2),
        AutoencoderOutlierDetector(random_state=0),
        # Trained on the importance-weighted bound; the imputer around it.
        VAETransformer(**FAST, train_importance_samples=3),
        VAEImputer(
            VAETransformer(**FAST, train_importance_samples=2),
            n_importance_samples=10,
            random_state=0,
        ),
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    """Each estimator passes scikit-learn's estimator checks."""
    check(estimator)
