"""
==========================================
Synthetic rows of a mixed-type table
==========================================

Synthetic tables are one of the most common reasons to fit a VAE to a table.
:class:`~skvae.VAETransformer` takes a DataFrame with ``category`` columns as it
is: each categorical column gets a softmax over its categories, the numbers are
modelled through their quantiles, and :meth:`~skvae.VAETransformer.sample`
returns a DataFrame of real categories and numbers on their own support, with
the original dtypes (see :ref:`categorical` in the user guide).

This example makes an Adult-like census table, fits the default model to half
of it, samples as many rows as the other half has, and asks how realistic they
are: per-column and per-pair fidelity against the held-out half, and how well a
classifier trained on synthetic rows predicts the real ones.
"""

# %%
# An Adult-like table
# -------------------
# Seven columns drawn from a known mixed-type distribution: ``education``
# (five levels) fixes ``education_num``; ``age`` is a skewed integer;
# ``hours`` an integer with a spike at 40; ``capital_gain`` an integer that is 0
# for most rows and heavy-tailed otherwise; and ``income`` depends on all of
# them.
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from skvae import VAETransformer

rng = np.random.default_rng(0)
n = 6000
levels = ["HS-grad", "Some-college", "Bachelors", "Masters", "Doctorate"]
education = rng.choice(5, size=n, p=[0.40, 0.28, 0.20, 0.09, 0.03])
age = np.clip(17 + rng.gamma(2.5, 8.0, n) + 2 * education, 17, 90).round()
hours = np.where(rng.random(n) < 0.5, 40, np.clip(rng.normal(40, 12, n), 1, 99).round())
gain = np.where(
    rng.random(n) < 0.08 + 0.04 * education,
    np.exp(rng.normal(8 + 0.3 * education, 0.8, n)).round(),
    0,
)
sex = rng.choice(["Female", "Male"], size=n, p=[0.33, 0.67])
logit = (
    -7.0
    + 0.9 * education
    + 0.05 * np.minimum(age, 60)
    + 0.04 * hours
    + 2.0 * (gain > 0)
    + 0.6 * (sex == "Male")
)
income = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), ">50K", "<=50K")
table = pd.DataFrame(
    {
        "age": age.astype(int),
        "education": pd.Categorical.from_codes(education, levels),
        "education_num": education + 9,
        "hours": hours.astype(int),
        "capital_gain": gain.astype(int),
        "sex": pd.Categorical(sex),
        "income": pd.Categorical(income),
    }
)
real, held_out = train_test_split(table, test_size=0.5, random_state=0)
print(table.head())
print(f"{table.shape[0]} rows; {(gain > 0).mean():.0%} with a capital gain")

# %%
# Fit, then sample
# ----------------
# The defaults find the categorical columns from the dtypes
# (``categorical_features="from_dtype"``, as in
# :class:`~sklearn.ensemble.HistGradientBoostingClassifier`).
vae = VAETransformer(random_state=0)
start = time.perf_counter()
vae.fit(real)
print(f"fit in {time.perf_counter() - start:.1f} s")
print("categorical:", list(table.columns[vae.is_categorical_]))

synthetic = vae.sample(len(held_out), random_state=0)
print(synthetic.head())
print((synthetic.dtypes == table.dtypes).all())

# %%
# How close are the rows?
# -----------------------
# The usual fidelity scores, compared with the held-out half: for each column,
# one minus the Kolmogorov-Smirnov distance (numbers) or the total-variation
# distance (categories); for each pair of columns, one minus half the total
# variation between the two tables' contingency tables, numbers in 10 bins of
# the held-out range. The training half itself is the ceiling. The floor is a
# sampler that draws each column independently from its marginal: perfect
# columns, no dependence.
numeric = list(table.columns[~vae.is_categorical_])


def discretise(frame, reference):
    out = frame.copy()
    for column in numeric:
        edges = np.histogram_bin_edges(reference[column], bins=10)
        out[column] = np.digitize(frame[column], edges[1:-1])
    return out.astype(str)


def column_shape(real_column, fake_column):
    if real_column.name in numeric:
        return 1 - stats.ks_2samp(real_column, fake_column).statistic
    p = real_column.value_counts(normalize=True)
    q = fake_column.value_counts(normalize=True)
    return 1 - 0.5 * p.sub(q, fill_value=0).abs().sum()


def pair_trend(real_pair, fake_pair):
    p = real_pair.value_counts(normalize=True)
    q = fake_pair.value_counts(normalize=True)
    return 1 - 0.5 * p.sub(q, fill_value=0).abs().sum()


def fidelity(rows):
    shapes = [column_shape(held_out[c], rows[c]) for c in table.columns]
    real_bins, fake_bins = discretise(held_out, held_out), discretise(rows, held_out)
    pairs = {
        (a, b): pair_trend(real_bins[[a, b]], fake_bins[[a, b]])
        for i, a in enumerate(table.columns)
        for b in table.columns[i + 1 :]
    }
    return np.mean(shapes), np.mean(list(pairs.values())), pairs


def train_on(rows):
    """ROC-AUC on the held-out half of a classifier trained on ``rows``."""
    clf = HistGradientBoostingClassifier(
        categorical_features="from_dtype", random_state=0
    )
    clf.fit(rows.drop(columns="income"), rows["income"] == ">50K")
    scores = clf.predict_proba(held_out.drop(columns="income"))[:, 1]
    return roc_auc_score(held_out["income"] == ">50K", scores)


independent = pd.DataFrame(
    {
        c: real[c].sample(len(held_out), replace=True, random_state=i).to_numpy()
        for i, c in enumerate(table.columns)
    }
).astype(table.dtypes.to_dict())
methods = {
    "real half (ceiling)": real,
    "VAETransformer()": synthetic,
    "independent columns (floor)": independent,
}
report = {}
for name, rows in methods.items():
    shapes, pairs, _ = fidelity(rows)
    report[name] = {
        "column shapes": shapes,
        "pair trends": pairs,
        "train on synthetic ROC-AUC": train_on(rows),
    }
print(pd.DataFrame(report).T.round(3).to_string())

# %%
# The synthetic rows keep what a sampler of independent columns loses: the
# dependence between the columns (the pair trends) and with it what a
# classifier can learn from them. The pairs it finds hardest:
_, _, per_pair = fidelity(synthetic)
print(pd.Series(per_pair).sort_values().head(4).round(3).to_string())

# %%
# Real and synthetic marginals
# ----------------------------
# ``capital_gain`` keeps its mass at exactly 0 and never goes negative: the
# quantile map puts every drawn value back on the column's own support. The
# categories are real categories, in the proportions of the real table.
fig, axes = plt.subplots(2, 3, figsize=(11, 6), layout="constrained")
for ax, column in zip(axes[0], ["age", "hours", "capital_gain"], strict=True):
    values = [held_out[column], synthetic[column]]
    if column == "capital_gain":
        values = [np.log10(1 + v) for v in values]
        column = "log10(1 + capital_gain)"
    edges = np.histogram_bin_edges(values[0], bins=25)
    ax.hist(values[0], bins=edges, alpha=0.6, label="real", density=True)
    ax.hist(values[1], bins=edges, alpha=0.6, label="synthetic", density=True)
    ax.set_title(column)
axes[0, 0].legend()
for ax, column in zip(axes[1], ["education", "sex", "income"], strict=True):
    shares = pd.DataFrame(
        {
            "real": held_out[column].value_counts(normalize=True, sort=False),
            "synthetic": synthetic[column].value_counts(normalize=True, sort=False),
        }
    )
    shares.plot.bar(ax=ax, rot=30, alpha=0.8, legend=False)
    ax.set_title(column)
    ax.set_xlabel("")
axes[1, 0].legend()
fig.suptitle("Held-out real rows against synthetic rows")
plt.show()

# %%
# A pair plot
# -----------
# Pairs of columns, held-out rows above and synthetic rows below, a thousand
# of each on the same axes; the integers are jittered so that equal values do
# not hide each other. In the synthetic rows as in the real ones,
# ``education_num`` stays on its five values, a capital gain is either 0 or in
# the thousands and more frequent at higher education, and the spike of
# ``hours`` at 40 is a line.
pairs = [("age", "education_num"), ("age", "hours"), ("education_num", "log_gain")]
shown = {
    "held-out rows": held_out.sample(1000, random_state=0),
    "synthetic rows": synthetic.sample(1000, random_state=0),
}
fig, axes = plt.subplots(2, 3, figsize=(11, 6.5), layout="constrained")
for row, (label, rows) in enumerate(shown.items()):
    rows = rows.assign(log_gain=np.log10(1 + rows["capital_gain"]))
    for ax, (x_col, y_col) in zip(axes[row], pairs, strict=True):
        jitter = np.random.default_rng(1).normal(0, 0.15, (2, len(rows)))
        ax.scatter(
            rows[x_col] + jitter[0],
            rows[y_col] + jitter[1],
            s=4,
            alpha=0.3,
            color=f"C{row}",
        )
        ax.set_xlabel(x_col)
        ax.set_ylabel(y_col.replace("log_gain", "log10(1 + capital_gain)"))
    axes[row, 0].set_title(label, loc="left", fontweight="bold")
for top, bottom in zip(axes[0], axes[1], strict=True):
    bottom.sharex(top)
    bottom.sharey(top)
fig.suptitle("Pair plot: the same pairs of columns, real and synthetic")
plt.show()

# %%
# The two-dimensional latent space of the defaults is the limit on how much
# joint structure the rows carry; ``latent_dim=8`` and wider hidden layers
# buy more of it at a longer fit (on the UCI Adult table,
# ``benchmarks/synthetic.py`` measures both against TVAE).
