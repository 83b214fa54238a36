"""Model files: ``skvae.save`` / ``skvae.load`` against pickle and joblib.

``skvae.save`` writes a zip of a JSON config and safetensors tensors (the
scikit-learn steps of a pipeline as ``skops.io`` members), and ``skvae.load``
checks it before building anything: what does that cost against the pickle a
person would otherwise write? The README's models, fitted as the README fits them:

- *quickstart VAE* and *quickstart pipeline*: ``Pipeline([("scale",
  StandardScaler()), ("vae", VAETransformer(latent_dim=2, random_state=0))])``
  fitted on the quickstart's 300 x 8 factor data (``max_epochs="auto"``); the
  VAE step saved on its own, and the whole pipeline (its scaler a skops member);
- *digits detector*: ``AutoencoderOutlierDetector(VAETransformer(latent_dim=8,
  max_epochs=50), random_state=0)`` fitted on scikit-learn's digits, every digit
  but 7 of the first 1500 rows;
- *MNIST conv VAE*: ``VAETransformer(latent_dim=2, architecture="conv",
  image_shape=(1, 28, 28), likelihood="bernoulli", validation_fraction=0.1,
  random_state=0)``, fitted for one epoch on the first ``--mnist-rows`` MNIST
  training images (read from ``../shared/data/mnist`` next to the repository;
  uniform [0, 1] rows of 784 columns where the files are missing): its file's
  size depends on the architecture, not on the training.

``--epochs`` replaces the first three models' ``max_epochs`` (``--quick`` trains
2 epochs). Training length changes the files a little: both formats keep the
per-epoch rows of ``history_``, and pickle its per-batch records too.

Measured for each model, with ``time.perf_counter`` around the whole call:

- *size*: the bytes of the ``skvae.save`` file, of ``pickle.dumps(model,
  protocol=pickle.HIGHEST_PROTOCOL)`` and of the ``joblib.dump(model, path)``
  file (joblib's defaults: no compression);
- *save*: ``skvae.save(model, path)``, ``pickle.dump`` into a file opened for
  writing (highest protocol) and ``joblib.dump(model, path)``;
- *load*: ``skvae.load(path)``, ``pickle.load(open(path, "rb"))`` (in a ``with``
  block) and ``joblib.load(path)``, from files in a temporary folder (in the page
  cache: disk reads are not timed).

Each model's three saves, then its three loads, run round-robin in one process
(the host flips between fast and slow modes): one untimed warm-up round, then
``--repeats`` rounds, the order reversed every other round. Figures are the
fastest round of each call, and skvae's over pickle's is the ratio reported (the
median over rounds of the same ratio in each round is shown too). Every loaded
model is checked to give the numbers of the one saved (``transform``, or the
detector's ``score_samples``) before anything is timed.

*First load in a fresh process*: a child Python process (``sys.executable -c``)
imports skvae (and pickle), then loads the file once: ``skvae.load(path)`` in
one child, ``pickle.load`` of the pickle file in the other. The child times the
load call itself, after its imports (the first call of the process: lazy
imports such as skops for a pipeline, torch's first operations), and reports
it, with its import time; the parent also times each child from start to exit.
The two children alternate for ``--fresh-rounds`` rounds per model (the models
of ``--fresh``; ``--quick``: the quickstart VAE only), no warm-up; figures are
medians over rounds.

Information only: no target. In one process both formats load these models in
milliseconds, which no user feels; what a user feels is the first load of a fresh
process (a script or ``skvae anomaly score``), against the seconds of importing
torch that both formats pay, so the fresh children's wall times are reported too.

Run from anywhere::

    python benchmarks/persist.py            # about three minutes on 2 cores
    python benchmarks/persist.py --quick    # smoke test, about 20 s
    python benchmarks/persist.py --only digits_detector mnist_conv

A standalone script: the test suite never imports or runs it.
"""

import os
import pickle
import statistics
import sys
import tempfile
from pathlib import Path

import joblib
import numpy as np
from _harness import (
    DATA_HOME,
    Run,
    child_json,
    interleaved,
    make_parser,
    parse_args,
    per_round,
    protocol_of,
    ratio_table,
    summary_row,
)
from sklearn.datasets import load_digits
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import skvae
from skvae import AutoencoderOutlierDetector, VAETransformer
from skvae.datasets import fetch_mnist

MODELS = {
    "quickstart_vae": "quickstart VAE (300x8, latent 2)",
    "quickstart_pipeline": "quickstart pipeline (scaler + VAE)",
    "digits_detector": "digits detector (VAE latent 8)",
    "mnist_conv": "MNIST conv VAE (latent 2)",
}
FORMATS = ("skvae", "pickle", "joblib")
SUFFIX = {"skvae": ".skvae", "pickle": ".pkl", "joblib": ".joblib"}
KIB = 1024

# One load in a fresh process: imports first, then the timed call; a JSON line.
FRESH_LOAD = """
import json
import sys
import time

start = time.perf_counter()
import pickle

import skvae

imported = time.perf_counter()
kind, path = sys.argv[1:3]
if kind == "skvae":
    model = skvae.load(path)
else:
    with open(path, "rb") as file:
        model = pickle.load(file)
loaded = time.perf_counter()
print(json.dumps({
    "import_s": imported - start,
    "load_s": loaded - imported,
    "type": type(model).__name__,
}))
"""


# -- the models -------------------------------------------------------------------


def quickstart_data():
    """The quickstart's 300 x 8 rows: two factors plus noise."""
    rng = np.random.RandomState(0)
    signal = rng.normal(size=(300, 2)) @ rng.normal(size=(2, 8))
    return signal + 0.3 * rng.normal(size=(300, 8))


def mnist_rows(n_rows):
    """The first ``n_rows`` MNIST training images, or uniform rows of their shape."""
    try:
        X, _ = fetch_mnist(
            data_home=DATA_HOME,
            subset="train",
            download_if_missing=False,
            return_X_y=True,
        )
    except OSError:  # no files here (nothing is downloaded)
        rows = np.random.default_rng(0).random((n_rows, 784), dtype=np.float32)
        return rows, "uniform [0, 1] rows (no MNIST files)"
    return X[:n_rows].astype(np.float32), "MNIST"


def fit_models(names, args):
    """Each model of ``names``, fitted, with the rows its check is computed on.

    Returns ``{name: (model, check rows, method of the check)}`` and what the
    MNIST model was fitted on.
    """
    epochs = {} if args.epochs is None else {"max_epochs": args.epochs}
    models, mnist_data = {}, None
    if {"quickstart_vae", "quickstart_pipeline"} & set(names):
        X = quickstart_data()
        vae = VAETransformer(latent_dim=2, random_state=0, **epochs)
        pipe = Pipeline([("scale", StandardScaler()), ("vae", vae)]).fit(X)
        models["quickstart_vae"] = (pipe.named_steps["vae"], pipe[:-1].transform(X))
        models["quickstart_pipeline"] = (pipe, X)
    if "digits_detector" in names:
        X, y = load_digits(return_X_y=True)
        train = X[:1500][y[:1500] != 7]
        vae = VAETransformer(latent_dim=8, max_epochs=50)
        detector = AutoencoderOutlierDetector(vae.set_params(**epochs), random_state=0)
        models["digits_detector"] = (detector.fit(train), X[1500:])
    if "mnist_conv" in names:
        X, mnist_data = mnist_rows(args.mnist_rows)
        vae = VAETransformer(
            latent_dim=2,
            architecture="conv",
            image_shape=(1, 28, 28),
            likelihood="bernoulli",
            max_epochs=1,
            validation_fraction=0.1,
            random_state=0,
        )
        models["mnist_conv"] = (vae.fit(X), X[:100])
    return {name: models[name] for name in names}, mnist_data


def outputs(model, X):
    """What the check compares: scores of a detector, codes of the rest."""
    if isinstance(model, AutoencoderOutlierDetector):
        return model.score_samples(X)
    return model.transform(X)


def n_parameters(model):
    """Parameters of the model's torch module (the pipeline's and detector's VAE)."""
    if isinstance(model, Pipeline):
        model = model[-1]
    if isinstance(model, AutoencoderOutlierDetector):
        model = model.estimator_
    return sum(p.numel() for p in model.module_.parameters())


# -- saving and loading ------------------------------------------------------------


def saver(kind, model, path):
    """The whole save call of format ``kind``."""
    if kind == "skvae":
        return lambda: skvae.save(model, path)
    if kind == "pickle":

        def dump():
            with open(path, "wb") as file:
                pickle.dump(model, file, protocol=pickle.HIGHEST_PROTOCOL)

        return dump
    return lambda: _discard(joblib.dump(model, path))


def loader(kind, path):
    """The whole load call of format ``kind``; keeps nothing it loads."""
    if kind == "skvae":
        return lambda: _discard(skvae.load(path))
    if kind == "pickle":

        def load():
            with open(path, "rb") as file:
                _discard(pickle.load(file))

        return load
    return lambda: _discard(joblib.load(path))


def _discard(value):
    return None


def load_back(kind, path):
    """The model in ``path``, loaded as format ``kind``."""
    if kind == "skvae":
        return skvae.load(path)
    if kind == "pickle":
        with open(path, "rb") as file:
            return pickle.load(file)
    return joblib.load(path)


def measure_model(name, model, X, folder, args):
    """Sizes, saves and loads of one model, the three formats interleaved."""
    paths = {kind: str(Path(folder) / f"{name}{SUFFIX[kind]}") for kind in FORMATS}
    for kind in FORMATS:  # the files, and a check that each loads back the model
        saver(kind, model, paths[kind])()
    expected = outputs(model, X)
    for kind in FORMATS:
        if not np.array_equal(outputs(load_back(kind, paths[kind]), X), expected):
            raise RuntimeError(f"{name}: the {kind} file loads a different model")
    sizes = {kind: os.path.getsize(paths[kind]) for kind in FORMATS}
    dumped = len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    if dumped != sizes["pickle"]:
        raise RuntimeError(f"{name}: pickle.dumps and pickle.dump sizes differ")
    saves = {kind: saver(kind, model, paths[kind]) for kind in FORMATS}
    loads = {kind: loader(kind, paths[kind]) for kind in FORMATS}
    seconds = {}
    for call, cases in (("save", saves), ("load", loads)):
        runs = interleaved(cases, args.repeats)
        seconds[call] = {kind: [run["seconds"] for run in runs[kind]] for kind in runs}
    return {
        "parameters": n_parameters(model),
        "bytes": sizes,
        "seconds": seconds,
        "paths": paths,
    }


def fresh_loads(paths, rounds):
    """First loads in fresh processes: the children's reports, alternated."""
    cases = {
        kind: lambda kind=kind: child_json(
            [sys.executable, "-c", FRESH_LOAD, kind, paths[kind]]
        )
        for kind in ("skvae", "pickle")
    }
    runs = interleaved(cases, rounds, warmup=0)
    return {
        kind: [{**run["value"], "wall_s": run["seconds"]} for run in runs[kind]]
        for kind in runs
    }


# -- the tables ----------------------------------------------------------------------


def summarise(result):
    """Figures of one model: fastest calls, ratios to pickle, fresh-process loads."""
    summary = {"bytes": result["bytes"]}
    summary["size_ratio"] = result["bytes"]["skvae"] / result["bytes"]["pickle"]
    for call in ("save", "load"):
        seconds = result["seconds"][call]
        summary[f"{call}_s"] = {kind: min(times) for kind, times in seconds.items()}
        summary[f"{call}_ratio"] = min(seconds["skvae"]) / min(seconds["pickle"])
        paired = per_round(seconds["skvae"], seconds["pickle"])
        summary[f"{call}_ratio_median_per_round"] = statistics.median(paired)
    fresh = result.get("fresh")
    if fresh:
        median = {
            kind: {
                key: statistics.median(report[key] for report in reports)
                for key in ("import_s", "load_s", "wall_s")
            }
            for kind, reports in fresh.items()
        }
        summary["fresh"] = median
        summary["fresh_load_ratio"] = (
            median["skvae"]["load_s"] / median["pickle"]["load_s"]
        )
        summary["fresh_wall_ratio"] = (
            median["skvae"]["wall_s"] / median["pickle"]["wall_s"]
        )
    return summary


def tables(summaries):
    """Print the size, load, save and fresh-process tables."""
    ms = 1e3
    print("\nfile size (KiB)\n")
    ratio_table(
        [
            {
                "model": MODELS[name],
                "parameters": s["parameters"],
                **{f"{kind} KiB": s["bytes"][kind] / KIB for kind in FORMATS},
                "skvae / pickle": s["size_ratio"],
            }
            for name, s in summaries.items()
        ]
    )
    for call in ("load", "save"):
        print(f"\n{call}, whole call, fastest round (ms)\n")
        ratio_table(
            [
                {
                    "model": MODELS[name],
                    **{f"{kind} ms": s[f"{call}_s"][kind] * ms for kind in FORMATS},
                    "skvae / pickle": s[f"{call}_ratio"],
                    "paired (median)": s[f"{call}_ratio_median_per_round"],
                }
                for name, s in summaries.items()
            ]
        )
    fresh = {name: s for name, s in summaries.items() if "fresh" in s}
    if fresh:
        print(
            "\nfirst load in a fresh process, median over rounds (load: the "
            "child's clock around the call, after its imports)\n"
        )
        ratio_table(
            [
                {
                    "model": MODELS[name],
                    "skvae.load ms": s["fresh"]["skvae"]["load_s"] * ms,
                    "pickle.load ms": s["fresh"]["pickle"]["load_s"] * ms,
                    "load skvae / pickle": s["fresh_load_ratio"],
                    "import s": s["fresh"]["skvae"]["import_s"],
                    "skvae child wall s": s["fresh"]["skvae"]["wall_s"],
                    "pickle child wall s": s["fresh"]["pickle"]["wall_s"],
                    "wall skvae / pickle": s["fresh_wall_ratio"],
                }
                for name, s in fresh.items()
            ]
        )


def summary_rows(name, s):
    """``run_all``'s rows of one model (information: no target)."""
    label = MODELS[name]
    bytes_ = s["bytes"]
    rows = [
        summary_row(
            label,
            f"file size skvae / pickle ({bytes_['skvae'] / KIB:.0f} / "
            f"{bytes_['pickle'] / KIB:.0f} KiB)",
            s["size_ratio"],
        ),
        summary_row(label, "load time skvae / pickle (fastest)", s["load_ratio"]),
        summary_row(label, "save time skvae / pickle (fastest)", s["save_ratio"]),
    ]
    if "fresh" in s:
        rows.append(
            summary_row(
                label,
                "first load in a fresh process skvae / pickle (median)",
                s["fresh_load_ratio"],
            )
        )
        rows.append(
            summary_row(
                label,
                "fresh process wall time, skvae.load / pickle.load child (median)",
                s["fresh_wall_ratio"],
            )
        )
    return rows


# -- the script ------------------------------------------------------------------------


def main(argv=None):
    parser = make_parser(__doc__, threads=2, repeats=20, seed=False)
    parser.add_argument("--only", nargs="+", choices=list(MODELS), default=None)
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="max_epochs of the quickstart and digits models (default: the "
        "README's, auto and 50)",
    )
    parser.add_argument("--mnist-rows", type=int, default=500)
    parser.add_argument(
        "--fresh-rounds",
        type=int,
        default=5,
        help="rounds of fresh-process loads per model (0: none)",
    )
    parser.add_argument(
        "--fresh",
        nargs="+",
        choices=list(MODELS),
        default=list(MODELS),
        help="the models also loaded in fresh processes (default: all)",
    )
    quick = {
        "repeats": 3,
        "epochs": 2,
        "mnist_rows": 200,
        "fresh_rounds": 1,
        "fresh": ["quickstart_vae"],
    }
    args = parse_args(parser, argv, quick=quick)
    names = args.only or list(MODELS)
    run = Run(args)
    models, mnist_data = fit_models(names, args)
    print(
        f"fitted {len(models)} models ({run.elapsed():.0f} s); {args.repeats} "
        "interleaved rounds after a warm-up; ratio = fastest skvae / fastest pickle"
    )

    results, summaries, rows = {}, {}, []
    with tempfile.TemporaryDirectory(prefix="skvae-persist-") as folder:
        for name, (model, X) in models.items():
            result = measure_model(name, model, X, folder, args)
            if args.fresh_rounds and name in args.fresh:
                result["fresh"] = fresh_loads(result["paths"], args.fresh_rounds)
            del result["paths"]  # a temporary folder: gone after the run
            results[name] = result
            summaries[name] = {"parameters": result["parameters"]}
            summaries[name].update(summarise(result))
            result["summary"] = summaries[name]
            rows += summary_rows(name, summaries[name])
            s = summaries[name]
            print(
                f"{MODELS[name]}: {s['bytes']['skvae'] / KIB:.0f} KiB vs pickle "
                f"{s['bytes']['pickle'] / KIB:.0f} KiB; load skvae / pickle "
                f"{s['load_ratio']:.2f}",
                flush=True,
            )
    tables(summaries)

    run.write(
        "persist",
        settings={
            "models": MODELS,
            "mnist_data": mnist_data,
            "joblib": joblib.__version__,
        },
        protocol=protocol_of(__doc__),
        results=results,
        summary=rows,
    )
    return rows


if __name__ == "__main__":
    main()
