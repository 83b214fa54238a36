"""Whole calls, as users time them: skvae against the loop they would write by hand.

Users do not time epochs: they time a whole ``fit`` (construction, setup, the
epochs and the work after them) and the first use of the package in a fresh
process, against the loop they would write themselves (issue 13). Each case
below is timed as whole calls, with ``time.perf_counter`` around the call.

- *fit, MNIST MLP*: the first 20,000 MNIST training images (float32 in [0, 1]),
  ``VAETransformer(latent_dim=20, hidden_dims=(400,), likelihood="bernoulli",
  binarize=True, max_epochs=3, batch_size=128, lr=1e-3)``; the hand loop seeds
  torch, builds the same ``skvae.nn.VAE`` (784-400-20, Bernoulli), a default
  ``torch.optim.Adam`` (no ``fused`` or ``foreach`` flags: what people write),
  holds the rows as one tensor and runs 3 epochs of a shuffled tensor cut into
  slices of 128, ``torch.bernoulli`` per batch, one noise draw, the negative
  ELBO and an Adam step (``_harness.reference_epoch``).
- *fit, MNIST conv*: the same with ``architecture="conv"``, ``image_shape=(1,
  28, 28)`` and the default conv layers, on 10,000 images for 2 epochs; the hand
  loop trains ``VAE(784, 20, encoder=ConvEncoder((1, 28, 28)),
  decoder=ConvDecoder(20, (1, 28, 28)))``, the module skvae builds (both made by
  ``mnist.py``'s ``make_estimator`` and ``make_module``).
- *fit, digits*: scikit-learn's digits (1797 x 64, float64),
  ``VAETransformer(max_epochs=30)`` with its defaults otherwise (Gaussian
  likelihood, hidden layers (64, 32), a 2-D latent space, batches of 128, Adam
  at lr=1e-3); the hand loop standardises the columns once in numpy (a constant
  column's scale is 1), makes a float32 tensor and trains ``skvae.nn.VAE(64, 2,
  hidden_dims=(64, 32))`` without its standardising layer, with a default Adam
  (``small_data.py``'s ``fit_reference``). One torch thread (``--digits-threads``):
  a second gains nothing on a model this small; the MNIST cases use two
  (``--threads``). Both fits run with ``device="cpu"``, which is what
  ``device="auto"`` picks on a machine without a GPU.

For each fit case the two calls run round-robin in one process (the host flips
between fast and slow modes): one untimed warm-up round, then ``--repeats``
rounds, the order reversed every other round. The judged figure is the median
over rounds of skvae's time over the hand loop's in the same round, against
``TARGETS["fit_mnist_mlp"]``, ``["fit_mnist_conv"]`` and ``["fit_digits"]``;
the ratio of the fastest rounds is shown too.

- *first use*: two fresh Python processes (``sys.executable -c``). One runs
  ``import numpy as np; from skvae import VAETransformer`` and
  ``VAETransformer(max_epochs=5, random_state=0).fit(X)`` on
  ``np.random.RandomState(0).randn(300, 20)``. The other imports numpy, torch,
  scikit-learn and skorch (the libraries skvae loads, so the ratio is skvae's
  own cost), never skvae, and trains the same network by hand for 5 epochs in
  plain ``torch.nn``: standardise with numpy, encoder 20-64-32 (ReLU) with linear
  heads to the posterior mean and log-variance (2 each), decoder 2-32-64-20 and
  a learned log standard deviation per feature (the parameter count of skvae's
  default MLP VAE, checked), the Gaussian negative log-likelihood plus the KL,
  default Adam at lr=1e-3, batches of 128. Torch keeps its default threads in
  both. The parent times each process's wall clock (interpreter start, imports,
  fit and exit), alternating the two for ``--first-use-rounds`` rounds (no
  warm-up: the parent has imported the same packages, so their files are in
  the page cache); each child also reports its import and fit times. Judged:
  median over rounds of skvae's wall time over the hand script's
  (``TARGETS["first_use"]``).

- *peak memory* (information, no target): each of four whole calls in a fresh
  process (this script with ``--memory-child``): the MNIST MLP fit above, skvae
  and hand loop; and ``transform`` of 500,000 float32 rows of 64 standard normal
  features by a default ``VAETransformer`` fitted for one epoch on 2,000 rows
  (``inference.py``'s table model), against the hand loop over 1024-row chunks
  under ``torch.inference_mode()`` into a preallocated numpy array
  (``inference.py``'s reference). The transform children call once on 1,000 rows
  first, as ``inference.py`` does; the fit children measure the first fit of
  the process. Reported in MiB: the resident set after imports and data
  (baseline), the peak resident set during the call (``VmHWM``, reset to the
  baseline just before it through ``/proc/self/clear_refs``; without that, the
  peak over the process's life), the peak minus the baseline, and skvae's over
  the hand loop's.

Run from anywhere (MNIST is read from ``../shared/data/mnist`` next to the
repository root; nothing is downloaded)::

    python benchmarks/whole_calls.py            # a few minutes on 2 cores
    python benchmarks/whole_calls.py --quick    # smoke test, a minute or two
    python benchmarks/whole_calls.py --only first_use memory

A standalone script: the test suite never imports or runs it.
"""

import argparse
import gc
import json
import statistics
import sys
from pathlib import Path

import numpy as np
import torch
from _harness import (
    DATA_HOME,
    TARGETS,
    Run,
    child_json,
    interleaved,
    make_parser,
    parse_args,
    peak_rss_kib,
    per_round,
    protocol_of,
    ratio_table,
    reference_epoch,
    reset_peak_rss,
    status_kib,
    summary_row,
    yes_no,
)
from inference import HAND_CHUNK_ROWS, fit_model, reference_maps
from mnist import BATCH_SIZE, LR, make_estimator, make_module
from sklearn.base import clone
from sklearn.datasets import load_digits
from small_data import MODEL, fit_reference

from skvae import VAETransformer
from skvae.datasets import fetch_mnist

CASES = ("fit_mnist_mlp", "fit_mnist_conv", "fit_digits", "first_use", "memory")
MEMORY_CASES = ("fit-hand", "fit-skvae", "transform-hand", "transform-skvae")
KIB_PER_MIB = 1024

# The first use of each side, run with ``python -c``. Both print a JSON line.
SKVAE_FIRST_USE = """
import json
import time

start = time.perf_counter()
import numpy as np
from skvae import VAETransformer

imported = time.perf_counter()
X = np.random.RandomState(0).randn(300, 20)
estimator = VAETransformer(max_epochs=5, random_state=0).fit(X)
fitted = time.perf_counter()

import torch

report = {
    "import_s": imported - start,
    "fit_s": fitted - imported,
    "parameters": sum(p.numel() for p in estimator.module_.parameters()),
    "threads": torch.get_num_threads(),
}
print(json.dumps(report))
"""

RAW_FIRST_USE = """
import json
import math
import sys
import time

start = time.perf_counter()
import numpy as np
import sklearn
import skorch
import torch
from torch import nn

imported = time.perf_counter()
X = np.random.RandomState(0).randn(300, 20)
scale = X.std(axis=0)
scale[scale == 0] = 1.0
rows = torch.as_tensor((X - X.mean(axis=0)) / scale, dtype=torch.float32)

torch.manual_seed(0)
encoder = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
mean_head, logvar_head = nn.Linear(32, 2), nn.Linear(32, 2)
decoder = nn.Sequential(
    nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 20)
)
log_scale = nn.Parameter(torch.zeros(20))
parameters = [
    *encoder.parameters(),
    *mean_head.parameters(),
    *logvar_head.parameters(),
    *decoder.parameters(),
    log_scale,
]
optimizer = torch.optim.Adam(parameters, lr=1e-3)
for _ in range(5):
    for x in rows[torch.randperm(len(rows))].split(128):
        h = encoder(x)
        mean, logvar = mean_head(h), logvar_head(h)
        z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
        loc = decoder(z)
        nll = (
            0.5 * ((x - loc) / log_scale.exp()) ** 2
            + log_scale
            + 0.5 * math.log(2 * math.pi)
        )
        kl = 0.5 * (mean**2 + logvar.exp() - 1 - logvar)
        loss = (nll.sum(1) + kl.sum(1)).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
fitted = time.perf_counter()

report = {
    "import_s": imported - start,
    "fit_s": fitted - imported,
    "parameters": sum(p.numel() for p in parameters),
    "threads": torch.get_num_threads(),
    "skvae_imported": "skvae" in sys.modules,
}
print(json.dumps(report))
"""


# -- the whole calls --------------------------------------------------------------


def load_mnist(n_rows, synthetic=False):
    """The first ``n_rows`` MNIST training images, float32 in [0, 1].

    ``synthetic``: uniform [0, 1] rows of the same shape instead, for machines
    without the MNIST files (the speed of these networks does not depend on the
    pixel values).
    """
    if synthetic:
        return np.random.default_rng(0).random((n_rows, 784), dtype=np.float32)
    X, _ = fetch_mnist(
        data_home=DATA_HOME, subset="train", download_if_missing=False, return_X_y=True
    )
    return X[:n_rows].astype(np.float32)


def skvae_fit(estimator, X):
    """``estimator.fit(X)``, keeping nothing (the fitted models pile up otherwise)."""
    estimator.fit(X)


def hand_fit(X, architecture, epochs, seed, device="cpu"):
    """The MNIST loop a person writes around ``skvae.nn.VAE``, as one call.

    The rows are moved to ``device`` once, inside the call.
    """
    torch.manual_seed(seed)
    # A Bernoulli module has no standardising layer: it reads [0, 1] as it is.
    vae = make_module(architecture).to(device)
    optimizer = torch.optim.Adam(vae.parameters(), lr=LR)
    rows = torch.as_tensor(X, device=device)
    for _ in range(epochs):
        reference_epoch(vae, optimizer, rows, BATCH_SIZE, binarize=True)


def check_digits_defaults():
    """The digits hand loop trains with skvae's defaults; fail if they moved."""
    defaults = VAETransformer().get_params()
    # hidden_dims="auto" is (64, 32) for the MLP, the hand loop's MODEL.
    used = {key: defaults[key] for key in ("latent_dim", "batch_size", "lr")}
    if defaults["hidden_dims"] != "auto" or used != {k: MODEL[k] for k in used}:
        raise RuntimeError(
            f"skvae's defaults {defaults} no longer match the hand loop's {MODEL}"
        )


def fit_calls(name, args, mnist):
    """A fit case: its label, torch threads and the two whole calls."""
    seed = args.seed
    if name == "fit_digits":
        X, epochs = load_digits().data, args.digits_epochs
        calls = {
            "hand": lambda: fit_reference(X, epochs, seed),
            "skvae": lambda: skvae_fit(
                VAETransformer(max_epochs=epochs, device="cpu", random_state=seed), X
            ),
        }
        return f"digits fit (1797x64, {epochs} epochs)", args.digits_threads, calls
    architecture = {"fit_mnist_mlp": "mlp", "fit_mnist_conv": "conv"}[name]
    n_rows, epochs = {
        "mlp": (args.mlp_rows, args.mlp_epochs),
        "conv": (args.conv_rows, args.conv_epochs),
    }[architecture]
    X = mnist[:n_rows]
    device = args.device
    estimator = make_estimator(architecture, epochs, None, seed)
    calls = {
        "hand": lambda: hand_fit(X, architecture, epochs, seed, device),
        "skvae": lambda: skvae_fit(clone(estimator).set_params(device=device), X),
    }
    data = "synthetic MNIST-shaped" if args.synthetic else "MNIST"
    label = f"{data} {architecture} fit ({n_rows} rows, {epochs} epochs, {device})"
    return label, args.threads, calls


def time_fit(calls, threads, repeats):
    """Seconds of each whole call per round, interleaved on ``threads`` threads."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        runs = interleaved(calls, repeats)
    finally:
        torch.set_num_threads(previous)
    return {method: [run["seconds"] for run in runs[method]] for method in runs}


def judge(name, label, threads, seconds):
    """Table row, summary rows and JSON record of one case's rounds."""
    target = TARGETS[name]
    ratios = per_round(seconds["skvae"], seconds["hand"])
    ratio = statistics.median(ratios)
    fastest = min(seconds["skvae"]) / min(seconds["hand"])
    record = {
        "label": label,
        "threads": threads,
        "seconds": seconds,
        "ratio_per_round": ratios,
        "ratio": ratio,
        "fastest_ratio": fastest,
        "target": str(target),
        "meets_target": target.met(ratio),
    }
    row = {
        "case": label,
        "threads": threads,
        "hand s (fastest)": min(seconds["hand"]),
        "skvae s (fastest)": min(seconds["skvae"]),
        "ratio (median per round)": ratio,
        "ratio of fastest": fastest,
        "target": str(target),
        "met": yes_no(record["meets_target"]),
    }
    summary = [
        summary_row(label, "whole call skvae / hand (median per round)", ratio, name),
        summary_row(label, "whole call skvae / hand (fastest rounds)", fastest),
    ]
    return row, summary, record


# -- first use in a fresh process ---------------------------------------------------


def first_use(rounds):
    """Wall time and self-reports of the two first-use scripts, alternated."""
    commands = {
        "hand": [sys.executable, "-c", RAW_FIRST_USE],
        "skvae": [sys.executable, "-c", SKVAE_FIRST_USE],
    }
    cases = {name: lambda c=c: child_json(c) for name, c in commands.items()}
    runs = interleaved(cases, rounds, warmup=0)
    reports = {name: [run["value"] for run in runs[name]] for name in runs}
    if reports["hand"][0]["skvae_imported"]:
        raise RuntimeError("the hand-written first-use script imported skvae")
    counts = {name: reports[name][0]["parameters"] for name in reports}
    if counts["hand"] != counts["skvae"]:
        raise RuntimeError(f"the two first-use networks differ in size: {counts}")
    seconds = {name: [run["seconds"] for run in runs[name]] for name in runs}
    return seconds, reports


def first_use_row(name, seconds, reports):
    """What one first-use script spent, median over rounds."""
    wall = statistics.median(seconds)
    imports = statistics.median(report["import_s"] for report in reports)
    fit = statistics.median(report["fit_s"] for report in reports)
    return {
        "process": name,
        "wall s": wall,
        "import s": imports,
        "fit s": fit,
        "rest s (start, exit)": wall - imports - fit,
        "parameters": reports[0]["parameters"],
        "threads": reports[0]["threads"],
    }


# -- peak memory ------------------------------------------------------------------


def measure_memory(args):
    """Peak memory of each of ``MEMORY_CASES``, each in a fresh process."""
    script = [sys.executable, str(Path(__file__).resolve())]
    options = [f"--mlp-rows={args.mlp_rows}", f"--mlp-epochs={args.mlp_epochs}"]
    options += [f"--memory-rows={args.memory_rows}", f"--threads={args.threads}"]
    options += [f"--seed={args.seed}"]
    return {
        case: child_json([*script, "--memory-child", case, *options])
        for case in MEMORY_CASES
    }


def prepare_memory_call(case, args):
    """Data loaded (and model fitted) for one memory case; its rows and whole call."""
    task, method = case.split("-")
    seed = args.seed
    if task == "fit":
        X = load_mnist(args.mlp_rows)
        if method == "hand":
            return len(X), lambda: hand_fit(X, "mlp", args.mlp_epochs, seed)
        return len(X), lambda: skvae_fit(
            make_estimator("mlp", args.mlp_epochs, None, seed), X
        )
    estimator, make_rows = fit_model("table", 2000, seed)
    X = make_rows(np.random.default_rng(2), args.memory_rows)
    if method == "hand":
        hand_transform = reference_maps(estimator, HAND_CHUNK_ROWS)["transform"]

        def transform(rows):
            return hand_transform(torch.from_numpy(rows))

    else:
        transform = estimator.transform
    transform(X[:1000])  # threads and lazy state come to life outside the measure
    return len(X), lambda: transform(X)


def memory_child(case, args):
    """Baseline and peak resident set of one whole call (in the child)."""
    n_rows, call = prepare_memory_call(case, args)
    gc.collect()
    reset = reset_peak_rss()
    baseline = status_kib("VmRSS")
    call()
    peak = peak_rss_kib(reset)
    return {
        "case": case,
        "rows": n_rows,
        "peak_reset": reset,
        "baseline_mib": baseline / KIB_PER_MIB,
        "peak_mib": peak / KIB_PER_MIB,
        "extra_mib": (peak - baseline) / KIB_PER_MIB,
    }


def memory_rows(results):
    """Table rows and summary rows of the memory children, hand beside skvae."""
    table, summary = [], []
    for task, label in (("fit", "MNIST mlp fit"), ("transform", "transform")):
        hand, ours = results[f"{task}-hand"], results[f"{task}-skvae"]
        extra_ratio = ours["extra_mib"] / hand["extra_mib"]
        table.append(
            {
                "call": label,
                "rows": ours["rows"],
                "hand base MiB": hand["baseline_mib"],
                "hand peak MiB": hand["peak_mib"],
                "hand extra MiB": hand["extra_mib"],
                "skvae base MiB": ours["baseline_mib"],
                "skvae peak MiB": ours["peak_mib"],
                "skvae extra MiB": ours["extra_mib"],
                "extra skvae / hand": extra_ratio,
                "peak skvae / hand": ours["peak_mib"] / hand["peak_mib"],
            }
        )
        summary.append(
            summary_row(
                f"peak memory, {label} ({ours['rows']} rows)",
                f"MiB beyond baseline skvae / hand ({ours['extra_mib']:.0f} / "
                f"{hand['extra_mib']:.0f})",
                extra_ratio,
            )
        )
    return table, summary


# -- the script ---------------------------------------------------------------------


def main(argv=None):
    parser = make_parser(__doc__, threads=2, repeats=5)
    parser.add_argument("--only", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--mlp-rows", type=int, default=20_000)
    parser.add_argument("--mlp-epochs", type=int, default=3)
    parser.add_argument("--conv-rows", type=int, default=10_000)
    parser.add_argument("--conv-epochs", type=int, default=2)
    parser.add_argument("--digits-epochs", type=int, default=30)
    parser.add_argument(
        "--device",
        default="cpu",
        help="torch device of the MNIST fit cases, e.g. cuda (both loops)",
    )
    parser.add_argument(
        "--synthetic",
        action="store_true",
        help="uniform [0, 1] rows of MNIST's shape instead of the MNIST files",
    )
    parser.add_argument(
        "--digits-threads",
        type=int,
        default=1,
        help="torch threads of the digits case (the MNIST cases use --threads)",
    )
    parser.add_argument("--first-use-rounds", type=int, default=7)
    parser.add_argument(
        "--memory-rows", type=int, default=500_000, help="rows of the transform"
    )
    parser.add_argument("--memory-child", choices=MEMORY_CASES, help=argparse.SUPPRESS)
    quick = {
        "repeats": 2,
        "mlp_rows": 2000,
        "conv_rows": 1000,
        "conv_epochs": 1,
        "digits_epochs": 5,
        "first_use_rounds": 2,
        "memory_rows": 50_000,
    }
    args = parse_args(parser, argv, quick=quick)
    run = Run(args)
    if args.memory_child:
        print(json.dumps(memory_child(args.memory_child, args)))
        return []
    check_digits_defaults()
    print(
        f"whole calls, {args.repeats} interleaved rounds after a warm-up (first "
        f"use: {args.first_use_rounds} rounds of fresh processes); ratio = median "
        "over rounds of skvae / hand in the same round\n"
    )

    table, summaries, results = [], [], {}
    fits = [name for name in CASES if name.startswith("fit_") and name in args.only]
    mnist_rows = [args.mlp_rows] * ("fit_mnist_mlp" in fits)
    mnist_rows += [args.conv_rows] * ("fit_mnist_conv" in fits)
    mnist = load_mnist(max(mnist_rows), args.synthetic) if mnist_rows else None
    for name in fits:
        label, threads, calls = fit_calls(name, args, mnist)
        seconds = time_fit(calls, threads, args.repeats)
        row, summary, results[name] = judge(name, label, threads, seconds)
        table.append(row)
        summaries += summary
        print(f"{label}: {row['ratio (median per round)']:.3f}", flush=True)

    first_use_table = None
    if "first_use" in args.only:
        seconds, reports = first_use(args.first_use_rounds)
        label = "first use (fresh process, 300x20, 5 epochs)"
        threads = reports["skvae"][0]["threads"]
        row, summary, results["first_use"] = judge("first_use", label, threads, seconds)
        results["first_use"]["reports"] = reports
        table.append(row)
        summaries += summary
        first_use_table = [
            first_use_row(name, seconds[name], reports[name]) for name in seconds
        ]
    if table:
        print()
        ratio_table(table)
    if first_use_table:
        print("\nfirst use, median over rounds (import, fit: the child's clock)\n")
        ratio_table(first_use_table)

    if "memory" in args.only:
        results["memory"] = measure_memory(args)
        memory_table, summary = memory_rows(results["memory"])
        summaries += summary
        print("\npeak memory of one whole call in a fresh process (MiB)\n")
        ratio_table(memory_table)

    suffix = "" if args.device == "cpu" else f"_{args.device.replace(':', '')}"
    run.write(
        f"whole_calls{suffix}",
        protocol=protocol_of(__doc__),
        results=results,
        summary=summaries,
    )
    return summaries


if __name__ == "__main__":
    main()
