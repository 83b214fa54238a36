"""Unsupervised anomaly-detection benchmark of skvae's outlier detector.

ADBench-style protocol (Han et al. 2022, "ADBench: Anomaly Detection Benchmark"):
each method is fitted on all rows of a dataset without labels and scores the same
rows; the labels are used only to compute ROC-AUC and average precision. The
default detector's mean ROC-AUC is judged against the best of the classic
detectors' (IsolationForest, the distance to the 10th nearest neighbour, PCA's
likelihood with ``n_components=0.9``; ``TARGETS["anomaly"]``), and its fit plus
score time, summed over the sets, against IsolationForest's
(``TARGETS["anomaly_time"]``).

Run from anywhere::

    python benchmarks/anomaly.py            # the 20 classical sets, about 15 minutes
    python benchmarks/anomaly.py --large    # the 4 large sets (50k-570k rows)
    python benchmarks/anomaly.py --quick    # smoke test: two datasets, one seed

A standalone script: the test suite never imports or runs it.
"""

import inspect
import sys
import time
from pathlib import Path

import numpy as np
from _harness import DATA_HOME, Run, make_parser, parse_args, summary_row
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

from skvae import AETransformer, AutoencoderOutlierDetector, VAETransformer

DETECTOR, BASELINE = "skvae default detector", "IsolationForest"
KNN, PCA_LIKELIHOOD = "kNN distance (k=10)", "PCA likelihood (n_components=0.9)"
CLASSIC = (BASELINE, KNN, PCA_LIKELIHOOD)

PROTOCOL = (
    "Unsupervised, ADBench-style: X is standardised with StandardScaler fitted on "
    "all rows; each method is fitted on all rows without labels and scores all "
    "rows; the anomaly score is -score_samples (pyod: decision_function, where "
    "higher is already more abnormal); ROC-AUC (roc_auc_score) and average "
    "precision (average_precision_score) against y (1 = outlier). Fit and score "
    "times are time.perf_counter around fit and around scoring all rows. Every "
    "method runs once per seed, the deterministic PCA ones included (their std is "
    "0); the seed goes to random_state. Table entries are mean ± sample std over "
    "seeds; the mean row averages over datasets within each seed, then gives mean "
    "± std of those per-seed averages."
)


def skvae_and_sklearn_methods():
    """Factories ``seed -> estimator`` for the methods that are always run."""
    return {
        DETECTOR: lambda seed: AutoencoderOutlierDetector(random_state=seed),
        # The default before issue 18: ten epochs over all rows, however many.
        "skvae VAE, 10 epochs": lambda seed: AutoencoderOutlierDetector(
            VAETransformer(max_epochs=10), random_state=seed
        ),
        "skvae AE (reconstruction)": lambda seed: AutoencoderOutlierDetector(
            AETransformer(max_epochs=10), score_by="reconstruction", random_state=seed
        ),
        PCA_LIKELIHOOD: lambda seed: AutoencoderOutlierDetector(PCA(n_components=0.9)),
        BASELINE: lambda seed: IsolationForest(random_state=seed),
        KNN: lambda seed: KNNDistance(n_neighbors=10),
        "distance to the mean": lambda seed: DistanceToMean(),
    }


class DistanceToMean:
    """Baseline: squared distance of a standardised row from the mean (origin)."""

    def fit(self, X):
        return self

    def score_samples(self, X):
        return -np.square(X).sum(axis=1)


class KNNDistance:
    """Baseline: distance to the ``n_neighbors``-th nearest other training row
    (pyod's KNN with ``method="largest"``, ADBench's kNN)."""

    def __init__(self, n_neighbors=10):
        self.n_neighbors = n_neighbors

    def fit(self, X):
        self.X_ = X
        self.nn_ = NearestNeighbors(n_neighbors=self.n_neighbors + 1).fit(X)
        return self

    def score_samples(self, X):
        # The training rows themselves: the nearest neighbour is the row.
        distances, _ = self.nn_.kneighbors(X)
        return -distances[:, -1]


def pyod_methods():
    """Factories for pyod's VAE and AutoEncoder, or an empty dict without pyod."""
    try:
        from pyod.models.auto_encoder import AutoEncoder
        from pyod.models.vae import VAE
    except ImportError:
        print("pyod is not installed: skipping pyod VAE and pyod AutoEncoder.")
        return {}

    def make(cls):
        # pyod's defaults, except the seed (so runs vary with it like the other
        # methods) and its progress output; the signatures differ between pyod
        # versions, so pass only what the constructor takes.
        accepted = inspect.signature(cls).parameters

        def build(seed):
            wanted = {"random_state": seed, "verbose": 0}
            return cls(**{k: v for k, v in wanted.items() if k in accepted})

        return build

    return {"pyod VAE": make(VAE), "pyod AutoEncoder": make(AutoEncoder)}


def anomaly_scores(estimator, X):
    """Scores where higher is more abnormal."""
    if type(estimator).__module__.startswith("pyod"):
        return np.asarray(estimator.decision_function(X), dtype=float).ravel()
    return -estimator.score_samples(X)


def run_one(make, X, y, seed):
    """Fit, score and evaluate one method on one dataset with one seed."""
    estimator = make(seed)
    start = time.perf_counter()
    estimator.fit(X)
    fit_time = time.perf_counter() - start
    start = time.perf_counter()
    scores = anomaly_scores(estimator, X)
    score_time = time.perf_counter() - start
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"{np.sum(~np.isfinite(scores))} non-finite scores")
    return {
        "seed": seed,
        "roc_auc": float(roc_auc_score(y, scores)),
        "average_precision": float(average_precision_score(y, scores)),
        "fit_time_s": fit_time,
        "score_time_s": score_time,
    }


def load_datasets(data_dir):
    """(name, X, y) for every .npz file in ``data_dir``, sorted by name."""
    paths = sorted(data_dir.glob("*.npz")) if data_dir.is_dir() else []
    datasets = []
    for path in paths:
        with np.load(path) as data:
            datasets.append((path.stem, data["X"], data["y"].astype(int).ravel()))
    return datasets


def spread(values):
    """Mean and sample standard deviation (0 for a single value)."""
    values = np.asarray(values, dtype=float)
    std = values.std(ddof=1) if values.size > 1 else 0.0
    return float(values.mean()), float(std)


def summarise(datasets, methods, seeds):
    """Per-method averages over datasets; None where any run failed."""
    means = {}
    for method in methods:
        runs = [entry["results"][method] for entry in datasets]
        if any("error" in run for seed_runs in runs for run in seed_runs):
            means[method] = None
            continue
        summary = {}
        for metric in ("roc_auc", "average_precision", "fit_time_s", "score_time_s"):
            per_seed = [
                np.mean([seed_runs[i][metric] for seed_runs in runs])
                for i in range(len(seeds))
            ]
            summary[metric], summary[metric + "_std_over_seeds"] = spread(per_seed)
        means[method] = summary
    return means


def cell(runs, metric, fmt):
    """One table entry: mean +- std over seeds, or "failed"."""
    if any("error" in run for run in runs):
        return "failed"
    mean, std = spread([run[metric] for run in runs])
    return fmt(mean, std)


def table(report, metric, fmt, bold_mean=True):
    """Markdown table: datasets as rows, methods as columns, then a mean row."""
    methods = report["methods"]
    lines = [
        "| dataset | " + " | ".join(methods) + " |",
        "|---|" + "---:|" * len(methods),
    ]
    for entry in report["datasets"]:
        row = [cell(entry["results"][m], metric, fmt) for m in methods]
        lines.append(f"| {entry['name']} | " + " | ".join(row) + " |")
    row = []
    for method in methods:
        summary = report["means"][method]
        if summary is None:
            row.append("n/a")
            continue
        text = fmt(summary[metric], summary[metric + "_std_over_seeds"])
        row.append(f"**{text}**" if bold_mean else text)
    lines.append("| **mean** | " + " | ".join(row) + " |")
    return "\n".join(lines)


def score_fmt(mean, std):
    return f"{mean:.3f} ± {std:.3f}"


def seconds_fmt(mean, std):
    return f"{mean:.3f}"


def markdown(report, run):
    """The results file: ROC-AUC, average-precision and fit-time tables."""
    m = run.machine
    about = (
        f"Machine: {m['platform']}, {m['processor']}, {m['cpu_count']} CPUs, "
        f"torch threads {m['torch_threads']}; Python {m['python']}, torch "
        f"{m['torch']}, scikit-learn {m['sklearn']}, skvae {m['skvae']}, numpy "
        f"{m['numpy']}. Seeds {report['seeds']}. Fitting and scoring "
        f"took {report['wall_time_s']:.0f} s in all (startup excluded).\n\n"
        f"Command: `{run.command}`"
    )
    datasets = ", ".join(
        f"{d['name']} ({d['n_rows']} × {d['n_features']}, "
        f"{100 * d['outlier_fraction']:.1f}% outliers)"
        for d in report["datasets"]
    )
    parts = [
        "# Anomaly detection benchmark",
        about,
        f"Datasets: {datasets}.",
        f"Protocol: {report['protocol']}",
    ]
    parts += [f"Target: {target_text(row)}" for row in report["summary"]]
    parts += [f"Note: {note}" for note in report["notes"]]
    parts += [
        "## ROC-AUC (mean ± std over seeds)",
        table(report, "roc_auc", score_fmt),
        "## Average precision (mean ± std over seeds)",
        table(report, "average_precision", score_fmt),
        "## Fit time (mean seconds per fit)",
        table(report, "fit_time_s", seconds_fmt, bold_mean=False),
        "## Score time (mean seconds to score all rows)",
        table(report, "score_time_s", seconds_fmt, bold_mean=False),
    ]
    return "\n\n".join(parts) + "\n"


def target_row(means):
    """The judged figures: the default detector's mean ROC-AUC over the best
    classic detector's, and its summed fit plus score time over IsolationForest's."""
    if means[DETECTOR] is None or any(means[m] is None for m in CLASSIC):
        return []
    best = max(CLASSIC, key=lambda m: means[m]["roc_auc"])
    gap = means[DETECTOR]["roc_auc"] - means[best]["roc_auc"]

    def seconds(method):
        return means[method]["fit_time_s"] + means[method]["score_time_s"]

    return [
        summary_row(
            f"anomaly {DETECTOR}", f"mean ROC-AUC minus {best}'s", gap, "anomaly"
        ),
        summary_row(
            f"anomaly {DETECTOR}",
            f"fit + score time over {BASELINE}'s",
            seconds(DETECTOR) / seconds(BASELINE),
            "anomaly_time",
        ),
    ]


def target_text(row):
    met = "met" if row["met"] else "missed"
    return f"{row['measure']} {row['target']}: {row['value']:.3f}, {met}"


def print_summary(report):
    """One line per method: means over datasets."""
    print()
    print(f"{'method':<36} {'ROC-AUC':>8} {'AP':>8} {'fit s':>8} {'score s':>8}")
    for method in report["methods"]:
        summary = report["means"][method]
        if summary is None:
            print(f"{method:<36} {'(a run failed: no mean)':>36}")
            continue
        print(
            f"{method:<36} {summary['roc_auc']:>8.3f} "
            f"{summary['average_precision']:>8.3f} "
            f"{summary['fit_time_s']:>8.2f} {summary['score_time_s']:>8.3f}"
        )
    for row in report["summary"]:
        print(f"\ntarget: {target_text(row)}")


def main(argv=None):
    parser = make_parser(__doc__, threads=2, seed=False)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DATA_HOME / "anomaly",
        help="folder of .npz files with X (n, d) and y (1 = outlier)",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--large",
        action="store_true",
        help="run the large sets (the data folder's large/ subfolder) instead",
    )
    args = parse_args(parser, argv, quick={"seeds": [0]})
    data_dir = args.data_dir / "large" if args.large else args.data_dir
    datasets = load_datasets(data_dir)
    if not datasets:
        problem = "no .npz files in" if data_dir.is_dir() else "no folder"
        print(f"error: {problem} {data_dir}", file=sys.stderr)
        sys.exit(1)
    if args.quick:
        datasets = datasets[:2]
    run = Run(args)
    methods = {**skvae_and_sklearn_methods(), **pyod_methods()}

    start_all = time.perf_counter()
    results = []
    for name, X, y in datasets:
        X = StandardScaler().fit_transform(X)
        entry = {
            "name": name,
            "n_rows": int(X.shape[0]),
            "n_features": int(X.shape[1]),
            "outlier_fraction": float(y.mean()),
            "results": {},
        }
        for method, make in methods.items():
            runs = []
            for seed in args.seeds:
                try:
                    one = run_one(make, X, y, seed)
                except Exception as exc:  # one failure must not end the benchmark
                    one = {"seed": seed, "error": f"{type(exc).__name__}: {exc}"}
                    print(
                        f"{name:<16} {method:<28} seed={seed} FAILED {one['error']}",
                        flush=True,
                    )
                else:
                    print(
                        f"{name:<16} {method:<28} seed={seed} "
                        f"AUC={one['roc_auc']:.3f} AP={one['average_precision']:.3f} "
                        f"fit={one['fit_time_s']:.2f}s "
                        f"score={one['score_time_s']:.3f}s",
                        flush=True,
                    )
                runs.append(one)
            entry["results"][method] = runs
        results.append(entry)

    notes = []
    if not any(method.startswith("pyod") for method in methods):
        notes.append("pyod is not installed, so its VAE and AutoEncoder were not run.")
    means = summarise(results, methods, args.seeds)
    report = {
        "protocol": PROTOCOL,
        "seeds": args.seeds,
        "methods": list(methods),
        "notes": notes,
        "datasets": results,
        "means": means,
        "summary": target_row(means),
        "wall_time_s": time.perf_counter() - start_all,
    }
    print_summary(report)
    path = run.write("anomaly_large" if args.large else "anomaly", **report)
    path = path.with_suffix(".md")
    path.write_text(markdown(report, run))
    print(f"wrote {path}")
    return report["summary"]


if __name__ == "__main__":
    main()
