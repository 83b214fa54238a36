"""Scaling of skvae's training time with the number of rows, against a plain loop.

Trains ``VAETransformer`` (the defaults for a table: hidden layers (64, 32), a
2-D latent space, batches of 128, Adam at lr=1e-3; here with a Bernoulli
likelihood) for a few epochs on the first 10,000, 20,000 and 40,000 MNIST
training images (784 pixels in [0, 1]), and a hand-written PyTorch loop that
trains the same ``skvae.nn.VAE`` module with the same maths (a shuffled tensor
cut into slices, one noise draw, the negative ELBO, an Adam step) on the same
rows. An epoch should cost the same per row at every size: time per sample that
grows with the table means some step is worse than linear.

Measured, per method and size: the median epoch time over epochs 2..N (skorch's
history ``dur`` for skvae, ``time.perf_counter`` around each epoch for the
reference) divided by the number of rows, in the best round; the ratio of that
per-sample time at the largest size to the smallest (target: at most 1.2, i.e.
linear within noise); and skvae over the reference at each size. All six cases
(two methods times three sizes) run round-robin in one process, the order
reversed every other round, since this host flips between fast and slow modes.

Run from anywhere (MNIST is read from ``../shared/data/mnist`` next to the
repository root; nothing is downloaded)::

    python benchmarks/scaling.py            # 10k, 20k, 40k rows; 5 epochs
    python benchmarks/scaling.py --quick    # smoke test, under a minute

A standalone script: the test suite never imports or runs it.
"""

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch
from _harness import (
    epoch_median,
    interleaved,
    machine,
    ratio_table,
    reference_epoch,
    summary_row,
    write_json,
)

from skvae import VAETransformer
from skvae.datasets import fetch_mnist
from skvae.nn import VAE

REPO = Path(__file__).resolve().parent.parent
DATA_HOME = REPO.parent / "shared" / "data"
DEFAULT_OUTPUT = REPO / "benchmarks" / "results" / "scaling.json"

LATENT_DIM = 2
HIDDEN_DIMS = (64, 32)
LIKELIHOOD = "bernoulli"
BATCH_SIZE = 128
LR = 1e-3
TARGET_GROWTH = 1.2

PROTOCOL = (
    "The first n rows of the MNIST training images (float32, in [0, 1]) for each "
    "size n. One untimed warm-up round, then `repeats` rounds over all cases "
    "(skvae and the reference at every size), the order reversed every other "
    "round. skvae epoch times are skorch's history 'dur' of "
    "VAETransformer(likelihood='bernoulli', hidden_dims=(64, 32), latent_dim=2, "
    "batch_size=128, lr=1e-3).fit; the reference's are time.perf_counter around "
    "each epoch of a plain loop over the same skvae.nn.VAE module (randperm, "
    "slices of 128 rows, one randn draw, the negative ELBO, Adam at lr=1e-3). "
    "Per-sample time: the best round's median epoch (epochs 2..N) over n. "
    "growth: per-sample time at the largest size over the smallest; skvae / "
    "reference: the two per-sample times at the same size."
)


def load_rows(n_rows):
    """The first ``n_rows`` MNIST training images, float32 rows in [0, 1]."""
    X, _ = fetch_mnist(
        data_home=DATA_HOME,
        subset="train",
        download_if_missing=False,
        return_X_y=True,
    )
    return np.ascontiguousarray(X[:n_rows], dtype=np.float32)


def fit_skvae(X, epochs):
    """Fit the estimator; return its per-epoch durations from the history."""
    estimator = VAETransformer(
        latent_dim=LATENT_DIM,
        hidden_dims=HIDDEN_DIMS,
        likelihood=LIKELIHOOD,
        max_epochs=epochs,
        batch_size=BATCH_SIZE,
        lr=LR,
        random_state=0,
    ).fit(X)
    return [float(d) for d in estimator.history_[:, "dur"]]


def fit_reference(X, epochs):
    """Train the same module with a plain loop; return per-epoch durations."""
    torch.manual_seed(0)
    rows = torch.as_tensor(X)
    module = VAE(X.shape[1], LATENT_DIM, hidden_dims=HIDDEN_DIMS, likelihood=LIKELIHOOD)
    module.train()
    optimizer = torch.optim.Adam(module.parameters(), lr=LR)
    return [reference_epoch(module, optimizer, rows, BATCH_SIZE) for _ in range(epochs)]


def per_sample(runs, n_rows):
    """Best round's median epoch over ``n_rows``, and every round's, in seconds."""
    each = [epoch_median(run["value"]) / n_rows for run in runs]
    return min(each), each


def summarise(sizes, runs):
    """Per-size table rows, summary rows and the JSON summary."""
    best = {}
    table, summary = [], {"per_sample_s": {}, "per_sample_s_per_round": {}}
    for n in sizes:
        for method in ("reference", "skvae"):
            value, each = per_sample(runs[f"{method} {n}"], n)
            best[method, n] = value
            summary["per_sample_s"][f"{method} {n}"] = value
            summary["per_sample_s_per_round"][f"{method} {n}"] = each
        table.append(
            {
                "rows": n,
                "batches": -(-n // BATCH_SIZE),
                "ref us/sample": best["reference", n] * 1e6,
                "skvae us/sample": best["skvae", n] * 1e6,
                "ref ms/epoch": best["reference", n] * n * 1e3,
                "skvae ms/epoch": best["skvae", n] * n * 1e3,
                "skvae/ref": best["skvae", n] / best["reference", n],
            }
        )
    small, large = sizes[0], sizes[-1]
    rows = []
    for method in ("skvae", "reference"):
        growth = best[method, large] / best[method, small]
        summary[f"{method}_growth"] = growth
        rows.append(
            summary_row(
                f"scaling {method}",
                f"per-sample epoch time {large} rows / {small} rows",
                growth,
                at_most=TARGET_GROWTH,
            )
        )
    for n in sizes:
        rows.append(
            summary_row(
                f"scaling {n} rows",
                "per-sample epoch time skvae / reference",
                best["skvae", n] / best["reference", n],
            )
        )
    return table, rows, summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10_000, 20_000, 40_000]
    )
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds")
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 3 epochs, 1 round"
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.repeats = 3, 1
    output = args.output if args.output.is_absolute() else REPO / args.output
    sizes = sorted(args.sizes)

    torch.set_num_threads(args.threads)
    info = machine()
    print("machine:", ", ".join(f"{k}={v}" for k, v in info.items()))
    print(
        f"sizes {sizes}, {args.epochs} epochs, batch {BATCH_SIZE}, {args.repeats} "
        "interleaved rounds; per sample: best round's median epoch (epochs 2..) "
        "over the rows\n"
    )

    start = time.perf_counter()
    X = load_rows(sizes[-1])
    cases = {}
    for n in sizes:
        cases[f"reference {n}"] = lambda n=n: fit_reference(X[:n], args.epochs)
        cases[f"skvae {n}"] = lambda n=n: fit_skvae(X[:n], args.epochs)
    runs = interleaved(cases, args.repeats)
    table, rows, summary = summarise(sizes, runs)
    ratio_table(table)
    print()
    ratio_table(rows)
    elapsed = time.perf_counter() - start

    write_json(
        output,
        {
            "benchmark": "scaling",
            "command": shlex.join([Path(sys.executable).name, *sys.argv]),
            "machine": info,
            "settings": {
                "sizes": sizes,
                "epochs": args.epochs,
                "repeats": args.repeats,
                "threads": args.threads,
                "quick": args.quick,
                "data": "MNIST training images, first n rows, float32 in [0, 1]",
                "batch_size": BATCH_SIZE,
                "latent_dim": LATENT_DIM,
                "hidden_dims": list(HIDDEN_DIMS),
                "likelihood": LIKELIHOOD,
                "lr": LR,
            },
            "protocol": PROTOCOL,
            "summary": summary,
            "rows": rows,
            "runs": {
                name: [{"fit_s": r["seconds"], "epoch_s": r["value"]} for r in case]
                for name, case in runs.items()
            },
            "elapsed_s": elapsed,
        },
    )
    print(f"\nwrote {output} ({elapsed:.0f} s)")
    return rows


if __name__ == "__main__":
    main()
