"""Training speed of skvae on small tables against a hand-written PyTorch loop.

Both train the same module (``skvae.nn.VAE`` with hidden layers (64, 32), a
2-D latent space and a Gaussian likelihood) with Adam at lr=1e-3 in batches of
128 on standardised rows. The hand-written loop is the lower bound: a shuffled
tensor cut into slices, one noise draw, the negative ELBO, a step. What skvae
adds on top is skorch's loop (callbacks, history) and the estimator's setup.
The two are timed interleaved in one process, since this host flips between
fast and slow modes.

Run from anywhere::

    python benchmarks/small_data.py

A standalone script: the test suite never imports or runs it.
"""

import argparse
import shlex
import statistics
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
from sklearn.datasets import load_digits

from skvae import VAETransformer
from skvae.nn import VAE

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO / "benchmarks" / "results" / "small_data.json"

LATENT_DIM = 2
HIDDEN_DIMS = (64, 32)
BATCH_SIZE = 128
LR = 1e-3
TARGET_EPOCH_RATIO = 1.5


def datasets():
    """The tables trained on: name -> float64 array."""
    gaussian = np.random.RandomState(0).standard_normal((500, 20))
    return {"digits (1797x64)": load_digits().data, "gaussian (500x20)": gaussian}


def fit_skvae(X, epochs):
    """Fit the estimator; return its per-epoch durations from the history."""
    estimator = VAETransformer(
        latent_dim=LATENT_DIM,
        hidden_dims=HIDDEN_DIMS,
        max_epochs=epochs,
        batch_size=BATCH_SIZE,
        lr=LR,
        random_state=0,
    ).fit(X)
    return [float(d) for d in estimator.history_[:, "dur"]]


def fit_reference(X, epochs):
    """Train the same module with a plain loop; return per-epoch durations."""
    torch.manual_seed(0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0  # the digits have constant (all-zero) pixels
    rows = torch.as_tensor((X - X.mean(axis=0)) / scale, dtype=torch.float32)
    module = VAE(X.shape[1], LATENT_DIM, hidden_dims=HIDDEN_DIMS, likelihood="gaussian")
    module.train()
    optimizer = torch.optim.Adam(module.parameters(), lr=LR)
    return [reference_epoch(module, optimizer, rows, BATCH_SIZE) for _ in range(epochs)]


def summarise(name, X, runs):
    """Table row and JSON summary of one dataset's interleaved runs."""
    batches = -(-len(X) // BATCH_SIZE)
    medians = {m: [epoch_median(r["value"]) for r in runs[m]] for m in runs}
    fits = {m: [r["seconds"] for r in runs[m]] for m in runs}
    ref_epoch, vae_epoch = min(medians["reference"]), min(medians["skvae"])
    ref_fit, vae_fit = min(fits["reference"]), min(fits["skvae"])
    paired = [
        v / r for v, r in zip(medians["skvae"], medians["reference"], strict=True)
    ]
    summary = {
        "batches_per_epoch": batches,
        "reference_epoch_s": ref_epoch,
        "skvae_epoch_s": vae_epoch,
        "epoch_ratio": vae_epoch / ref_epoch,
        "epoch_ratio_per_round": paired,
        "reference_fit_s": ref_fit,
        "skvae_fit_s": vae_fit,
        "fit_ratio": vae_fit / ref_fit,
        "overhead_per_batch_us": (vae_epoch - ref_epoch) / batches * 1e6,
        "epoch_ratio_target": TARGET_EPOCH_RATIO,
        "meets_target": vae_epoch / ref_epoch <= TARGET_EPOCH_RATIO,
    }
    row = {
        "dataset": name,
        "batches": batches,
        "ref ms/epoch": ref_epoch * 1e3,
        "skvae ms/epoch": vae_epoch * 1e3,
        "epoch ratio": summary["epoch_ratio"],
        "paired (median)": statistics.median(paired),
        "ref fit s": ref_fit,
        "skvae fit s": vae_fit,
        "fit ratio": summary["fit_ratio"],
        "overhead us/batch": summary["overhead_per_batch_us"],
        "<= 1.5": "yes" if summary["meets_target"] else "NO",
    }
    return row, summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    output = args.output if args.output.is_absolute() else REPO / args.output

    torch.set_num_threads(args.threads)
    info = machine()
    print("machine:", ", ".join(f"{k}={v}" for k, v in info.items()))
    print(
        f"{args.epochs} epochs, batch {BATCH_SIZE}, {args.repeats} interleaved "
        "rounds; per epoch: median over epochs 2.. of the best round; per fit: "
        "the fastest round (setup included)\n"
    )

    start = time.perf_counter()
    rows, results = [], {}
    for name, X in datasets().items():
        cases = {
            "reference": lambda X=X: fit_reference(X, args.epochs),
            "skvae": lambda X=X: fit_skvae(X, args.epochs),
        }
        runs = interleaved(cases, args.repeats)
        row, summary = summarise(name, X, runs)
        rows.append(row)
        results[name] = {
            "shape": list(X.shape),
            "summary": summary,
            "runs": {
                method: [
                    {"fit_s": r["seconds"], "epoch_s": r["value"]} for r in method_runs
                ]
                for method, method_runs in runs.items()
            },
        }
    ratio_table(rows)
    elapsed = time.perf_counter() - start

    write_json(
        output,
        {
            "benchmark": "small_data",
            "command": shlex.join([Path(sys.executable).name, *sys.argv]),
            "machine": info,
            "settings": {
                "epochs": args.epochs,
                "repeats": args.repeats,
                "threads": args.threads,
                "batch_size": BATCH_SIZE,
                "latent_dim": LATENT_DIM,
                "hidden_dims": list(HIDDEN_DIMS),
                "lr": LR,
            },
            "protocol": (
                "Per dataset, one untimed warm-up fit of each, then `repeats` "
                "rounds of (reference, skvae), the order reversed every other "
                "round. skvae epoch times are skorch's history 'dur'; the "
                "reference's are time.perf_counter around each epoch. fit_s is "
                "the wall time of the whole call: for skvae constructing and "
                "fitting the estimator, for the reference standardising, building "
                "the module and optimiser, and training. epoch ratio: best "
                "round's median epoch (epochs 2..) of skvae over the reference's; "
                "fit ratio: fastest skvae fit over fastest reference fit."
            ),
            "results": results,
            "elapsed_s": elapsed,
        },
    )
    print(f"\nwrote {output} ({elapsed:.0f} s)")
    return [
        summary_row(
            name,
            "epoch time skvae / reference",
            result["summary"]["epoch_ratio"],
            at_most=TARGET_EPOCH_RATIO,
        )
        for name, result in results.items()
    ]


if __name__ == "__main__":
    main()
