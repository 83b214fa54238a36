"""
=====================================================
Imputing a table with holes, then classifying it
=====================================================

Real tables have holes, and most estimators refuse them. The usual fix is an
imputer in front of the model. :class:`~skvae.VAEImputer` is one: it fits a VAE
to the observed entries alone (the MIWAE bound, see :ref:`missing_values` in
the user guide) and fills each hole with the model's conditional mean given the
row's observed entries.

This example removes half of the entries of the bundled breast-cancer table at
random, puts :class:`~skvae.VAEImputer` and three of scikit-learn's imputers in
the same :class:`~sklearn.pipeline.Pipeline` before a logistic regression, and
compares how close each one's fills come to the removed values on held-out
rows, and how well the classifier then does.
"""

# %%
# A table with half its entries missing
# -------------------------------------
# Each entry is removed with probability 0.5, independently of everything
# (missing completely at random); a row that loses every entry keeps one. A
# quarter of the rows is held out: the imputers never see them in ``fit``.
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skvae import VAEImputer

X, y = load_breast_cancer(return_X_y=True)
rng = np.random.default_rng(0)
removed = rng.random(X.shape) < 0.5
removed[removed.all(axis=1), 0] = False
X_holes = np.where(removed, np.nan, X)

train, test = train_test_split(
    np.arange(len(X)), test_size=0.25, stratify=y, random_state=0
)
X_train, y_train = X_holes[train], y[train]
X_test, y_test = X_holes[test], y[test]
X_test_true, removed_test = X[test], removed[test]
print(f"{X.shape[0]} rows, {X.shape[1]} columns, {removed.mean():.0%} missing")

# %%
# One pipeline per imputer
# ------------------------
# :class:`~sklearn.preprocessing.StandardScaler` ignores NaN when it learns the
# columns' means and scales and passes the holes on, so every imputer works on
# the standardised table and the errors below are in units of each column's
# standard deviation. :class:`~skvae.VAEImputer` runs with its defaults: a VAE
# sized to the table, trained for about 3,000 steps.
imputers = {
    "mean": SimpleImputer(strategy="mean"),
    "kNN": KNNImputer(),
    "Iterative": IterativeImputer(max_iter=20, random_state=0),
    "VAEImputer": VAEImputer(random_state=0),
}
results = {}
for name, imputer in imputers.items():
    model = make_pipeline(StandardScaler(), imputer, LogisticRegression())
    start = time.perf_counter()
    model.fit(X_train, y_train)
    fit_time = time.perf_counter() - start
    scaler, imputer = model[0], model[1]
    filled = imputer.transform(scaler.transform(X_test))
    truth = scaler.transform(X_test_true)
    errors = (filled - truth)[removed_test]
    results[name] = {
        "mse": float(np.mean(errors**2)),
        "accuracy": model.score(X_test, y_test),
        "fit_time": fit_time,
        "filled": filled,
    }

print(f"{'imputer':>11} {'MSE (held out)':>15} {'accuracy':>9} {'fit (s)':>8}")
for name, result in results.items():
    print(
        f"{name:>11} {result['mse']:>15.3f} {result['accuracy']:>9.3f}"
        f" {result['fit_time']:>8.1f}"
    )

# %%
# The VAE's fills come closest to the removed values: the model has learned how
# the 30 measurements vary together (radius, perimeter and area move as one),
# so the entries a row keeps say a lot about those it lost. The mean fills every
# hole with the column's average and knows nothing of the row. The classifier's
# accuracy, on 143 held-out rows, does not follow the imputation error: here the
# mean does as well as the VAE, as a diagnosis needs only a few measurements
# and a linear model copes with fills at the mean. Better fills matter most
# when the imputed table itself is the product, or when the model downstream
# leans on how the features vary together.
names = list(results)
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
axes[0].barh(names, [results[name]["mse"] for name in names], color="tab:blue")
axes[0].set_xlabel("mean squared error on the removed entries")
axes[0].set_title("Imputation error (lower is better)")
axes[1].barh(names, [results[name]["accuracy"] for name in names], color="tab:green")
axes[1].set_xlim(0.8, 1.0)
axes[1].set_xlabel("accuracy of the logistic regression")
axes[1].set_title("Classification (higher is better)")

# %%
# Fills against the truth
# -----------------------
# Each point is one removed entry of a held-out row: its true value against the
# value filled in. On the diagonal, the fill is exact. Mean imputation puts
# every fill at 0, the column's mean on this scale.
truth = truth[removed_test]  # the pipelines' scalers are alike
fig, axes = plt.subplots(1, 3, figsize=(10, 3.6), sharey=True, layout="constrained")
for ax, name in zip(axes, ["mean", "Iterative", "VAEImputer"], strict=True):
    ax.scatter(truth, results[name]["filled"][removed_test], s=3, alpha=0.3)
    ax.axline((0, 0), slope=1, color="black", linewidth=0.8)
    ax.set_xlim(-3, 5)
    ax.set_ylim(-3, 5)
    ax.set_title(f"{name}: MSE {results[name]['mse']:.3f}")
    ax.set_xlabel("true value")
axes[0].set_ylabel("imputed value")

# %%
# For multiple imputation, ``sample_posterior=True`` fills each hole with a
# draw from the model's conditional distribution instead of its mean; fitting
# and transforming with several ``random_state`` gives several completed
# tables, as with :class:`~sklearn.impute.IterativeImputer`.
# ``benchmarks/imputation.py`` compares the imputers on three bundled tables
# with the MIWAE paper's protocol (the whole table imputed, three seeds).
