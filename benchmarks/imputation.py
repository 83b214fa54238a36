"""Missing-value imputation benchmark of skvae's VAEImputer against scikit-learn's.

The MIWAE protocol (Mattei & Frellsen, "MIWAE: Deep Generative Modelling and
Imputation of Incomplete Data Sets", ICML 2019). For each set of ``DATASETS``
(scikit-learn's bundled breast_cancer, the paper's setting, then wine and
diabetes), the whole complete table is standardised (``StandardScaler`` fitted on
all its rows); then every entry is removed (set to NaN) independently with
probability p (0.5 for every set), completely at random, the draws coming from
``numpy.random.default_rng(seed)``. A row left with no observed entry has its
whole row of the mask redrawn from the same generator until it keeps at least one
entry, so the mask is MCAR conditioned on every row keeping an entry (at p=0.5
that touches about one row in 2**d: none of breast_cancer's, well under one of
the others'); a column left with no observed entry would stop the run (none can
at these sizes). Each method imputes the masked table with ``fit_transform``,
timed with ``time.perf_counter`` around the call, and is scored by the mean
squared error over the removed entries only, on the standardised scale (mean
over removed entries of (imputed - true)**2). Methods:

- ``SimpleImputer(strategy="mean")``;
- ``KNNImputer()`` (its defaults: 5 neighbours, uniform weights);
- ``IterativeImputer(estimator=BayesianRidge(), max_iter=20,
  random_state=seed)``;
- missForest-like: ``IterativeImputer(estimator=ExtraTreesRegressor(
  n_estimators=100, random_state=seed, n_jobs=1), max_iter=20,
  random_state=seed)``;
- ``skvae.VAEImputer(random_state=seed)`` with its defaults.

Every method runs once per set and seed (``--seeds``, default 0 1 2; the seed
draws the mask and goes to ``random_state``), all in one process, interleaved:
set by set, seed by seed, every method on the same masked table, the order of the
methods reversed on every other seed. IterativeImputer's convergence warnings
are recorded in the JSON, not printed. Table entries are mean ± sample std over
seeds; the mean row averages over the sets within each seed, then gives mean ±
std of those per-seed averages. Targets, judged on each set's mean over seeds:
``TARGETS["imputation_miwae"]``, VAEImputer's MSE on breast_cancer (MIWAE's
published figure is 0.287); ``TARGETS["imputation"]``, VAEImputer's MSE over
the best scikit-learn imputer's on each other set, and the mean of those ratios.
Reported without a target: VAEImputer's fit time over IterativeImputer
(BayesianRidge)'s, each summed over the sets (mean over seeds), and per set.

Run from anywhere::

    python benchmarks/imputation.py            # the 3 sets, seeds 0 1 2
    python benchmarks/imputation.py --quick    # smoke test: breast_cancer, seed 0

On 2 cores the scikit-learn imputers take about 6 minutes of the full run (5 of
them the missForest-like one's) and 1.5 minutes of ``--quick``, VAEImputer's fits
on top; ``--sets`` picks sets by name, ``--threads`` sets torch's threads
(default 2).

A standalone script: the test suite never imports or runs it.
"""

import time
import warnings

import numpy as np
from _harness import Run, make_parser, parse_args, protocol_of, summary_row
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.linear_model import BayesianRidge
from sklearn.preprocessing import StandardScaler

from skvae import VAEImputer

# (name, loader returning (X, y) with return_X_y=True, missing rate p). MIWAE_SET,
# the MIWAE paper's setting, is judged by TARGETS["imputation_miwae"]; every other
# set by TARGETS["imputation"].
DATASETS = (
    ("breast_cancer", load_breast_cancer, 0.5),
    ("wine", load_wine, 0.5),
    ("diabetes", load_diabetes, 0.5),
)
MIWAE_SET = "breast_cancer"
MIWAE_PUBLISHED = 0.287

VAE = "VAEImputer()"
MEAN = "SimpleImputer(mean)"
KNN = "KNNImputer()"
ITERATIVE = "IterativeImputer(BayesianRidge)"
FOREST = "IterativeImputer(ExtraTrees) (missForest-like)"
SKLEARN = (MEAN, KNN, ITERATIVE, FOREST)


def methods():
    """Factories ``seed -> imputer``, in the order they run and are tabled."""
    return {
        VAE: lambda seed: VAEImputer(random_state=seed),
        MEAN: lambda seed: SimpleImputer(strategy="mean"),
        KNN: lambda seed: KNNImputer(),
        ITERATIVE: lambda seed: IterativeImputer(
            estimator=BayesianRidge(), max_iter=20, random_state=seed
        ),
        FOREST: lambda seed: IterativeImputer(
            estimator=ExtraTreesRegressor(
                n_estimators=100, random_state=seed, n_jobs=1
            ),
            max_iter=20,
            random_state=seed,
        ),
    }


def standardised(loader):
    """The loader's complete X, standardised on all its rows."""
    X, _ = loader(return_X_y=True)
    return StandardScaler().fit_transform(np.asarray(X, dtype=float))


def remove_at_random(X, p, seed):
    """``X`` with each entry NaN with probability ``p``; the mask; rows redrawn.

    Rows whose every entry was drawn missing get their row of the mask redrawn
    (same generator) until they keep one entry.
    """
    if not 0 < p < 1:
        raise ValueError(f"the missing rate must be in (0, 1), got {p}")
    rng = np.random.default_rng(seed)
    mask = rng.random(X.shape) < p
    redrawn = 0
    empty = mask.all(axis=1)
    while empty.any():
        redrawn += int(empty.sum())
        mask[empty] = rng.random((int(empty.sum()), X.shape[1])) < p
        empty = mask.all(axis=1)
    if mask.all(axis=0).any():
        columns = np.flatnonzero(mask.all(axis=0)).tolist()
        raise ValueError(f"columns {columns} have no observed entry left")
    X_missing = X.copy()
    X_missing[mask] = np.nan
    return X_missing, mask, redrawn


def run_one(make, X, X_missing, mask, seed):
    """Impute with one method; its MSE on the removed entries and fit time."""
    imputer = make(seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        X_imputed = imputer.fit_transform(X_missing)
        fit_time = time.perf_counter() - start
    X_imputed = np.asarray(X_imputed, dtype=float)
    if X_imputed.shape != X.shape:
        raise ValueError(f"imputed shape {X_imputed.shape}, expected {X.shape}")
    if not np.all(np.isfinite(X_imputed)):
        raise ValueError(f"{np.sum(~np.isfinite(X_imputed))} non-finite entries")
    return {
        "seed": seed,
        "mse": float(np.mean(np.square(X_imputed[mask] - X[mask]))),
        "fit_time_s": fit_time,
        "warnings": sorted({f"{w.category.__name__}: {w.message}" for w in caught}),
    }


def spread(values):
    """Mean and sample standard deviation (0 for a single value)."""
    values = np.asarray(values, dtype=float)
    std = values.std(ddof=1) if values.size > 1 else 0.0
    return float(values.mean()), float(std)


def failed(runs):
    return any("error" in run for run in runs)


def per_set_means(entry):
    """``{method: {"mse", "mse_std", "fit_time_s"}}`` over seeds; None if failed."""
    means = {}
    for method, runs in entry["results"].items():
        if failed(runs):
            means[method] = None
            continue
        mse, mse_std = spread([run["mse"] for run in runs])
        fit_time = float(np.mean([run["fit_time_s"] for run in runs]))
        means[method] = {"mse": mse, "mse_std": mse_std, "fit_time_s": fit_time}
    return means


def overall_means(datasets, names, seeds):
    """Per method: the mean over sets within each seed, then mean ± std over seeds;
    fit time summed over the sets (mean over seeds). None where a run failed."""
    means = {}
    for method in names:
        runs = [entry["results"][method] for entry in datasets]
        if any(failed(seed_runs) for seed_runs in runs):
            means[method] = None
            continue
        per_seed = [
            np.mean([seed_runs[i]["mse"] for seed_runs in runs])
            for i in range(len(seeds))
        ]
        mse, mse_std = spread(per_seed)
        fit_time = float(sum(np.mean([run["fit_time_s"] for run in r]) for r in runs))
        means[method] = {"mse": mse, "mse_std": mse_std, "fit_time_s": fit_time}
    return means


def target_rows(datasets, overall):
    """The judged figures (and the reported time ratio), as summary rows."""
    rows = []
    ratios, judged = [], []
    for entry in datasets:
        means = entry["means"]
        label = f"imputation {VAE} {entry['name']} p={entry['p']:g}"
        if means[VAE] is None:
            continue
        vae = means[VAE]["mse"]
        iterative = means[ITERATIVE]
        if entry["name"] == MIWAE_SET:
            versus = f", {ITERATIVE}'s {iterative['mse']:.3f}" if iterative else ""
            rows.append(
                summary_row(
                    label,
                    f"MSE on removed entries, mean over seeds (MIWAE's published "
                    f"{MIWAE_PUBLISHED}{versus})",
                    vae,
                    "imputation_miwae",
                )
            )
            continue
        if any(means[m] is None for m in SKLEARN):
            continue
        best = min(SKLEARN, key=lambda m: means[m]["mse"])
        ratio = vae / means[best]["mse"]
        ratios.append(ratio)
        judged.append(entry["name"])
        rows.append(
            summary_row(
                label,
                f"MSE over the best scikit-learn imputer's ({best}: "
                f"{vae:.3f} / {means[best]['mse']:.3f})",
                ratio,
                "imputation",
            )
        )
    if ratios:
        rows.append(
            summary_row(
                f"imputation {VAE} other sets",
                f"MSE over the best scikit-learn imputer's, mean over "
                f"{', '.join(judged)}",
                float(np.mean(ratios)),
                "imputation",
            )
        )
    if overall[VAE] is not None and overall[ITERATIVE] is not None:
        names = ", ".join(entry["name"] for entry in datasets)
        rows.append(
            summary_row(
                f"imputation {VAE}",
                f"fit time over {ITERATIVE}'s, summed over {names} (no target)",
                overall[VAE]["fit_time_s"] / overall[ITERATIVE]["fit_time_s"],
            )
        )
    return rows


def target_text(row):
    judged = f" {row['target']}" if row["target"] else ""
    met = {True: ", met", False: ", missed", None: ""}[row["met"]]
    return f"{row['case']}: {row['measure']}{judged}: {row['value']:.3f}{met}"


def time_ratios(datasets):
    """Per set: VAEImputer's mean fit time over IterativeImputer(BayesianRidge)'s."""
    ratios = {}
    for entry in datasets:
        vae, iterative = entry["means"][VAE], entry["means"][ITERATIVE]
        if vae is not None and iterative is not None:
            ratios[entry["name"]] = vae["fit_time_s"] / iterative["fit_time_s"]
    return ratios


def mse_fmt(summary):
    return f"{summary['mse']:.3f} ± {summary['mse_std']:.3f}"


def seconds_fmt(summary):
    return f"{summary['fit_time_s']:.3f}"


def table(report, fmt, mean_label):
    """Markdown table: sets as rows, methods as columns, then the overall row."""
    names = report["methods"]
    lines = [
        "| dataset | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for entry in report["datasets"]:
        means = entry["means"]
        row = [fmt(means[m]) if means[m] else "failed" for m in names]
        lines.append(f"| {entry['name']} | " + " | ".join(row) + " |")
    overall = report["means"]
    row = [fmt(overall[m]) if overall[m] else "n/a" for m in names]
    lines.append(f"| **{mean_label}** | " + " | ".join(row) + " |")
    return "\n".join(lines)


def markdown(report, run):
    """The results file: the MSE and fit-time tables, the targets."""
    m = run.machine
    about = (
        f"Machine: {m['platform']}, {m['processor']}, {m['cpu_count']} CPUs, "
        f"torch threads {m['torch_threads']}; Python {m['python']}, torch "
        f"{m['torch']}, scikit-learn {m['sklearn']}, skvae {m['skvae']}, numpy "
        f"{m['numpy']}. Seeds {report['seeds']}. Imputing took "
        f"{report['wall_time_s']:.0f} s in all (startup excluded).\n\n"
        f"Command: `{run.command}`"
    )
    datasets = ", ".join(
        f"{d['name']} ({d['n_rows']} × {d['n_features']}, p={d['p']:g})"
        for d in report["datasets"]
    )
    parts = [
        "# Imputation benchmark",
        about,
        f"Datasets: {datasets}.",
        f"Protocol: {report['protocol']}",
    ]
    parts += [f"Target: {target_text(row)}" for row in report["summary"]]
    ratios = ", ".join(f"{k} {v:.3g}" for k, v in report["time_ratios"].items())
    if ratios:
        parts.append(f"Fit time of {VAE} over {ITERATIVE}'s, per set: {ratios}.")
    parts += [
        "## MSE on the removed entries (standardised scale, mean ± std over seeds)",
        table(report, mse_fmt, "mean"),
        "## Fit time (mean seconds per fit_transform)",
        table(report, seconds_fmt, "sum over sets"),
    ]
    return "\n\n".join(parts) + "\n"


def print_summary(report):
    """Per set: every method's MSE and fit time; then the targets."""
    for entry in report["datasets"]:
        print(
            f"\n{entry['name']} ({entry['n_rows']} x {entry['n_features']}, "
            f"p={entry['p']:g})"
        )
        print(f"  {'method':<48} {'MSE':>15} {'fit s':>8}")
        for method in report["methods"]:
            summary = entry["means"][method]
            if summary is None:
                print(f"  {method:<48} {'(a run failed)':>24}")
                continue
            print(
                f"  {method:<48} {mse_fmt(summary):>15} {summary['fit_time_s']:>8.3f}"
            )
    print()
    for name, ratio in report["time_ratios"].items():
        print(f"fit time {VAE} / {ITERATIVE} on {name}: {ratio:.3g}")
    for row in report["summary"]:
        print(f"\ntarget: {target_text(row)}")


def main(argv=None):
    parser = make_parser(__doc__, threads=2, seed=False)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    names = [name for name, _, _ in DATASETS]
    parser.add_argument(
        "--sets", nargs="+", choices=names, default=names, help="datasets to run"
    )
    args = parse_args(parser, argv, quick={"seeds": [0], "sets": [MIWAE_SET]})
    run = Run(args)
    factories = methods()
    order = list(factories)

    start_all = time.perf_counter()
    results = []
    for name, loader, p in DATASETS:
        if name not in args.sets:
            continue
        X = standardised(loader)
        entry = {
            "name": name,
            "p": p,
            "n_rows": int(X.shape[0]),
            "n_features": int(X.shape[1]),
            "masks": [],
            "results": {method: [] for method in order},
        }
        for i, seed in enumerate(args.seeds):
            X_missing, mask, redrawn = remove_at_random(X, p, seed)
            entry["masks"].append(
                {"seed": seed, "n_removed": int(mask.sum()), "rows_redrawn": redrawn}
            )
            for method in order if i % 2 == 0 else order[::-1]:
                try:
                    one = run_one(factories[method], X, X_missing, mask, seed)
                except Exception as exc:  # one failure must not end the benchmark
                    one = {"seed": seed, "error": f"{type(exc).__name__}: {exc}"}
                    print(
                        f"{name:<14} {method:<48} seed={seed} FAILED {one['error']}",
                        flush=True,
                    )
                else:
                    print(
                        f"{name:<14} {method:<48} seed={seed} MSE={one['mse']:.3f} "
                        f"fit={one['fit_time_s']:.2f}s",
                        flush=True,
                    )
                entry["results"][method].append(one)
        entry["means"] = per_set_means(entry)
        results.append(entry)

    means = overall_means(results, order, args.seeds)
    report = {
        "protocol": protocol_of(__doc__),
        "seeds": args.seeds,
        "methods": order,
        "datasets": results,
        "means": means,
        "time_ratios": time_ratios(results),
        "summary": target_rows(results, means),
        "wall_time_s": time.perf_counter() - start_all,
    }
    print_summary(report)
    path = run.write("imputation", **report)
    path = path.with_suffix(".md")
    path.write_text(markdown(report, run))
    print(f"wrote {path}")
    return report["summary"]


if __name__ == "__main__":
    main()
