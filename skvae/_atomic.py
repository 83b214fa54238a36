"""Calls that complete or leave the estimator as it was: the contract of
``docs/user_guide/reliability.rst`` for fit, partial_fit and set_params."""

import contextlib


@contextlib.contextmanager
def unchanged_on_failure(estimator, **copies):
    """Put ``estimator``'s attributes back as they were when the block raises.

    A call that fails (bad rows, divergence, Ctrl-C) leaves the estimator as it
    was before the call: unfitted, or with the model it had. The block may rebind
    any attribute; for those it changes in place (a net trained further),
    ``copies`` holds copies made beforehand.
    """
    saved = dict(vars(estimator))
    try:
        yield
    except BaseException:
        vars(estimator).clear()
        vars(estimator).update(saved, **copies)
        raise


class AllOrNoneParamsMixin:
    """``set_params`` that sets all the given parameters or, when one is refused,
    none: scikit-learn's sets each in turn, so a refused name left the ones
    before it set."""

    def set_params(self, **params):
        """Set the parameters of this estimator: all of them, or none.

        Values are checked when they are used (``fit``, ``partial_fit``,
        inference).

        Parameters
        ----------
        **params : dict
            Estimator parameters, by name; ``name__parameter`` reaches a nested
            estimator's.

        Returns
        -------
        self : object
            The estimator.
        """
        # Nested estimators change in place: every name is checked first.
        valid = self.get_params(deep=True)
        for name in params:
            parts = name.split("__")
            # A nested name is also fine under an estimator replaced in this call.
            replaced = any("__".join(parts[:i]) in params for i in range(1, len(parts)))
            if name not in valid and not replaced:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {self}. Valid "
                    f"parameters are: {sorted(valid)!r}."
                )
        with unchanged_on_failure(self):
            return super().set_params(**params)
