"""Fidelity scores of a synthetic table, after SDMetrics' single-table QualityReport.

Pure functions on pandas DataFrames (numpy, scipy, pandas; scikit-learn only for
``tstr_auc``). The definitions follow SDMetrics (sdv-dev/SDMetrics, read from
its source: ``single_column/statistical/kscomplement.py``, ``tvcomplement.py``,
``column_pairs/statistical/correlation_similarity.py``,
``contingency_similarity.py``, ``reports/single_table/_properties/
column_pair_trends.py``, ``reports/utils.py``):

- column shapes: KSComplement ``1 - KS statistic`` for numeric columns,
  TVComplement ``1 - 0.5 * sum |p_real - p_syn|`` for categorical ones; the
  property is the mean over columns;
- column pair trends: CorrelationSimilarity ``1 - |r_real - r_syn| / 2``
  (Pearson) for two numeric columns, ContingencySimilarity ``1 - 0.5 * sum
  |joint_real - joint_syn|`` for any pair with a categorical column, a numeric
  one discretised into 10 equal-width bins (``np.histogram_bin_edges`` then
  ``np.digitize``). The report bins each table on its own range (real on the
  real rows, synthetic on the synthetic rows); ``bins="real"`` fits the edges on
  the real rows and applies them to both instead;
- relevant pairs: QualityReport's defaults ``real_correlation_threshold=0.5``
  and ``real_association_threshold=0.3`` (``DEFAULT_REAL_*_THRESHOLD``): a
  numeric pair counts when ``|r_real| > 0.5``, any other pair when the Cramér's
  V of its real contingency table (``scipy.stats.contingency.association``)
  is above 0.3; the property is the mean over those pairs only;
- overall: the mean of the two properties.
"""

import itertools

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp
from scipy.stats.contingency import association

NUMERIC = (
    "age",
    "fnlwgt",
    "education-num",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
)
CATEGORICAL = (
    "workclass",
    "education",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "native-country",
    "income",
)
TARGET = "income"
POSITIVE = ">50K"
N_BINS = 10
REAL_CORRELATION_THRESHOLD = 0.5
REAL_ASSOCIATION_THRESHOLD = 0.3


def read_adult(path):
    """The UCI Adult table: numeric columns int64, the others ``category``.

    Values are stripped of the spaces that follow each comma. The '?' of
    ``workclass``, ``occupation`` and ``native-country`` is kept as a category of
    its own (as SDMetrics treats a missing value: one more category), so the
    table has no NaN.
    """
    df = pd.read_csv(path, skipinitialspace=True)
    for column in df.columns:
        if column in NUMERIC:
            df[column] = df[column].astype("int64")
        else:
            df[column] = df[column].astype(str).str.strip().astype("category")
    return df


def is_numeric(series):
    """Whether SDMetrics would treat the column as numerical."""
    return not isinstance(series.dtype, pd.CategoricalDtype) and (
        pd.api.types.is_numeric_dtype(series.dtype)
    )


def align(synthetic, like):
    """``synthetic`` with ``like``'s columns, order and dtypes (categories too).

    Categories ``like`` lacks become NaN; numeric columns are cast to float when
    they hold NaN or ``like``'s dtype is float, else rounded to ``like``'s ints.
    """
    out = {}
    for column in like.columns:
        values = synthetic[column]
        dtype = like[column].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            values = values.astype(str).astype(dtype)
        else:
            values = pd.to_numeric(values)
            if pd.api.types.is_integer_dtype(dtype) and not values.isna().any():
                values = np.round(values).astype(dtype)
        out[column] = values.reset_index(drop=True)
    return pd.DataFrame(out)


# -- column shapes -------------------------------------------------------------


def ks_complement(real, synthetic):
    """``1 - `` the two-sample KS statistic (NaN dropped first)."""
    return 1.0 - float(ks_2samp(real.dropna(), synthetic.dropna()).statistic)


def tv_complement(real, synthetic):
    """``1 - 0.5 * sum |p_real - p_syn|`` over the categories (NaN is one)."""
    p = real.value_counts(normalize=True, dropna=False)
    q = synthetic.value_counts(normalize=True, dropna=False)
    p, q = p.align(q, fill_value=0)
    return 1.0 - 0.5 * float(np.abs(p - q).sum())


def column_shapes(real, synthetic):
    """``{column: score}``, KSComplement or TVComplement by the real column's type."""
    return {
        column: (ks_complement if is_numeric(real[column]) else tv_complement)(
            real[column], synthetic[column]
        )
        for column in real.columns
    }


# -- column pair trends --------------------------------------------------------


def bin_edges(values, bins=N_BINS):
    """Equal-width edges over the values' range, as ``np.histogram_bin_edges``."""
    return np.histogram_bin_edges(np.asarray(values.dropna(), dtype=float), bins)


def discretize(values, edges):
    """Bin labels ``np.digitize(values, edges)`` (the maximum gets its own label)."""
    return pd.Series(np.digitize(np.asarray(values, dtype=float), edges))


def correlation_similarity(real, synthetic):
    """``(1 - |r_real - r_syn| / 2, r_real)``, Pearson, rows with NaN dropped.

    NaN score where a column is constant (SDMetrics raises there, and the report
    leaves the pair out of its mean).
    """

    def pearson(frame):
        x, y = np.asarray(frame.dropna(), dtype=float).T
        if x.std() == 0 or y.std() == 0:
            return np.nan
        return float(np.corrcoef(x, y)[0, 1])

    r_real, r_syn = pearson(real), pearson(synthetic)
    return 1.0 - abs(r_real - r_syn) / 2.0, r_real


def contingency_similarity(real_a, real_b, syn_a, syn_b):
    """``(1 - 0.5 * sum |joint_real - joint_syn|, Cramér's V of the real table)``.

    The inputs are discrete labels (categories or bin labels), NaN one label
    more. V is NaN when the real table has fewer than 2 rows or columns.
    """
    a, levels_a = pd.factorize(pd.concat([real_a, syn_a], ignore_index=True))
    b, levels_b = pd.factorize(pd.concat([real_b, syn_b], ignore_index=True))
    n_a, n_b = len(levels_a) + 1, len(levels_b) + 1  # code -1 (NaN) -> last
    a, b = np.where(a < 0, n_a - 1, a), np.where(b < 0, n_b - 1, b)
    keys = a * n_b + b
    n_real = len(real_a)
    real = np.bincount(keys[:n_real], minlength=n_a * n_b)
    syn = np.bincount(keys[n_real:], minlength=n_a * n_b)
    score = 1.0 - 0.5 * float(np.abs(real / real.sum() - syn / syn.sum()).sum())
    table = real.reshape(n_a, n_b)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    v = np.nan if min(table.shape) < 2 else float(association(table, "cramer"))
    return score, v


def column_pair_trends(real, synthetic, bins="own"):
    """``{(a, b): {"metric", "score", "real", "relevant"}}`` over all column pairs.

    ``real`` is the real pair's Pearson r or Cramér's V; ``relevant`` whether it
    passes QualityReport's default threshold. ``bins``: "own" (the report's way,
    each table binned on its own range) or "real" (edges fitted on the real rows).
    """
    if bins not in ("own", "real"):
        raise ValueError(f'bins must be "own" or "real", got {bins!r}')
    numeric = [c for c in real.columns if is_numeric(real[c])]
    real_binned, syn_binned = {}, {}
    for column in numeric:
        edges = bin_edges(real[column])
        real_binned[column] = discretize(real[column], edges)
        if bins == "own":
            edges = bin_edges(synthetic[column])
        syn_binned[column] = discretize(synthetic[column], edges)
    real = real.reset_index(drop=True)
    synthetic = synthetic.reset_index(drop=True)

    def discrete(frame, binned, column):
        if column in binned:
            return binned[column]
        return frame[column].astype(object)

    pairs = {}
    for a, b in itertools.combinations(real.columns, 2):
        if a in numeric and b in numeric:
            score, strength = correlation_similarity(real[[a, b]], synthetic[[a, b]])
            metric, threshold = "CorrelationSimilarity", REAL_CORRELATION_THRESHOLD
        else:
            score, strength = contingency_similarity(
                discrete(real, real_binned, a),
                discrete(real, real_binned, b),
                discrete(synthetic, syn_binned, a),
                discrete(synthetic, syn_binned, b),
            )
            metric, threshold = "ContingencySimilarity", REAL_ASSOCIATION_THRESHOLD
        relevant = bool(np.isfinite(strength) and abs(strength) > threshold)
        pairs[(a, b)] = {
            "metric": metric,
            "score": score,
            "real": strength,
            "relevant": relevant,
        }
    return pairs


def nanmean(values):
    """Mean of the finite values; NaN when there are none."""
    values = np.asarray(list(values), dtype=float)
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else float("nan")


def quality(real, synthetic, bins="own"):
    """QualityReport's figures, with the mean over all pairs and the details.

    Returns ``overall`` (mean of ``column_shapes`` and ``pair_trends``),
    ``column_shapes``, ``pair_trends`` (relevant pairs only, the report's
    default), ``pair_trends_all`` (all pairs), ``n_relevant_pairs``,
    ``n_pairs``, ``columns`` ``{column: score}`` and ``pairs`` ``{"a / b": {...}}``.
    """
    synthetic = align(synthetic, real)
    shapes = column_shapes(real, synthetic)
    pairs = column_pair_trends(real, synthetic, bins=bins)
    shape_score = nanmean(shapes.values())
    relevant = nanmean(p["score"] for p in pairs.values() if p["relevant"])
    return {
        "overall": nanmean([shape_score, relevant]),
        "column_shapes": shape_score,
        "pair_trends": relevant,
        "pair_trends_all": nanmean(p["score"] for p in pairs.values()),
        "n_relevant_pairs": sum(p["relevant"] for p in pairs.values()),
        "n_pairs": len(pairs),
        "columns": shapes,
        "pairs": {f"{a} / {b}": p for (a, b), p in pairs.items()},
    }


# -- machine-learning efficacy and the floor -----------------------------------


def tstr_auc(synthetic, real_test, target=TARGET, positive=POSITIVE, seed=0):
    """ROC-AUC on ``real_test`` of a classifier trained on ``synthetic`` rows.

    ``HistGradientBoostingClassifier(categorical_features="from_dtype",
    random_state=seed)`` predicts ``target == positive``; NaN when the
    synthetic rows hold a single class.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    synthetic = align(synthetic, real_test)
    y_train = (synthetic[target] == positive).to_numpy()
    if y_train.all() or not y_train.any():
        return float("nan")
    model = HistGradientBoostingClassifier(
        categorical_features="from_dtype", random_state=seed
    )
    model.fit(synthetic.drop(columns=target), y_train)
    scores = model.predict_proba(real_test.drop(columns=target))[:, 1]
    return float(roc_auc_score(real_test[target] == positive, scores))


def independent_sampler(train_df, n, seed):
    """``n`` rows, each column drawn with replacement from its own marginal.

    Columns are drawn independently of each other (one generator,
    ``numpy.random.default_rng(seed)``, column after column): the marginals
    survive, every dependence between columns is gone. Dtypes are kept.
    """
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            column: train_df[column]
            .iloc[rng.integers(0, len(train_df), n)]
            .reset_index(drop=True)
            for column in train_df.columns
        }
    )
