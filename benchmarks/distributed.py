"""Parallel searches and out-of-core training: loky, dask and partial_fit on 2 cores.

Searches: ``GridSearchCV(VAETransformer(likelihood="bernoulli", max_epochs=E,
random_state=seed), {"beta": BETAS, "latent_dim": LATENT_DIMS}, cv=3)`` on
scikit-learn's digits scaled to [0, 1] (1797 x 64), with no ``scoring`` (ranked
by ``VAETransformer.score``) and ``refit=True``: 24 fits on 1198 rows, then one
refit on all rows in the calling process. Three ways to run it, timed
round-robin (order reversed every other round) and compared by their fastest
rounds: ``n_jobs=1``; ``n_jobs=2`` on joblib's default loky backend (two worker
processes; joblib sets their ``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS`` to
``cpu_count() // n_jobs`` = 1); and ``joblib.parallel_config(backend="dask")``
on a ``distributed.LocalCluster(n_workers=2, threads_per_worker=1)`` on
loopback, whose nanny sets the same variables to 1 (its
``distributed.nanny.pre-spawn-environ``). Each parallel round starts its workers
afresh: that start (loky: the executor and an import of skvae in each worker;
dask: the cluster and client, then the same import, which its workers have done
as they started: they run this script's imports as ``__mp_main__``) is timed
apart, an untimed 1-epoch search follows, and only the search after it is the
search time, so both backends are timed with warm workers. The calling process
keeps torch's default threads (``--threads``). Oversubscription: the same search
with fewer epochs (``--oversubscribed-epochs``) on each backend with one torch
thread per worker and with two (loky:
``parallel_config(inner_max_num_threads=2)``; dask:
``distributed.nanny.pre-spawn-environ`` with ``OMP_NUM_THREADS`` and
``MKL_NUM_THREADS`` at 2, which torch reads; MKL's wins), so 4 torch threads
share the 2 cores. Each worker's ``torch.get_num_threads()`` is recorded.

Out of core: a 64-feature float32 table of ``--rows`` rows from a linear factor
model (8 factors plus noise) is written to a ``.npy`` file, and two fresh Python
processes (this script with ``--memory-child``) each train ``VAETransformer(
batch_size=128, random_state=seed)`` for ``--passes`` passes: *fit* loads the
whole array (``np.load``) and calls ``fit`` with ``max_epochs=passes``;
*partial_fit* opens it with ``np.load(mmap_mode="r")`` and calls ``partial_fit``
on each block of ``--chunk-rows`` rows, pass after pass (one ``partial_fit`` call
is one epoch over its block). Each child resets its peak resident set after its
imports (``/proc/self/clear_refs``), reads it (``VmHWM``) after training, and
samples ``RssAnon`` and ``RssFile`` every 10 ms: pages of the memory-mapped
file that were read count in the resident set as file-backed pages, which the
kernel can drop and reread, so the anonymous peak is the memory the call needs.
Time: ``time.perf_counter`` around loading and training. Both models then score
20,000 held-out rows of the same model (mean log-likelihood, nats).

Run it on an otherwise idle machine: with another process on a core, two-thread
torch code slows many-fold.

Run from anywhere::

    python benchmarks/distributed.py            # about 16 minutes on 2 cores
    python benchmarks/distributed.py --quick    # smoke test, about 3 minutes

A standalone script: the test suite never imports or runs it.
"""

import os
import sys
from pathlib import Path

# This file's name shadows the distributed package for a script run from this
# folder (and for the worker processes, which run it again as __mp_main__):
# look this folder up last, so that only _harness is found here.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.append(str(_HERE))

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from _harness import (  # noqa: E402
    Run,
    child_json,
    interleaved,
    make_parser,
    parse_args,
    peak_rss_kib,
    protocol_of,
    ratio_table,
    reset_peak_rss,
    status_kib,
    summary_row,
)
from joblib import Parallel, delayed, parallel_config  # noqa: E402
from joblib.externals.loky import get_reusable_executor  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from skvae import VAETransformer  # noqa: E402

BETAS = (0.25, 0.5, 1.0, 2.0)
LATENT_DIMS = (2, 8)
CV = 3
N_WORKERS = 2
# What distributed's nanny sets before it spawns a worker; torch reads the first
# two (MKL_NUM_THREADS over OMP_NUM_THREADS).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
MIB = 2**20
N_FACTORS = 8
HELD_OUT_ROWS = 20_000


# -- searches ---------------------------------------------------------------------


def make_search(epochs, seed, n_jobs=None):
    """The grid search every case runs."""
    return GridSearchCV(
        VAETransformer(likelihood="bernoulli", max_epochs=epochs, random_state=seed),
        {"beta": list(BETAS), "latent_dim": list(LATENT_DIMS)},
        cv=CV,
        n_jobs=n_jobs,
    )


def import_skvae():
    """Run in a worker: import skvae (and torch); torch's thread count there."""
    import skvae  # noqa: F401

    return torch.get_num_threads()


@contextlib.contextmanager
def loky_workers(threads):
    """Fresh loky workers with ``threads`` torch threads (None: joblib's choice)."""
    get_reusable_executor().shutdown(wait=True, kill_workers=True)
    with parallel_config(
        backend="loky", n_jobs=N_WORKERS, inner_max_num_threads=threads
    ):
        # One call: loky's leak guard measures a worker after its first task and
        # replaces it if it then grows by 300 MB, as an import of torch would.
        start = time.perf_counter()
        seen = Parallel()(delayed(import_skvae)() for _ in range(N_WORKERS))
        try:
            yield {"start_s": time.perf_counter() - start, "worker_threads": seen}
        finally:
            get_reusable_executor().shutdown(wait=True, kill_workers=True)


@contextlib.contextmanager
def dask_workers(threads):
    """A fresh 2-worker LocalCluster; ``threads`` torch threads a worker (None:
    distributed's default), joblib's dask backend on it.

    The nanny writes the thread variables into this process's environment; they
    are put back after, so that later loky workers get joblib's own.
    """
    # Imported here: the memory children never need it.
    import dask
    import distributed

    saved = dict(os.environ)
    for name in THREAD_VARIABLES:
        os.environ.pop(name, None)
    config = {}
    if threads is not None:
        config = {
            f"distributed.nanny.pre-spawn-environ.{name}": threads
            for name in THREAD_VARIABLES
        }
    try:
        start = time.perf_counter()
        with (
            dask.config.set(config),
            distributed.LocalCluster(
                n_workers=N_WORKERS,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            started = time.perf_counter()
            seen = list(client.run(import_skvae).values())
            imported = time.perf_counter()
            with parallel_config(backend="dask"):
                yield {
                    "start_s": imported - start,
                    "cluster_s": started - start,
                    "worker_threads": seen,
                }
    finally:
        for name in set(os.environ) - set(saved):
            del os.environ[name]
        os.environ.update(saved)


def timed_search(X, epochs, seed, n_jobs=None):
    """Fit one search; its wall time and outcome."""
    search = make_search(epochs, seed, n_jobs)
    start = time.perf_counter()
    search.fit(X)
    return {
        "fit_s": time.perf_counter() - start,
        "best_params": search.best_params_,
        "mean_test_scores": [float(s) for s in search.cv_results_["mean_test_score"]],
    }


def parallel_case(X, backend, threads, epochs, seed):
    """Start workers (timed apart), warm them with a 1-epoch search, time one."""
    workers = loky_workers if backend == "loky" else dask_workers
    n_jobs = N_WORKERS if backend == "loky" else None
    with workers(threads) as started:
        make_search(1, seed, n_jobs).fit(X)
        return {**started, **timed_search(X, epochs, seed, n_jobs)}


def case_name(backend, threads):
    """How the tables name a parallel case."""
    return (
        f"{backend}, {N_WORKERS} workers x {threads} torch thread{'s' * (threads > 1)}"
    )


def search_cases(X, args):
    """The timed cases: name -> callable."""
    cases = {"n_jobs=1": lambda: timed_search(X, args.epochs, args.seed, 1)}
    for backend in ("loky", "dask"):
        cases[case_name(backend, 1)] = lambda b=backend: parallel_case(
            X, b, None, args.epochs, args.seed
        )
    return cases


def oversubscribed_cases(X, args):
    """1 and 2 torch threads a worker on each backend, at fewer epochs."""
    epochs = args.oversubscribed_epochs
    return {
        case_name(backend, threads or 1): (
            lambda b=backend, t=threads: parallel_case(X, b, t, epochs, args.seed)
        )
        for backend in ("loky", "dask")
        for threads in (None, 2)
    }


def fastest(case):
    """Wall time of the fastest search of a case's rounds."""
    return min(run["value"]["fit_s"] for run in case)


def search_table(runs, reference, label, column=None):
    """Table rows, summary rows and the largest score difference of ``runs``,
    their times over ``reference``'s in ``column``."""
    base = fastest(runs[reference])
    first = runs[reference][0]["value"]["mean_test_scores"]
    table, rows, gaps = [], [], []
    for name, case in runs.items():
        values = [run["value"] for run in case]
        best = fastest(case)
        threads = values[0].get("worker_threads")
        table.append(
            {
                "case": name,
                "worker torch threads": " ".join(map(str, threads or ["-"])),
                "start s": " ".join(f"{v['start_s']:.1f}" for v in values)
                if threads
                else "-",
                "search s per round": " ".join(f"{v['fit_s']:.1f}" for v in values),
                "fastest s": best,
                column or f"/ {reference}": best / base,
            }
        )
        rows.append(summary_row(f"{label} {name}", "wall time s (fastest)", best))
        rows.append(
            summary_row(f"{label} {name}", f"wall time / {reference}", best / base)
        )
        gaps += [
            abs(a - b)
            for v in values
            for a, b in zip(v["mean_test_scores"], first, strict=True)
        ]
    return table, rows, max(gaps)


def as_records(runs):
    """``interleaved``'s runs as JSON records."""
    return {
        name: [{"call_s": r["seconds"], **r["value"]} for r in case]
        for name, case in runs.items()
    }


# -- out of core ------------------------------------------------------------------


def write_table(path, n_rows, seed, chunk_rows):
    """Write ``n_rows`` float32 rows of a factor model to ``path`` block by block;
    return held-out rows of the same model."""
    rng = np.random.default_rng(seed)
    loadings = rng.normal(size=(N_FACTORS, 64)).astype(np.float32)

    def rows(n):
        z = rng.normal(size=(n, N_FACTORS)).astype(np.float32)
        return z @ loadings + 0.5 * rng.normal(size=(n, 64)).astype(np.float32)

    table = np.lib.format.open_memmap(path, "w+", np.float32, (n_rows, 64))
    for start in range(0, n_rows, chunk_rows):
        table[start : start + chunk_rows] = rows(len(table[start : start + chunk_rows]))
    table.flush()
    del table
    return rows(HELD_OUT_ROWS)


class MemorySampler:
    """Samples this process's anonymous and file-backed resident set every 10 ms."""

    FIELDS = ("VmRSS", "RssAnon", "RssFile")

    def __init__(self):
        self.peak = dict.fromkeys(self.FIELDS, 0)
        self.file_at_anon_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self):
        now = {field: status_kib(field) for field in self.FIELDS}
        if now["RssAnon"] > self.peak["RssAnon"]:
            self.file_at_anon_peak = now["RssFile"]
        for field in self.FIELDS:
            self.peak[field] = max(self.peak[field], now[field])

    def _run(self):
        while not self._stop.wait(0.01):
            self.sample()

    def __enter__(self):
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sample()


def memory_child(case, args):
    """Train one way on the table (in a fresh process); memory and time."""
    estimator = VAETransformer(
        batch_size=128, max_epochs=args.passes, random_state=args.seed
    )
    estimator.fit(np.zeros((256, 64), np.float32))  # torch comes to life outside
    estimator = VAETransformer(
        batch_size=128, max_epochs=args.passes, random_state=args.seed
    )
    reset = reset_peak_rss()
    baseline = {field: status_kib(field) for field in MemorySampler.FIELDS}
    with MemorySampler() as sampler:
        start = time.perf_counter()
        if case == "fit":
            X = np.load(args.data)
            loaded = time.perf_counter()
            estimator.fit(X)
        else:
            X = np.load(args.data, mmap_mode="r")
            loaded = time.perf_counter()
            for _ in range(args.passes):
                for first in range(0, len(X), args.chunk_rows):
                    estimator.partial_fit(X[first : first + args.chunk_rows])
        done = time.perf_counter()
    peak = peak_rss_kib(reset)
    held_out = np.load(args.held_out)
    return {
        "case": case,
        "rows": len(X),
        "data_mib": X.nbytes / MIB,
        "peak_reset": reset,
        "baseline_mib": baseline["VmRSS"] / 1024,
        "peak_mib": peak / 1024,
        "extra_mib": (peak - baseline["VmRSS"]) / 1024,
        "anon_extra_mib": (sampler.peak["RssAnon"] - baseline["RssAnon"]) / 1024,
        "file_extra_at_anon_peak_mib": (sampler.file_at_anon_peak - baseline["RssFile"])
        / 1024,
        "file_extra_peak_mib": (sampler.peak["RssFile"] - baseline["RssFile"]) / 1024,
        "load_s": loaded - start,
        "train_s": done - loaded,
        "total_s": done - start,
        "epochs": estimator.n_iter_,
        "held_out_score": float(estimator.score(held_out)),
    }


def out_of_core(args, folder):
    """Write the table, then run each memory child in a fresh process."""
    data = Path(folder) / "table.npy"
    held_out = Path(folder) / "held_out.npy"
    start = time.perf_counter()
    np.save(held_out, write_table(data, args.rows, args.seed, args.chunk_rows))
    write_s = time.perf_counter() - start
    script = [sys.executable, str(Path(__file__).resolve())]
    options = [f"--data={data}", f"--held-out={held_out}", f"--passes={args.passes}"]
    options += [f"--chunk-rows={args.chunk_rows}", f"--threads={args.threads}"]
    options += [f"--seed={args.seed}"]
    results = {
        case: child_json([*script, "--memory-child", case, *options])
        for case in ("fit", "partial_fit")
    }
    return results, write_s


def memory_table(results, args):
    """Table rows and summary rows of the out-of-core children."""
    table, rows = [], []
    for case, r in results.items():
        label = (
            "fit (np.load, in memory)"
            if case == "fit"
            else f"partial_fit ({args.chunk_rows}-row blocks of np.load(mmap_mode='r'))"
        )
        table.append(
            {
                "call": label,
                "data MiB": r["data_mib"],
                "base MiB": r["baseline_mib"],
                "peak RSS + MiB": r["extra_mib"],
                "anon peak + MiB": r["anon_extra_mib"],
                "file pages + MiB": r["file_extra_at_anon_peak_mib"],
                "load s": r["load_s"],
                "train s": r["train_s"],
                "epochs (n_iter_)": r["epochs"],
                "held-out score": r["held_out_score"],
            }
        )
        name = f"out of core, {case} ({r['rows']} x 64 float32, {args.passes} passes)"
        rows.append(summary_row(name, "peak RSS beyond baseline MiB", r["extra_mib"]))
        rows.append(
            summary_row(name, "anonymous peak beyond baseline MiB", r["anon_extra_mib"])
        )
        rows.append(summary_row(name, "wall time s (load and train)", r["total_s"]))
    return table, rows


# -- the script -------------------------------------------------------------------


def main(argv=None):
    parser = make_parser(__doc__, threads=os.cpu_count(), repeats=2)
    parser.add_argument("--epochs", type=int, default=180)
    parser.add_argument("--oversubscribed-epochs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--chunk-rows", type=int, default=50_000)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument(
        "--memory-child", choices=("fit", "partial_fit"), help=argparse.SUPPRESS
    )
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--held-out", type=Path, help=argparse.SUPPRESS)
    quick = dict(
        repeats=1, epochs=10, oversubscribed_epochs=2, rows=50_000, chunk_rows=10_000
    )
    args = parse_args(parser, argv, quick=quick)
    if args.memory_child:
        torch.set_num_threads(args.threads)
        print(json.dumps(memory_child(args.memory_child, args)))
        return []
    run = Run(args)
    print(
        f"GridSearchCV(VAETransformer(likelihood='bernoulli', max_epochs="
        f"{args.epochs}), beta in {list(BETAS)} x latent_dim in {list(LATENT_DIMS)}, "
        f"cv={CV}) on the digits / 16; {args.repeats} interleaved rounds, compared "
        "by the fastest\n"
    )
    X = load_digits().data / 16
    make_search(1, args.seed, 1).fit(X)  # untimed: this process's first fits
    runs = interleaved(search_cases(X, args), args.repeats, warmup=0)
    table, rows, gap = search_table(runs, "n_jobs=1", "GridSearchCV")
    ratio_table(table)

    print(f"\nOversubscription: the same search at {args.oversubscribed_epochs} epochs")
    over = interleaved(oversubscribed_cases(X, args), args.repeats, warmup=0)
    over_table, over_gap = [], 0.0
    for backend in ("loky", "dask"):
        sub = {name: case for name, case in over.items() if name.startswith(backend)}
        part, part_rows, part_gap = search_table(
            sub,
            case_name(backend, 1),
            f"GridSearchCV {args.oversubscribed_epochs} epochs",
            column="/ 1 thread",
        )
        over_table += part
        rows += part_rows
        over_gap = max(over_gap, part_gap)
    ratio_table(over_table)

    print(
        f"\nOut of core: {args.rows} x 64 float32 rows, {args.passes} passes, "
        "each way in a fresh process"
    )
    with tempfile.TemporaryDirectory() as folder:
        memory, write_s = out_of_core(args, folder)
    mem_table, mem_rows = memory_table(memory, args)
    ratio_table(mem_table)
    rows += mem_rows
    print()
    ratio_table(rows)
    print(
        f"\nlargest difference of a mean test score from n_jobs=1's: {gap:.3g}; "
        f"with 2 torch threads a worker, from 1 thread's: {over_gap:.3g}"
    )
    run.write(
        "distributed",
        settings={
            "cv": CV,
            "betas": list(BETAS),
            "latent_dims": list(LATENT_DIMS),
            "workers": N_WORKERS,
            "data": "sklearn.datasets.load_digits / 16 (1797 x 64)",
        },
        protocol=protocol_of(__doc__),
        summary={
            "serial_s": fastest(runs["n_jobs=1"]),
            **{
                f"{backend}_ratio": fastest(runs[case_name(backend, 1)])
                / fastest(runs["n_jobs=1"])
                for backend in ("loky", "dask")
            },
            **{
                f"{backend}_oversubscribed_ratio": fastest(over[case_name(backend, 2)])
                / fastest(over[case_name(backend, 1)])
                for backend in ("loky", "dask")
            },
            "max_mean_test_score_difference": gap,
            "max_oversubscribed_score_difference": over_gap,
            "out_of_core_write_s": write_s,
        },
        rows=rows,
        runs=as_records(runs),
        oversubscribed_runs=as_records(over),
        out_of_core=memory,
    )
    return rows


if __name__ == "__main__":
    main()
