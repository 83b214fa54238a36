"""Inference speed and memory of skvae against a hand-written PyTorch loop.

Two fitted ``VAETransformer`` models (one epoch each: only inference is timed):

- *table*: standard normal rows with 64 features, hidden layers (64, 32), a 2-D
  latent space and a Gaussian likelihood, the small-table use of the design;
- *mnist-like*: uniform [0, 1] rows with 784 features, the classic MNIST MLP
  784-400-20 with a Bernoulli likelihood; 60,000 rows, as many as the MNIST
  training images.

For each, ``transform``, ``inverse_transform`` and ``score_samples`` on float32
rows are timed against a reference loop over the same module (``est.module_``):
a float32 tensor held once, sliced into chunks under ``torch.inference_mode()``,
the same maths as skvae (standardise with ``input_mean_`` / ``input_scale_``;
``module.code``; ``likelihood.mean(decode(z)) * scale + shift``; the ELBO with
``torch.randn`` noise), each chunk's output copied into one preallocated numpy
array. The reference works in chunks of 1024 rows, the round number a person
picks (``HAND_CHUNK_ROWS``), not in skvae's own chunks: users time skvae against
the loop they would write, so the ratio counts what the estimator adds
(validation, a finiteness pass over the input, copies; for ``score_samples`` its
row-keyed deterministic noise) and what its choice of chunk size gains or loses.
The reference's time over skvae's is the throughput ratio, judged against
``TARGETS["inference"]`` for ``transform`` and ``inverse_transform`` and
``TARGETS["inference_score"]`` for ``score_samples``. The cases run interleaved
in one process (the host flips between fast and slow modes), the order reversed
every other round after one untimed warm-up call of each, and are compared by
their fastest rounds (wall time of the whole call). For information only: skvae
on float64 input (computed with a float64 copy of the module) against the
float32 reference, and the reference in skvae's own rows per chunk
(``skvae_chunk_rows``: at least ``batch_size`` rows, otherwise up to 4096 rows
and 2**20 values; 4096 rows for the table, 1337 for the mnist-like rows).

Peak memory: a fresh Python process (this script with ``--memory-child``) fits
the table model, makes 500k float32 rows, resets its peak resident set
(``/proc/self/clear_refs``) and reads it (``VmHWM``) after one call; what the
call adds over the resident set just before it must be the output plus a working
set that does not grow with the number of rows (``TARGETS["inference_memory"]``).

Run from anywhere::

    python benchmarks/inference.py           # a few minutes on 2 cores
    python benchmarks/inference.py --quick   # a smoke test, under a minute

A standalone script: the test suite never imports or runs it.
"""

import argparse
import copy
import gc
import json
import statistics
import sys
from pathlib import Path

import numpy as np
import torch
from _harness import (
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
    reset_peak_rss,
    status_kib,
    summary_row,
    yes_no,
)

from skvae import VAETransformer
from skvae.nn import elbo

TARGET_MEMORY = TARGETS["inference_memory"]
METHODS = ("transform", "inverse_transform", "score_samples")
# Each method's throughput target: scores pay for deterministic noise.
RATIO_TARGET = {
    "transform": "inference",
    "inverse_transform": "inference",
    "score_samples": "inference_score",
}
# Rows per chunk of the hand-written loops: the round number a person picks.
HAND_CHUNK_ROWS = 1024
MIB = 2.0**20


# The fitted setups: name -> (estimator settings, row maker).
MODELS = {
    "table": (
        {"latent_dim": 2, "hidden_dims": (64, 32), "likelihood": "gaussian"},
        lambda rng, n: rng.standard_normal((n, 64), dtype=np.float32),
    ),
    "mnist-like": (
        {"latent_dim": 20, "hidden_dims": (400,), "likelihood": "bernoulli"},
        lambda rng, n: rng.random((n, 784), dtype=np.float32),
    ),
}


def fit_model(name, n_fit, seed):
    """A one-epoch estimator of setup ``name`` and its row maker."""
    params, make_rows = MODELS[name]
    X = make_rows(np.random.default_rng(1), n_fit)
    estimator = VAETransformer(
        **params, max_epochs=1, batch_size=128, random_state=seed
    )
    return estimator.fit(X), make_rows


def skvae_chunk_rows(estimator):
    """Rows per chunk of skvae's inference, for an information-only reference.

    The benchmarks' one use of private API: ``_BaseAutoencoder._inference_rows``
    (width -> rows per chunk). If it moves, fix it here.
    """
    return estimator._inference_rows(estimator.n_features_in_)


# -- the hand-written reference ---------------------------------------------------


def reference_maps(estimator, rows):
    """Hand-written ``transform``, ``inverse_transform`` and ``score_samples``.

    Each takes a float32 tensor and returns a numpy array, computing in chunks of
    ``rows`` rows.
    """
    # The hand loop's own copy of the network standardises the rows itself, as a
    # hand-written model has no standardising layer.
    module = copy.deepcopy(estimator.module_).eval()
    module.standardize = None
    shift = torch.from_numpy(estimator.input_mean_.astype(np.float32))
    scale = torch.from_numpy(estimator.input_scale_.astype(np.float32))
    log_scale = float(np.log(estimator.input_scale_).sum())
    generator = torch.Generator().manual_seed(0)

    def loop(data, step):
        # Into one numpy array: at 50 MB, about 2x faster than torch.cat of chunks
        # (numpy backs large arrays with huge pages; the list doubles the memory).
        out = None
        with torch.inference_mode():
            for first in range(0, len(data), rows):
                chunk = step(data[first : first + rows]).numpy()
                if out is None:
                    out = np.empty((len(data), *chunk.shape[1:]), dtype=chunk.dtype)
                out[first : first + rows] = chunk
        return out

    def transform(data):
        return loop(data, lambda x: module.code((x - shift) / scale))

    def inverse_transform(data):
        return loop(
            data, lambda z: module.likelihood.mean(module.decode(z)) * scale + shift
        )

    def score(x):
        x = (x - shift) / scale
        eps = torch.randn(len(x), module.latent_dim, generator=generator)
        out = module(x, eps)
        return elbo(out.log_px_z, out.kl)

    def score_samples(data):
        return loop(data, score) - log_scale

    return {
        "transform": transform,
        "inverse_transform": inverse_transform,
        "score_samples": score_samples,
    }


# -- throughput -----------------------------------------------------------------


def time_model(name, n_rows, repeats, seed):
    """Interleaved timings of the three methods on one setup."""
    estimator, make_rows = fit_model(name, min(n_rows, 5_000), seed)
    X = make_rows(np.random.default_rng(2), n_rows)
    inputs = {"transform": X, "score_samples": X}
    inputs["inverse_transform"] = estimator.transform(X)
    chunk_rows = skvae_chunk_rows(estimator)
    reference = reference_maps(estimator, HAND_CHUNK_ROWS)
    chunk_reference = reference_maps(estimator, chunk_rows)
    results = {}
    for method in METHODS:
        A = inputs[method]
        A64, tensor = A.astype(np.float64), torch.from_numpy(A)
        skvae_method = getattr(estimator, method)
        check_agreement(method, skvae_method(A), reference[method](tensor))
        cases = {
            "reference": lambda f=reference[method], t=tensor: _discard(f(t)),
            "skvae": lambda f=skvae_method, A=A: _discard(f(A)),
            "skvae float64": lambda f=skvae_method, A=A64: _discard(f(A)),
            "reference, skvae's chunks": (
                lambda f=chunk_reference[method], t=tensor: _discard(f(t))
            ),
        }
        runs = interleaved(cases, repeats)
        results[method] = {
            "rows": n_rows,
            "columns": A.shape[1],
            "reference_chunk_rows": HAND_CHUNK_ROWS,
            "skvae_chunk_rows": chunk_rows,
            "seconds": {c: [r["seconds"] for r in runs[c]] for c in runs},
        }
    return results


def _discard(output):
    # Keep no outputs across rounds: inverse_transform's are tens of MiB each.
    return None


def check_agreement(method, ours, theirs):
    """skvae and the reference compute the same thing (scores: other noise)."""
    if method == "score_samples":
        if abs(ours.mean() - theirs.mean()) > 0.05 * abs(theirs.mean()) + 1.0:
            raise RuntimeError(f"mean scores differ: {ours.mean()} vs {theirs.mean()}")
    elif not np.allclose(ours, theirs, rtol=1e-4, atol=1e-4):
        raise RuntimeError(f"{method}: skvae and the reference disagree")


def summarise_times(name, method, result):
    """Table row and summary of one method's interleaved timings."""
    target = TARGETS[RATIO_TARGET[method]]
    seconds = result["seconds"]
    best = {case: min(times) for case, times in seconds.items()}
    ratio = best["reference"] / best["skvae"]
    ratio64 = best["reference"] / best["skvae float64"]
    paired = per_round(seconds["reference"], seconds["skvae"])
    summary = {
        "reference_s": best["reference"],
        "skvae_s": best["skvae"],
        "skvae_float64_s": best["skvae float64"],
        "throughput_ratio": ratio,
        "throughput_ratio_per_round": paired,
        "float64_throughput_ratio": ratio64,
        "reference_rows_per_s": result["rows"] / best["reference"],
        "skvae_rows_per_s": result["rows"] / best["skvae"],
        "skvae_chunks_reference_rows_per_s": (
            result["rows"] / best["reference, skvae's chunks"]
        ),
        "meets_target": target.met(ratio),
    }
    row = {
        "model": name,
        "method": method,
        "rows": result["rows"],
        "skvae chunk": result["skvae_chunk_rows"],
        "ref krows/s": summary["reference_rows_per_s"] / 1e3,
        "ref, skvae's chunks (info)": (
            summary["skvae_chunks_reference_rows_per_s"] / 1e3
        ),
        "skvae krows/s": summary["skvae_rows_per_s"] / 1e3,
        "ratio": ratio,
        "paired (median)": statistics.median(paired),
        "target": str(target),
        "met": yes_no(summary["meets_target"]),
        "float64 ratio (info)": ratio64,
    }
    return row, summary


# -- peak memory ------------------------------------------------------------------


def measure_memory(method, n_rows, args):
    """Peak memory of one call on ``n_rows`` rows, in a fresh Python process."""
    command = [sys.executable, str(Path(__file__).resolve()), "--memory-child", method]
    command += [f"--memory-rows={n_rows}", f"--threads={args.threads}"]
    command += [f"--seed={args.seed}"]
    return child_json(command)


def _memory_child(method, n_rows, seed):
    """Fit the table model, then measure one call of ``method`` (in the child)."""
    estimator, make_rows = fit_model("table", 2000, seed)
    X = make_rows(np.random.default_rng(2), n_rows)
    A = estimator.transform(X) if method == "inverse_transform" else X
    call = getattr(estimator, method)
    call(A[:1000])  # threads and lazy state come to life outside the measure
    gc.collect()
    reset = reset_peak_rss()
    before = status_kib("VmRSS")
    output = call(A)
    # Without a reset, the peak over the child's life: fitting came first, on
    # 2,000 rows only.
    peak = peak_rss_kib(reset)
    return {
        "rows": n_rows,
        "chunk_rows": skvae_chunk_rows(estimator),
        "peak_reset": reset,
        "rss_before_mib": before / 1024,
        "peak_mib": peak / 1024,
        "extra_mib": (peak - before) / 1024,
        "input_mib": A.nbytes / MIB,
        "output_mib": output.nbytes / MIB,
        "n_x_width64_float32_mib": n_rows * 64 * 4 / MIB,
    }


def summarise_memory(method, result):
    """Table row of one memory measure; adds what lies beyond the output."""
    beyond = result["extra_mib"] - result["output_mib"]
    result["beyond_output_mib"] = beyond
    result["meets_target"] = TARGET_MEMORY.met(beyond)
    return {
        "method": method,
        "rows": result["rows"],
        "chunk": result["chunk_rows"],
        "input MiB": result["input_mib"],
        "output MiB": result["output_mib"],
        "extra MiB": result["extra_mib"],
        "beyond output MiB": beyond,
        "n x 64 float32 MiB": result["n_x_width64_float32_mib"],
        str(TARGET_MEMORY): yes_no(result["meets_target"]),
    }


# -- the script ---------------------------------------------------------------------


def main(argv=None):
    parser = make_parser(__doc__, threads=2, repeats=7)
    parser.add_argument("--table-rows", type=int, default=200_000)
    parser.add_argument("--mnist-rows", type=int, default=60_000)
    parser.add_argument("--memory-rows", type=int, default=500_000)
    parser.add_argument("--memory-child", choices=METHODS, help=argparse.SUPPRESS)
    quick = dict(repeats=3, table_rows=50_000, mnist_rows=3_000, memory_rows=100_000)
    args = parse_args(parser, argv, quick=quick)
    sizes = {"table": args.table_rows, "mnist-like": args.mnist_rows}
    run = Run(args)
    if args.memory_child:
        print(json.dumps(_memory_child(args.memory_child, args.memory_rows, args.seed)))
        return []
    print(
        f"{args.repeats} interleaved rounds after a warm-up; float32 input; ratio = "
        "fastest reference / fastest skvae (throughput); the reference uses "
        f"{HAND_CHUNK_ROWS}-row chunks\n"
    )

    rows, summary_rows, results = [], [], {}
    for name, n_rows in sizes.items():
        results[name] = time_model(name, n_rows, args.repeats, args.seed)
        for method, result in results[name].items():
            row, summary = summarise_times(name, method, result)
            result["summary"] = summary
            rows.append(row)
            case = f"{name} {method} ({n_rows} rows)"
            summary_rows += [
                summary_row(
                    case,
                    "throughput vs torch loop",
                    summary["throughput_ratio"],
                    RATIO_TARGET[method],
                ),
                summary_row(
                    f"{case} (float64 input, info)",
                    "throughput vs float32 torch loop",
                    summary["float64_throughput_ratio"],
                ),
            ]
    ratio_table(rows)

    print(
        f"\npeak memory of one call on {args.memory_rows} table rows (fresh process)\n"
    )
    memory, memory_table = {}, []
    for method in METHODS:
        memory[method] = measure_memory(method, args.memory_rows, args)
        memory_table.append(summarise_memory(method, memory[method]))
        summary_rows.append(
            summary_row(
                f"table {method} ({args.memory_rows} rows)",
                "extra memory beyond output (MiB)",
                memory[method]["beyond_output_mib"],
                "inference_memory",
            )
        )
    ratio_table(memory_table)

    run.write(
        "inference",
        settings={"models": {name: params for name, (params, _) in MODELS.items()}},
        protocol=protocol_of(__doc__),
        results=results,
        memory=memory,
        summary=summary_rows,
    )
    return summary_rows


if __name__ == "__main__":
    main()
