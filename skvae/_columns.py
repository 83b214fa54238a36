"""Tables with categorical columns: which they are (``categorical_features``, as
in ``HistGradientBoostingClassifier``), how the model reads them, and rows back
in the user's terms.

The model reads such a table as its numeric columns, then a one-hot block per
categorical column (NaN where the category is missing, or unknown and ignored).
Under a Gaussian likelihood the numeric columns are first mapped to normal
scores through their empirical quantiles, the map of scikit-learn's
``QuantileTransformer(output_distribution="normal")`` kept as a plain table so
model files hold no pickle: skewed, heavy-tailed, multi-modal columns become
Gaussian-shaped, and its inverse puts drawn values back on the column's own
support (the mass of ``capital-gain`` at 0 stays at exactly 0). Integer-valued
columns come back rounded; every column in its dtype.
"""

import numbers

import numpy as np
import pandas as pd

from ._quantiles import (
    N_QUANTILES,
    continuous,
    fit_quantiles,
    from_normal,
    log_jacobian,
    to_normal,
)

_CATEGORY_KINDS = ("category", "object", "string")


def resolve_categorical(X, categorical_features, feature_names):
    """Boolean mask of ``X``'s categorical columns, from the parameter's forms."""
    n_features = X.shape[1]
    if categorical_features is None:
        return np.zeros(n_features, dtype=bool)
    if isinstance(categorical_features, str):  # "from_dtype", by the constraints
        if not hasattr(X, "dtypes"):
            return np.zeros(n_features, dtype=bool)
        return np.array([_is_category_dtype(dtype) for dtype in X.dtypes])
    given = np.asarray(categorical_features)
    if given.size == 0:
        return np.zeros(n_features, dtype=bool)
    if given.ndim != 1:
        raise ValueError(
            "categorical_features must be 1-D: a mask, indices or names; got "
            f"shape {given.shape}."
        )
    if given.dtype.kind == "b":
        if len(given) != n_features:
            raise ValueError(
                f"categorical_features is a mask of {len(given)} values, but X has "
                f"{n_features} features."
            )
        return given.copy()
    mask = np.zeros(n_features, dtype=bool)
    if given.dtype.kind in "iu":
        bad = given[(given < 0) | (given >= n_features)]
        if bad.size:
            raise ValueError(
                f"categorical_features has indices {bad.tolist()} outside "
                f"[0, {n_features - 1}]."
            )
        mask[given] = True
        return mask
    if given.dtype.kind in "UO" and all(isinstance(v, str) for v in given):
        if feature_names is None:
            raise ValueError(
                "categorical_features names columns, but X has no column names: "
                "pass a DataFrame, or give indices or a mask."
            )
        names = list(feature_names)
        unknown = [name for name in given if name not in names]
        if unknown:
            raise ValueError(
                f"categorical_features names columns X does not have: {unknown}."
            )
        mask[[names.index(name) for name in given]] = True
        return mask
    raise ValueError(
        "categorical_features must be 'from_dtype', None, a boolean mask, "
        f"integer indices or column names; got {categorical_features!r}."
    )


def _is_category_dtype(dtype):
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or dtype.kind == "O"
        or (isinstance(dtype, pd.StringDtype))
    )


def _column(X, j):
    return X.iloc[:, j] if hasattr(X, "iloc") else X[:, j]


def _numbers(values, name):
    """A numeric column as float64, NaN where missing."""
    try:
        if isinstance(values, pd.Series):
            return values.to_numpy(dtype=np.float64, na_value=np.nan)
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"Column {name} is not categorical but holds values that are not "
            f"numbers ({exc}). List it in categorical_features."
        ) from None


class TableColumns:
    """The fitted layout of a table with categorical columns.

    Parameters
    ----------
    is_categorical : ndarray of bool, shape (n_features,)
    categories : list of ndarray, one per categorical column
    quantiles : ndarray of shape (n_quantiles, n_numeric) or None
        Each numeric column's quantiles at ``linspace(0, 1, n_quantiles)``;
        None: numeric columns are read as they are (a Bernoulli likelihood).
    integer : ndarray of bool, shape (n_numeric,)
        Numeric columns whose training values are all whole numbers.
    dtypes : list or None
        A DataFrame's column dtypes, None for an array (``array_dtype``'s).
    columns : list or None
        A DataFrame's column labels.
    array_dtype : numpy dtype
        Of the rows returned for array input.
    """

    def __init__(
        self,
        is_categorical,
        categories,
        quantiles,
        integer,
        dtypes,
        columns,
        array_dtype,
    ):
        self.is_categorical = is_categorical
        self.categories = categories
        self.quantiles = quantiles
        self.integer = integer
        self.dtypes = dtypes
        self.columns = columns
        self.array_dtype = array_dtype

    @classmethod
    def fit(cls, X, is_categorical, *, quantile):
        """Learn the categories and numeric maps of ``X``'s columns."""
        frame = hasattr(X, "iloc")
        categories = []
        for j in np.flatnonzero(is_categorical):
            values = _column(X, j)
            if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
                found = np.asarray(values.cat.categories, dtype=object)
            else:
                found = pd.unique(pd.Series(values, dtype=object).dropna())
                try:
                    found = np.array(sorted(found), dtype=object)
                except TypeError:  # mixed kinds (numbers and strings): by name
                    found = np.array(sorted(found, key=str), dtype=object)
            if len(found) == 0:
                raise ValueError(
                    f"Categorical column {_name(X, j)} has no observed value."
                )
            categories.append(found)
        numeric = [
            _numbers(_column(X, j), _name(X, j))
            for j in np.flatnonzero(~is_categorical)
        ]
        numeric = np.column_stack(numeric) if numeric else np.empty((len(X), 0))
        observed = np.where(np.isnan(numeric), 0.0, numeric)
        integer = np.all(observed == np.round(observed), axis=0)
        quantiles = None
        if quantile and numeric.shape[1]:
            quantiles = fit_quantiles(numeric)
        return cls(
            is_categorical,
            categories,
            quantiles,
            integer,
            list(X.dtypes) if frame else None,
            list(X.columns) if frame else None,
            np.dtype(object) if not frame and X.dtype == object else np.float64,
        )

    @property
    def category_sizes(self):
        """Width of each categorical column's one-hot block."""
        return tuple(len(found) for found in self.categories)

    @property
    def n_numeric(self):
        return int(np.sum(~self.is_categorical))

    def encode(self, X, handle_unknown):
        """Rows as the model reads them: numeric columns, then one-hot blocks."""
        numeric = self._numeric(X)
        if self.quantiles is not None:
            numeric = to_normal(numeric, self.quantiles)
        blocks = [numeric]
        for j, found in zip(
            np.flatnonzero(self.is_categorical), self.categories, strict=True
        ):
            values = pd.Series(_column(X, j), dtype=object)
            missing = values.isna().to_numpy()
            codes = pd.Index(found, dtype=object).get_indexer(values)
            unknown = (codes < 0) & ~missing
            if unknown.any() and handle_unknown == "error":
                shown = pd.unique(values[unknown])[:5].tolist()
                raise ValueError(
                    f"Column {_name(X, j)} has categories not seen in fit: {shown}. "
                    "Set handle_unknown='ignore' to read them as missing."
                )
            block = np.zeros((len(X), len(found)))
            rows = np.flatnonzero(codes >= 0)
            block[rows, codes[rows]] = 1.0
            block[codes < 0] = np.nan
            blocks.append(block)
        return np.concatenate(blocks, axis=1)

    def log_jacobian(self, X, encoded):
        """Each row's log-Jacobian of the normal-score map (``_quantiles``),
        from the rows in the user's terms and as the model reads them."""
        if self.quantiles is None or not continuous(self.quantiles, self.integer).any():
            return np.zeros(len(encoded))
        return log_jacobian(
            self._numeric(X), encoded[:, : self.n_numeric], self.quantiles, self.integer
        )

    def _numeric(self, X):
        parts = [
            _numbers(_column(X, j), _name(X, j))
            for j in np.flatnonzero(~self.is_categorical)
        ]
        return np.column_stack(parts) if parts else np.empty((len(X), 0))

    def decode(self, encoded):
        """Rows in the user's terms from encoded rows: each block's most likely
        (or drawn, one-hot) category, numbers mapped back and rounded where
        the column is integer-valued."""
        n_numeric = self.n_numeric
        numeric = encoded[:, :n_numeric].astype(np.float64)
        if self.quantiles is not None and n_numeric:
            numeric = from_normal(numeric, self.quantiles)
        numeric[:, self.integer] = np.round(numeric[:, self.integer])
        columns, start = [], n_numeric
        for found in self.categories:
            block = encoded[:, start : start + len(found)]
            columns.append(found[np.argmax(block, axis=1)])
            start += len(found)
        out = [None] * len(self.is_categorical)
        for i, j in enumerate(np.flatnonzero(~self.is_categorical)):
            out[j] = numeric[:, i]
        for i, j in enumerate(np.flatnonzero(self.is_categorical)):
            out[j] = columns[i]
        if self.dtypes is None:
            return np.column_stack(out).astype(self.array_dtype)
        return pd.DataFrame(
            {
                k: _as_dtype(values, dtype)
                for k, (values, dtype) in enumerate(zip(out, self.dtypes, strict=True))
            }
        ).set_axis(self.columns, axis=1)


def _as_dtype(values, dtype):
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.Categorical(values, dtype=dtype)
    try:
        return pd.Series(values).astype(dtype)
    except (TypeError, ValueError):  # e.g. a float into an int of smaller range
        return pd.Series(values)


def _name(X, j):
    if hasattr(X, "columns"):
        return repr(X.columns[j])
    return f"{j}" if isinstance(j, numbers.Integral) else repr(j)


def columns_state(columns, add_quantiles):
    """``columns`` as JSON values, its quantile table (float64) given to
    ``add_quantiles``."""

    def plain(value, what):
        value = value.item() if hasattr(value, "item") else value
        if not isinstance(value, str | bool | int | float):
            raise ValueError(
                f"{what} {value!r} is a {type(value).__name__}, which skvae's model "
                "files cannot hold (strings and numbers only). Save this model "
                "with pickle or joblib."
            )
        return value

    if columns.quantiles is not None:
        add_quantiles(columns.quantiles)
    dtypes = None
    if columns.dtypes is not None:
        dtypes = [
            {"category": bool(d.ordered)}
            if isinstance(d, pd.CategoricalDtype)
            else {"dtype": str(d)}
            for d in columns.dtypes
        ]
    return {
        "is_categorical": columns.is_categorical.tolist(),
        "categories": [[plain(v, "Category") for v in c] for c in columns.categories],
        "quantiles": None if columns.quantiles is None else len(columns.quantiles),
        "integer": columns.integer.tolist(),
        "dtypes": dtypes,
        "columns": None
        if columns.columns is None
        else [plain(c, "Column label") for c in columns.columns],
        "array_dtype": str(np.dtype(columns.array_dtype)),
    }


def read_columns(state, take_quantiles, n_features, error):
    """The ``TableColumns`` of :func:`columns_state`'s values, checked.

    ``take_quantiles(shape)``: the file's quantile table, of that shape;
    ``error``: the exception class for a file that does not hold the layout.
    """
    keys = {"is_categorical", "categories", "quantiles", "integer", "dtypes"}
    keys |= {"columns", "array_dtype"}
    if not isinstance(state, dict) or set(state) != keys:
        raise error("columns is not a table layout.")
    try:
        mask = np.array(state["is_categorical"], dtype=bool)
        categories = [np.array(c, dtype=object) for c in state["categories"]]
        integer = np.array(state["integer"], dtype=bool)
        n_numeric = int(np.sum(~mask))
        dtypes = state["dtypes"]
        if dtypes is not None:
            block = np.cumsum(mask) - 1  # each column's categorical block
            dtypes = [
                pd.CategoricalDtype(categories[block[j]], ordered=d["category"])
                if mask[j] and "category" in d
                else pd.api.types.pandas_dtype(d["dtype"])
                for j, d in enumerate(dtypes)
            ]
        valid = (
            mask.shape == (n_features,)
            and len(categories) == mask.sum()
            and all(len(c) for c in categories)
            and integer.shape == (n_numeric,)
            and (dtypes is None or len(dtypes) == n_features)
        )
    except (TypeError, ValueError, KeyError, IndexError) as exc:
        raise error(f"columns holds a layout that does not parse: {exc}") from None
    if not valid:
        raise error("columns does not describe the model's features.")
    quantiles, n_quantiles = None, state["quantiles"]
    if n_quantiles is not None:
        if not isinstance(n_quantiles, int) or not 2 <= n_quantiles <= N_QUANTILES:
            raise error("columns' quantile count is not a count of quantiles.")
        shape = (n_quantiles, n_numeric)
        quantiles = take_quantiles(shape).numpy().copy()
        if not np.isfinite(quantiles).all() or (np.diff(quantiles, axis=0) < 0).any():
            raise error("columns' quantile table is not increasing and finite.")
    return TableColumns(
        mask,
        categories,
        quantiles,
        integer,
        dtypes,
        state["columns"],
        np.dtype(state["array_dtype"]),
    )
