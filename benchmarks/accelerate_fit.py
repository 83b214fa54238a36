"""Data-parallel fits with Hugging Face Accelerate: two CPU processes against one.

``VAETransformer(accelerator=Accelerator(cpu=True))`` fitted on two processes that
``accelerate.debug_launcher`` forks from this one (gloo, CPU), against the same
estimator fitted in this process, on ``--rows`` x ``--features`` rows of a seeded
8-factor model with noise, standardised (default 20,000 x 64), for ``--epochs``
epochs (default 3) of ``batch_size=--batch-size`` (default 128), ``hidden_dims=
(64, 32)``, ``latent_dim=8``, ``random_state=--seed``. Cases:

- *1 process*: ``fit`` in this process on ``--threads`` torch threads (default
  2: the cores the two processes share);
- *1 process, 2x batch*: the same with ``batch_size`` doubled, which takes the
  steps the two processes take (each step on the same rows);
- *2 processes*: ``fit`` timed in the main process of the launch, each process
  on ``--threads // 2`` threads (``OMP_NUM_THREADS`` set, so accelerate leaves
  the threads alone), and the launch as a whole (forking, gloo's rendezvous,
  each process's ``Accelerator``, the fit and the processes' exit).

This process fits once (untimed, one epoch) before anything is timed, so the
forked processes start with skvae's and torch's lazy imports done, as in a
script that has fitted before; a script started by ``accelerate launch`` pays
its imports in every process on top. The cases run round-robin (``interleaved``:
one untimed warm-up round, then ``--repeats`` rounds, the order reversed every
other round), and each is reported by its fastest round. Figures: the wall time
of the whole ``fit`` call (``time.perf_counter``), the final training loss
(``history_[-1, "train_loss"]``, nats per row, the mean over the epoch's batches
of every process) and ``score`` (the mean ELBO with KL weight 1) on the rows.

Information only: no target. Data parallelism pays when each process's batch
keeps its cores busy; on two cores, two processes of one thread each against one
process of two threads measure what gradient averaging (gloo) and skorch's
``DistributedHistory`` (a TCP store read and written every batch) cost.

Run it on an otherwise idle machine (``uptime`` load below 0.5): a busy core
stalls both processes at every gradient average.

Run from anywhere::

    python benchmarks/accelerate_fit.py            # about 30 s on 2 cores
    python benchmarks/accelerate_fit.py --quick    # smoke test, about 15 s

A standalone script: the test suite never imports or runs it.
"""

import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from _harness import (
    Run,
    interleaved,
    make_parser,
    parse_args,
    protocol_of,
    ratio_table,
)

from skvae import VAETransformer

N_PROCESSES = 2
MODEL = {"hidden_dims": (64, 32), "latent_dim": 8}


def factor_rows(n_rows, n_features, seed=0):
    """Standardised rows of an 8-factor linear model with isotropic noise."""
    rng = np.random.RandomState(seed)
    loadings = rng.normal(size=(8, n_features))
    X = rng.normal(size=(n_rows, 8)) @ loadings + 0.5 * rng.normal(
        size=(n_rows, n_features)
    )
    return ((X - X.mean(axis=0)) / X.std(axis=0)).astype(np.float32)


def outcome(estimator, X, seconds):
    """What a case reports of its fitted ``estimator``."""
    return {
        "fit_s": seconds,
        "final_train_loss": float(estimator.history_[-1, "train_loss"]),
        "score": float(estimator.score(X)),
        "n_steps": int(sum(row["train_batch_count"] for row in estimator.history_)),
    }


def one_process(X, params, threads):
    """Fit in this process on ``threads`` torch threads."""
    torch.set_num_threads(threads)
    start = time.perf_counter()
    estimator = VAETransformer(**params).fit(X)
    return outcome(estimator, X, time.perf_counter() - start)


def _each_process(X, params, threads, path):
    """A launched process's fit (``debug_launcher``); the main one writes it."""
    from accelerate import Accelerator

    torch.set_num_threads(threads)
    accelerator = Accelerator(cpu=True)
    start = time.perf_counter()
    estimator = VAETransformer(**params, accelerator=accelerator).fit(X)
    seconds = time.perf_counter() - start
    if accelerator.is_main_process:
        Path(path).write_text(json.dumps(outcome(estimator, X, seconds)))


def two_processes(X, params, threads):
    """Fit on ``N_PROCESSES`` launched processes; the main one's figures, with the
    launch's wall time."""
    from accelerate import debug_launcher

    before = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = str(threads)
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "outcome.json"
            start = time.perf_counter()
            launched = (X, params, threads, path)
            debug_launcher(_each_process, launched, num_processes=N_PROCESSES)
            launch_s = time.perf_counter() - start
            return {**json.loads(path.read_text()), "launch_s": launch_s}
    finally:
        if before is None:
            del os.environ["OMP_NUM_THREADS"]
        else:
            os.environ["OMP_NUM_THREADS"] = before


def main(argv=None):
    parser = make_parser(__doc__, threads=N_PROCESSES, repeats=2)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    quick = {"rows": 2_000, "epochs": 1, "repeats": 1}
    args = parse_args(parser, argv, quick=quick)
    run = Run(args)
    per_process = max(1, args.threads // N_PROCESSES)
    X = factor_rows(args.rows, args.features)
    params = {
        **MODEL,
        "max_epochs": args.epochs,
        "batch_size": args.batch_size,
        "random_state": args.seed,
    }
    doubled = {**params, "batch_size": 2 * args.batch_size}
    print(
        f"VAETransformer on {args.rows} x {args.features} rows, {args.epochs} "
        f"epochs of batch_size={args.batch_size}: 1 process on {args.threads} "
        f"threads vs {N_PROCESSES} processes on {per_process} each; "
        f"{args.repeats} interleaved rounds, compared by the fastest\n"
    )
    one_process(X, {**params, "max_epochs": 1}, args.threads)  # imports, untimed
    cases = {
        "1 process": lambda: one_process(X, params, args.threads),
        "1 process, 2x batch": lambda: one_process(X, doubled, args.threads),
        f"{N_PROCESSES} processes": lambda: two_processes(X, params, per_process),
    }
    runs = interleaved(cases, args.repeats)
    single = min(r["value"]["fit_s"] for r in runs["1 process"])
    table = []
    for name, case in runs.items():
        best = min(case, key=lambda r: r["value"]["fit_s"])["value"]
        table.append(
            {
                "case": name,
                "fit s": best["fit_s"],
                "/ 1 process": best["fit_s"] / single,
                "launch s": best.get("launch_s", float("nan")),
                "steps": best["n_steps"],
                "final train loss": best["final_train_loss"],
                "score": best["score"],
            }
        )
    ratio_table(table)
    run.write(
        "accelerate_fit",
        settings={
            "n_processes": N_PROCESSES,
            "threads_per_process": per_process,
            "model": "hidden_dims=(64, 32), latent_dim=8",
        },
        protocol=protocol_of(__doc__),
        table=table,
        runs={name: [r["value"] for r in case] for name, case in runs.items()},
    )
    return table


if __name__ == "__main__":
    main()
