"""The one place that imports scikit-learn's private API."""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import _check_feature_names_in

__all__ = [
    "HasMethods",
    "Interval",
    "StrOptions",
    "_check_feature_names_in",
    "_fit_context",
    "_set_random_states",
    "validate_parameter_constraints",
]


def _set_random_states(estimator, random_state=None):
    """scikit-learn's ``sklearn.ensemble._base._set_random_states``.

    Imported on first use: ``sklearn.ensemble`` brings its trees and linear
    models, 70 ms of every fresh process's ``import skvae`` (each joblib worker
    of a search pays it) that only the outlier detector's fit needs.
    """
    from sklearn.ensemble._base import _set_random_states as set_random_states

    set_random_states(estimator, random_state)
