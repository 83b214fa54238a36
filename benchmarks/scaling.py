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
per-sample time at the largest size to the smallest (``TARGETS["scaling"]``:
linear within noise); and skvae over the reference at each size
(``TARGETS["training"]``). All six cases
(two methods times three sizes) run round-robin in one process, the order
reversed every other round, since this host flips between fast and slow modes.

Run from anywhere (MNIST is read from ``../shared/data/mnist`` next to the
repository root; nothing is downloaded)::

    python benchmarks/scaling.py            # 10k, 20k, 40k rows; 5 epochs
    python benchmarks/scaling.py --quick    # smoke test, under a minute

A standalone script: the test suite never imports or runs it.
"""

import numpy as np
import torch
from _harness import (
    DATA_HOME,
    Run,
    epoch_median,
    interleaved,
    make_parser,
    parse_args,
    ratio_table,
    reference_epochs,
    skvae_epochs,
    summary_row,
)

from skvae.datasets import fetch_mnist

MODEL = {
    "latent_dim": 2,
    "hidden_dims": (64, 32),
    "likelihood": "bernoulli",
    "batch_size": 128,
    "lr": 1e-3,
}

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
                "batches": -(-n // MODEL["batch_size"]),
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
                "scaling",
            )
        )
    for n in sizes:
        rows.append(
            summary_row(
                f"scaling {n} rows",
                "per-sample epoch time skvae / reference",
                best["skvae", n] / best["reference", n],
                "training",
            )
        )
    return table, rows, summary


def main(argv=None):
    parser = make_parser(__doc__, threads=2, repeats=3)
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10_000, 20_000, 40_000]
    )
    parser.add_argument("--epochs", type=int, default=5)
    args = parse_args(parser, argv, quick={"epochs": 3, "repeats": 1})
    sizes = sorted(args.sizes)
    run = Run(args)
    print(
        f"sizes {sizes}, {args.epochs} epochs, batch {MODEL['batch_size']}, "
        f"{args.repeats} interleaved rounds; per sample: best round's median epoch "
        "(epochs 2..) over the rows\n"
    )

    X = load_rows(sizes[-1])
    rows = torch.as_tensor(X)
    cases = {}
    for n in sizes:
        cases[f"reference {n}"] = lambda n=n: reference_epochs(
            rows[:n], args.epochs, seed=args.seed, **MODEL
        )
        cases[f"skvae {n}"] = lambda n=n: skvae_epochs(
            X[:n], args.epochs, random_state=args.seed, **MODEL
        )
    runs = interleaved(cases, args.repeats)
    table, summary_rows, summary = summarise(sizes, runs)
    ratio_table(table)
    print()
    ratio_table(summary_rows)
    run.write(
        "scaling",
        settings={
            "data": "MNIST training images, first n rows, float32 in [0, 1]",
            **MODEL,
            "hidden_dims": list(MODEL["hidden_dims"]),
        },
        protocol=PROTOCOL,
        summary=summary,
        rows=summary_rows,
        runs={
            name: [{"fit_s": r["seconds"], "epoch_s": r["value"]} for r in case]
            for name, case in runs.items()
        },
    )
    return summary_rows


if __name__ == "__main__":
    main()
