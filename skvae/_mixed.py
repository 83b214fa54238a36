"""The estimators' side of tables with categorical columns: validation into the
model's rows, and rows back in the user's terms (see ``_columns``)."""

import numpy as np
from sklearn.utils.validation import check_array, validate_data

from ._columns import TableColumns, resolve_categorical
from ._validation import check_values, from_torch


class CategoricalColumns:
    """Mixin of the autoencoders: ``categorical_features`` and ``handle_unknown``.

    A table without categorical columns takes the numeric path unchanged
    (``_columns_`` is None).
    """

    def _table_columns(self, X, reset):
        """The fitted layout (fitting it when ``reset``), or None: all numeric."""
        if not reset:
            return getattr(self, "_columns_", None)
        self._columns_ = None
        given = self.categorical_features
        frame = hasattr(X, "iloc")
        # An array has no dtypes to read categories from: the numeric path.
        if given is None or (isinstance(given, str) and not frame):
            return None
        rows = X if frame else _as_rows(X)
        names = getattr(rows, "columns", None)
        names = None if names is None else [str(name) for name in names]
        mask = resolve_categorical(rows, self.categorical_features, names)
        if not mask.any():
            return None
        # Numbers become normal scores for the Gaussian likelihood alone: a
        # Bernoulli model reads its [0, 1] values as they are.
        quantile = self.likelihood == "gaussian"
        self._columns_ = TableColumns.fit(rows, mask, quantile=quantile)
        return self._columns_

    def _validate_table(self, X, columns, reset):
        """``X``'s rows as the model reads them, and whether any entry is missing."""
        validate_data(self, X, reset=reset, skip_check_array=True)
        rows = X if hasattr(X, "iloc") else _as_rows(X)
        encoded = columns.encode(rows, self.handle_unknown)
        likelihood = self.likelihood if reset else self._structure_["likelihood"]
        missing = check_values(
            encoded,
            estimator_name=type(self).__name__,
            bernoulli=likelihood == "bernoulli",
            fitting=reset,
        )
        return encoded, missing

    @property
    def is_categorical_(self):
        """ndarray of bool: True for each categorical column."""
        columns = getattr(self, "_columns_", None)
        if columns is None:
            return np.zeros(self.n_features_in_, dtype=bool)
        return columns.is_categorical.copy()

    @property
    def categories_(self):
        """list of ndarray: the categories of each categorical column, in order."""
        columns = getattr(self, "_columns_", None)
        return [] if columns is None else [found.copy() for found in columns.categories]

    def _category_sizes(self):
        columns = getattr(self, "_columns_", None)
        return () if columns is None else columns.category_sizes

    def _in_user_terms(self, rows):
        """Decoded rows as the user's table: categories, columns and dtypes."""
        columns = getattr(self, "_columns_", None)
        return rows if columns is None else columns.decode(rows)

    def _numbers_log_jacobian(self, X, encoded):
        """Each row's log-Jacobian of the numeric columns' normal-score map, which
        turns a density of the scores into one of the numbers (0 without it)."""
        columns = getattr(self, "_columns_", None)
        if columns is None:
            return 0.0
        rows = X if hasattr(X, "iloc") else _as_rows(from_torch(X))
        return columns.log_jacobian(rows, encoded)

    def _rows_at_codes(self, z, rng):
        """``sample``'s rows at codes ``z``: the decoder's means, or, with
        categorical columns, every value drawn from p(x | z)."""
        if getattr(self, "_columns_", None) is None:
            return self.inverse_transform(z)
        return self._drawn_rows(z, rng)

    def _drawn_rows(self, z, rng):
        """Rows drawn from p(x | z) at codes ``z``: categories from their
        softmax, numbers with the learned noise; in the user's terms."""
        noise = rng.standard_normal((len(z), self._model_width))
        codes = np.concatenate([z, noise], axis=1).astype(np.float64)
        latent_dim = z.shape[1]

        def draw(module, chunk, *_):
            loc = module.decode(chunk[:, :latent_dim])
            values = module.likelihood.sample(loc, chunk[:, latent_dim:])
            return module.unstandardized(values)

        return self._in_user_terms(self._map_batches(codes, draw))


def _as_rows(X):
    """A 2-D array of ``X``'s values, of any kind (object for strings)."""
    return check_array(X, dtype=None, ensure_all_finite=False, input_name="X")
