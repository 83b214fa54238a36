"""The one place that imports scikit-learn's private API."""

from sklearn.base import _fit_context
from sklearn.ensemble._base import _set_random_states
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

__all__ = ["HasMethods", "Interval", "StrOptions", "_fit_context", "_set_random_states"]
