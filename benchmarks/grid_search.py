"""Parallel model selection: GridSearchCV(n_jobs=2) against n_jobs=1 on two cores.

The search a user runs to pick ``beta``: ``GridSearchCV(VAETransformer(
max_epochs=150, random_state=0), {"beta": [0.1, 0.5, 1, 2, 4]}, cv=3)`` on
scikit-learn's digits (1797 x 64), with no ``scoring`` (so candidates are ranked
by ``VAETransformer.score``, the mean log-likelihood) and the default
``refit=True``: 15 fits on 1198 rows, then one refit on all rows, which runs in
the calling process whatever ``n_jobs`` is. The beta grid is the design's own
example; 150 epochs (about 1,500 Adam steps per fit, a little under the 2,500 of
``max_epochs="auto"``) put the serial search at about 30-40 s on a quiet 2-core
machine, the size of search one runs interactively.

joblib's default backend, loky, runs ``n_jobs=2`` in two worker processes and
sets ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` and the like to
``cpu_count() // n_jobs`` in them before they import torch, so each worker
should run torch with one thread instead of two threads per worker on two cores.
The calling process keeps torch's default of one thread per core (``--threads``).
Measured:

- wall time of ``fit`` for ``n_jobs=1``, for ``n_jobs=2`` with warm workers (an
  earlier parallel call in the process left loky's workers running, torch
  imported) and for ``n_jobs=2`` from a cold start (workers shut down first, so
  the call pays their start-up and imports, as the first search of a script
  does); the three run round-robin, order reversed every other round, compared
  by their minima. The target (``n_jobs=2`` at most 0.7 x ``n_jobs=1``) is
  judged on the cold start, which is what running one search in a fresh script
  costs; the warm figure is what further searches in the same process cost;
- how many threads torch used in each fit: a skorch callback on the estimator
  records ``torch.get_num_threads()`` and counts the process's OS threads that
  used CPU during training (``/proc/self/task``), separately for worker fits and
  the refit in the calling process; and ``torch.get_num_threads()``,
  ``mkl_get_max_threads()`` and the thread variables seen by the loky workers;
- whether ``threadpoolctl.threadpool_limits(1)`` limits torch: in a fresh
  process, once with torch's default threads and once after
  ``torch.set_num_threads``, a short fit of the same model outside, inside the
  limit and under ``torch.set_num_threads(1)``, with the threads it used.

Run it on an otherwise idle machine: when other work takes a core, torch's two
threads in the calling process can slow down many-fold (they wait on each other)
while the one-thread workers do not, which flatters ``n_jobs=2``.

Run from anywhere::

    python benchmarks/grid_search.py            # about 3 minutes on 2 cores
    python benchmarks/grid_search.py --quick    # smoke test, under a minute

A standalone script: the test suite never imports or runs it.
"""

import argparse
import json
import multiprocessing
import os
import re
import shlex
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import torch
from _harness import interleaved, machine, ratio_table, summary_row, write_json
from joblib.externals.loky import get_reusable_executor
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback
from threadpoolctl import threadpool_info, threadpool_limits

from skvae import VAETransformer

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO / "benchmarks" / "results" / "grid_search.json"

BETAS = (0.1, 0.5, 1.0, 2.0, 4.0)
CV = 3
N_JOBS = 2
TARGET_RATIO = 0.7
# loky's default in each worker: the cores shared out between the workers.
WORKER_THREADS = max(os.cpu_count() // N_JOBS, 1)
# A thread counts as used when it ran for at least this share of the busiest one.
ACTIVE_SHARE = 0.1

PROTOCOL = (
    "GridSearchCV(VAETransformer(max_epochs=E, random_state=0), {'beta': BETAS}, "
    "cv=3, n_jobs=J).fit(digits) with no scoring and refit=True; the estimator "
    "carries a skorch callback that records, per fit, torch.get_num_threads(), "
    "MKL's limit, OMP/MKL_NUM_THREADS and the OS threads of its process that "
    "used CPU during training (at least 10% of the busiest thread's CPU time, "
    "from /proc/self/task). Before timing: one untimed 1-epoch search with each "
    "n_jobs. Then `repeats` rounds of (n_jobs=1, n_jobs=2 warm, n_jobs=2 cold), "
    "the order reversed every other round; 'cold' first shuts down loky's "
    "reusable executor (untimed), so its workers start and import torch inside "
    "the timed fit; 'warm' reuses the running workers. Time: time.perf_counter "
    "around GridSearchCV.fit. Ratio: fastest n_jobs=2 round over fastest "
    "n_jobs=1 round; the target is judged on the cold start. threadpoolctl: in "
    "a fresh spawned process (torch threads never set, or set to cpu_count "
    "first), a fit of VAETransformer(max_epochs=P) on the digits outside "
    "threadpool_limits(1), inside it, and after torch.set_num_threads(1), each "
    "after an untimed warm-up fit, with the threads it used."
)


# -- which threads a process uses ------------------------------------------------


def thread_cpu_ticks():
    """CPU time (clock ticks) of each OS thread of this process; {} off Linux."""
    ticks = {}
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return ticks
    for tid in tids:
        try:
            with open(f"/proc/self/task/{tid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        ticks[tid] = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks


def active_threads(before, after):
    """How many threads ran for ``ACTIVE_SHARE`` of the busiest one's CPU time."""
    used = [after[tid] - before.get(tid, 0) for tid in after]
    if not used or max(used) <= 0:
        return None
    return sum(u >= ACTIVE_SHARE * max(used) for u in used)


def mkl_threads():
    """MKL's thread limit as torch reports it, or None without MKL."""
    found = re.search(
        r"mkl_get_max_threads\(\) : (\d+)", torch.__config__.parallel_info()
    )
    return int(found.group(1)) if found else None


def process_threads():
    """Thread settings of the calling process, as torch and the environment see them."""
    return {
        "pid": os.getpid(),
        "torch_threads": torch.get_num_threads(),
        "mkl_threads": mkl_threads(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "MKL_NUM_THREADS": os.environ.get("MKL_NUM_THREADS"),
    }


class ThreadProbe(Callback):
    """Append each fit's thread use, as a JSON line, to ``<directory>/<pid>.jsonl``."""

    def __init__(self, directory):
        self.directory = directory

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.ticks_ = thread_cpu_ticks()

    def on_train_end(self, net, X=None, y=None, **kwargs):
        record = process_threads()
        record["active_threads"] = active_threads(self.ticks_, thread_cpu_ticks())
        path = Path(self.directory) / f"{os.getpid()}.jsonl"
        with path.open("a") as lines:
            lines.write(json.dumps(record) + "\n")


def read_probes(directory):
    """Take the records the fits left in ``directory``, emptying it."""
    records = []
    for path in sorted(Path(directory).glob("*.jsonl")):
        records += [json.loads(line) for line in path.read_text().splitlines()]
        path.unlink()
    return records


# -- the timed searches --------------------------------------------------------


def run_search(X, n_jobs, epochs, betas, probe_dir, cold=False):
    """Fit one grid search; return its wall time, outcome and thread records."""
    if cold:
        get_reusable_executor().shutdown(wait=True, kill_workers=True)
    search = GridSearchCV(
        VAETransformer(
            max_epochs=epochs,
            random_state=0,
            callbacks=[("thread_probe", ThreadProbe(str(probe_dir)))],
        ),
        {"beta": list(betas)},
        cv=CV,
        n_jobs=n_jobs,
    )
    start = time.perf_counter()
    search.fit(X)
    seconds = time.perf_counter() - start
    records = read_probes(probe_dir)
    parent = os.getpid()
    return {
        "fit_s": seconds,
        "best_beta": search.best_params_["beta"],
        "mean_test_scores": [float(s) for s in search.cv_results_["mean_test_score"]],
        "fits_in_workers": [r for r in records if r["pid"] != parent],
        "fits_in_caller": [r for r in records if r["pid"] == parent],
    }


# -- does threadpoolctl reach torch? -----------------------------------------------


def timed_fit(X, epochs):
    """Seconds and threads used by one fit, after an untimed warm-up fit."""
    estimator = VAETransformer(max_epochs=epochs, random_state=0)
    estimator.fit(X)
    before, start = thread_cpu_ticks(), time.perf_counter()
    estimator.fit(X)
    seconds = time.perf_counter() - start
    return {
        "torch_threads": torch.get_num_threads(),
        "fit_s": seconds,
        "active_threads": active_threads(before, thread_cpu_ticks()),
    }


def threadpoolctl_probe(set_threads, epochs):
    """In this (fresh) process: does ``threadpool_limits(1)`` limit torch?"""
    if set_threads is not None:
        torch.set_num_threads(set_threads)
    X = load_digits().data
    result = {
        "torch_threads_before": torch.get_num_threads(),
        # torch's MKL is linked statically: threadpoolctl sees only its OpenMP.
        "libraries_threadpoolctl_sees": [
            f"{lib['internal_api']} ({Path(lib['filepath']).name})"
            for lib in threadpool_info()
        ],
    }
    result["outside"] = timed_fit(X, epochs)
    with threadpool_limits(1):
        result["inside"] = timed_fit(X, epochs)
    result["torch_threads_after"] = torch.get_num_threads()
    torch.set_num_threads(1)
    result["set_num_threads(1)"] = timed_fit(X, epochs)
    return result


def fresh_process(function, *args):
    """Call ``function(*args)`` in a new spawned Python process."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


# -- report --------------------------------------------------------------------


def used_threads(runs, where):
    """Distinct (torch threads, active threads) of the fits ``where`` in ``runs``."""
    return sorted(
        {(r["torch_threads"], r["active_threads"]) for run in runs for r in run[where]},
        key=str,
    )


def fastest(runs):
    """Wall time of the fastest of ``runs``."""
    return min(run["value"]["fit_s"] for run in runs)


def summarise(runs, probes):
    """Per-case table, summary rows and JSON summary."""
    values = {name: [run["value"] for run in case] for name, case in runs.items()}
    serial = fastest(runs["n_jobs=1"])
    table, rows = [], []
    for name, case in values.items():
        best = fastest(runs[name])
        where = "fits_in_caller" if name == "n_jobs=1" else "fits_in_workers"
        threads = used_threads(case, where)
        table.append(
            {
                "case": name,
                "fit s per round": " ".join(f"{v['fit_s']:.1f}" for v in case),
                "fastest s": best,
                "/ n_jobs=1": best / serial,
                "torch threads per fit": " ".join(str(t) for t, _ in threads),
                "threads used per fit": " ".join(str(a) for _, a in threads),
                "best beta": " ".join(str(v["best_beta"]) for v in case),
            }
        )
        rows.append(
            summary_row(f"GridSearchCV {name}", "wall time s (fastest round)", best)
        )
    for name, judged in (("n_jobs=2 cold", True), ("n_jobs=2 warm", False)):
        ratio = fastest(runs[name]) / serial
        target = TARGET_RATIO if judged else None
        rows.append(
            summary_row(
                f"GridSearchCV {name}", "wall time / n_jobs=1", ratio, at_most=target
            )
        )
    worker_fits = [
        r
        for name in ("n_jobs=2 cold", "n_jobs=2 warm")
        for v in values[name]
        for r in v["fits_in_workers"]
    ]
    most = max(max(r["torch_threads"], r["active_threads"] or 0) for r in worker_fits)
    rows.append(
        summary_row(
            "GridSearchCV n_jobs=2 worker fits",
            "torch threads used per fit (most)",
            most,
            at_most=WORKER_THREADS,
        )
    )
    for label, probe in probes["threadpoolctl"].items():
        rows.append(
            summary_row(
                f"threadpool_limits(1), {label}",
                "threads used by a fit inside the limit",
                probe["inside"]["active_threads"] or 0,
            )
        )
    first = values["n_jobs=1"][0]["mean_test_scores"]
    summary = {
        "serial_s": serial,
        "cold_ratio": fastest(runs["n_jobs=2 cold"]) / serial,
        "warm_ratio": fastest(runs["n_jobs=2 warm"]) / serial,
        "target_ratio": TARGET_RATIO,
        "judged_on": "n_jobs=2 cold",
        "same_best_beta": len({v["best_beta"] for c in values.values() for v in c})
        == 1,
        "max_mean_test_score_difference": max(
            abs(a - b)
            for case in values.values()
            for v in case
            for a, b in zip(v["mean_test_scores"], first, strict=True)
        ),
    }
    return table, rows, summary


def threadpoolctl_table(probes):
    """One row per fit of the threadpoolctl probes."""
    table = []
    for label, probe in probes.items():
        for where in ("outside", "inside", "set_num_threads(1)"):
            fit = probe[where]
            table.append(
                {
                    "process": label,
                    "fit": {"inside": "in threadpool_limits(1)"}.get(where, where),
                    "torch.get_num_threads()": fit["torch_threads"],
                    "threads used": fit["active_threads"],
                    "fit s": fit["fit_s"],
                }
            )
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count(),
        help="torch threads of the calling process (default: torch's, one per core)",
    )
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--betas", type=float, nargs="+", default=list(BETAS))
    parser.add_argument("--repeats", type=int, default=2, help="interleaved rounds")
    parser.add_argument(
        "--probe-epochs", type=int, default=30, help="epochs of a threadpoolctl fit"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 10 epochs, 3 betas, 1 round, 5-epoch threadpoolctl fits",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.betas, args.probe_epochs = 10, [0.5, 1.0, 2.0], 5
        args.repeats = 1
    output = args.output if args.output.is_absolute() else REPO / args.output

    torch.set_num_threads(args.threads)
    info = machine()
    print("machine:", ", ".join(f"{k}={v}" for k, v in info.items()))
    print(
        f"GridSearchCV(VAETransformer(max_epochs={args.epochs}), beta in "
        f"{args.betas}, cv={CV}) on the digits, n_jobs=1 vs {N_JOBS}; "
        f"{args.repeats} interleaved rounds, compared by the fastest\n"
    )
    start = time.perf_counter()
    phases = {}

    probes = {
        "threadpoolctl": {
            "torch threads never set": fresh_process(
                threadpoolctl_probe, None, args.probe_epochs
            ),
            f"after torch.set_num_threads({os.cpu_count()})": fresh_process(
                threadpoolctl_probe, os.cpu_count(), args.probe_epochs
            ),
        },
        "caller": process_threads(),
    }
    ratio_table(threadpoolctl_table(probes["threadpoolctl"]))
    first = next(iter(probes["threadpoolctl"].values()))
    print("threadpoolctl sees:", ", ".join(first["libraries_threadpoolctl_sees"]))
    phases["probes_s"] = time.perf_counter() - start

    X = load_digits().data
    with tempfile.TemporaryDirectory() as probe_dir:
        # Untimed: imports and first fits in this process, loky's workers started.
        run_search(X, 1, 1, args.betas, probe_dir)
        warm_up = run_search(X, N_JOBS, 1, args.betas, probe_dir)
        probes["loky_worker"] = warm_up["fits_in_workers"][0]
        print("\nin a loky worker:", probes["loky_worker"], "\n")
        phases["warm_up_s"] = time.perf_counter() - start - phases["probes_s"]
        cases = {
            "n_jobs=1": lambda: run_search(X, 1, args.epochs, args.betas, probe_dir),
            "n_jobs=2 warm": lambda: run_search(
                X, N_JOBS, args.epochs, args.betas, probe_dir
            ),
            "n_jobs=2 cold": lambda: run_search(
                X, N_JOBS, args.epochs, args.betas, probe_dir, cold=True
            ),
        }
        runs = interleaved(cases, args.repeats, warmup=0)
    table, rows, summary = summarise(runs, probes)
    ratio_table(table)
    print()
    ratio_table(rows)
    elapsed = time.perf_counter() - start

    write_json(
        output,
        {
            "benchmark": "grid_search",
            "command": shlex.join([Path(sys.executable).name, *sys.argv]),
            "machine": info,
            "settings": {
                "epochs": args.epochs,
                "betas": args.betas,
                "cv": CV,
                "n_jobs": N_JOBS,
                "repeats": args.repeats,
                "threads": args.threads,
                "probe_epochs": args.probe_epochs,
                "quick": args.quick,
                "data": "sklearn.datasets.load_digits (1797 x 64)",
            },
            "protocol": PROTOCOL,
            "summary": summary,
            "rows": rows,
            "probes": probes,
            "phases": phases,
            "runs": {
                name: [{"call_s": r["seconds"], **r["value"]} for r in case]
                for name, case in runs.items()
            },
            "elapsed_s": elapsed,
        },
    )
    print(f"\nwrote {output} ({elapsed:.0f} s)")
    return rows


if __name__ == "__main__":
    main()
