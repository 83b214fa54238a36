"""Training speed of skvae on small tables against a hand-written PyTorch loop.

Both train the same module (``skvae.nn.VAE`` with hidden layers (64, 32), a
2-D latent space and a Gaussian likelihood) with Adam at lr=1e-3 in batches of
128 on standardised rows. The hand-written loop is the lower bound: a shuffled
tensor cut into slices, one noise draw, the negative ELBO, a step. What skvae
adds on top is skorch's loop (callbacks, history) and the estimator's setup.
The two are timed interleaved in one process, since this host flips between
fast and slow modes. Both the epoch ratio and the whole-fit ratio are judged
against ``TARGETS["training"]``.

Run from anywhere::

    python benchmarks/small_data.py
    python benchmarks/small_data.py --quick    # smoke test, seconds

A standalone script: the test suite never imports or runs it.
"""

import statistics

import numpy as np
import torch
from _harness import (
    TARGETS,
    Run,
    epoch_median,
    interleaved,
    make_parser,
    parse_args,
    per_round,
    ratio_table,
    reference_epochs,
    skvae_epochs,
    summary_row,
    yes_no,
)
from sklearn.datasets import load_digits

MODEL = {"latent_dim": 2, "hidden_dims": (64, 32), "batch_size": 128, "lr": 1e-3}
TARGET = TARGETS["training"]

PROTOCOL = (
    "Per dataset, one untimed warm-up fit of each, then `repeats` rounds of "
    "(reference, skvae), the order reversed every other round. skvae epoch times "
    "are skorch's history 'dur'; the reference's are time.perf_counter around "
    "each epoch. fit_s is the wall time of the whole call: for skvae constructing "
    "and fitting the estimator, for the reference standardising, building the "
    "module and optimiser, and training. epoch ratio: best round's median epoch "
    "(epochs 2..) of skvae over the reference's; fit ratio: fastest skvae fit "
    "over fastest reference fit."
)


def datasets():
    """The tables trained on: name -> float64 array."""
    gaussian = np.random.RandomState(0).standard_normal((500, 20))
    return {"digits (1797x64)": load_digits().data, "gaussian (500x20)": gaussian}


def fit_reference(X, epochs, seed):
    """Standardise, then train the same module with the hand-written loop."""
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0  # the digits have constant (all-zero) pixels
    rows = torch.as_tensor((X - X.mean(axis=0)) / scale, dtype=torch.float32)
    return reference_epochs(rows, epochs, seed=seed, likelihood="gaussian", **MODEL)


def summarise(name, X, runs):
    """Table row and JSON summary of one dataset's interleaved runs."""
    batches = -(-len(X) // MODEL["batch_size"])
    medians = {m: [epoch_median(r["value"]) for r in runs[m]] for m in runs}
    fits = {m: [r["seconds"] for r in runs[m]] for m in runs}
    ref_epoch, vae_epoch = min(medians["reference"]), min(medians["skvae"])
    ref_fit, vae_fit = min(fits["reference"]), min(fits["skvae"])
    paired = per_round(medians["skvae"], medians["reference"])
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
        "meets_target": TARGET.met(vae_epoch / ref_epoch),
        "fit_meets_target": TARGET.met(vae_fit / ref_fit),
    }
    row = {
        "dataset": name,
        "batches": batches,
        "ref ms/epoch": ref_epoch * 1e3,
        "skvae ms/epoch": vae_epoch * 1e3,
        "epoch ratio": summary["epoch_ratio"],
        "paired (median)": statistics.median(paired),
        f"epoch {TARGET}": yes_no(summary["meets_target"]),
        "ref fit s": ref_fit,
        "skvae fit s": vae_fit,
        "fit ratio": summary["fit_ratio"],
        f"fit {TARGET}": yes_no(summary["fit_meets_target"]),
        "overhead us/batch": summary["overhead_per_batch_us"],
    }
    return row, summary


def main(argv=None):
    parser = make_parser(__doc__, threads=1, repeats=3)
    parser.add_argument("--epochs", type=int, default=20)
    args = parse_args(parser, argv, quick={"epochs": 5, "repeats": 1})
    run = Run(args)
    print(
        f"{args.epochs} epochs, batch {MODEL['batch_size']}, {args.repeats} "
        "interleaved rounds; per epoch: median over epochs 2.. of the best round; "
        "per fit: the fastest round (setup included)\n"
    )

    rows, results = [], {}
    for name, X in datasets().items():
        cases = {
            "reference": lambda X=X: fit_reference(X, args.epochs, args.seed),
            "skvae": lambda X=X: skvae_epochs(
                X, args.epochs, random_state=args.seed, **MODEL
            ),
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
    run.write(
        "small_data",
        settings={**MODEL, "hidden_dims": list(MODEL["hidden_dims"])},
        protocol=PROTOCOL,
        results=results,
    )
    return [
        summary_row(name, measure, result["summary"][key], "training")
        for name, result in results.items()
        for measure, key in (
            ("epoch time skvae / reference", "epoch_ratio"),
            ("whole fit time skvae / reference", "fit_ratio"),
        )
    ]


if __name__ == "__main__":
    main()
