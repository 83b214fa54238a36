"""Run every speed benchmark and print one table of the figures against the targets.

Each benchmark script times skvae against a hand-written PyTorch loop in the same
run and writes its own JSON under ``benchmarks/results/``; this script runs them
one after another in this process (nothing else should run on the machine
meanwhile), collects their summary rows and writes
``benchmarks/results/summary.json``. On a 2-core machine the full run takes about
20 minutes; ``--quick`` is a smoke test of a couple of minutes whose figures
mean little, written to a temporary folder so the results are left alone.
``--only`` picks benchmarks by name.

Run from anywhere::

    python benchmarks/run_all.py
    python benchmarks/run_all.py --only mnist inference

A standalone script: the test suite never imports or runs it.
"""

import argparse
import importlib
import shlex
import sys
import tempfile
import time
from pathlib import Path

from _harness import machine, ratio_table, write_json

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"

# name -> (module, arguments of the full run, arguments of the smoke test)
BENCHMARKS = {
    "small_data": ("small_data", [], ["--epochs", "5", "--repeats", "1"]),
    "mnist": ("mnist", ["--architecture", "mlp", "--epochs", "30"], ["--quick"]),
    "mnist_conv": (
        "mnist",
        ["--architecture", "conv", "--epochs", "10"],
        ["--architecture", "conv", "--quick"],
    ),
    "inference": ("inference", [], ["--quick"]),
    "scaling": ("scaling", [], ["--quick"]),
    "grid_search": ("grid_search", [], ["--quick"]),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke-test settings")
    parser.add_argument(
        "--only", nargs="+", choices=list(BENCHMARKS), default=list(BENCHMARKS)
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help="folder for the JSON files (default: benchmarks/results, or a "
        "temporary folder with --quick, so a smoke test never overwrites results)",
    )
    args = parser.parse_args(argv)
    results = args.results or (
        Path(tempfile.gettempdir()) / "skvae-benchmarks-quick"
        if args.quick
        else RESULTS
    )

    info = machine()
    rows, seconds = [], {}
    start = time.perf_counter()
    for name in args.only:
        module_name, full, quick = BENCHMARKS[name]
        arguments = [
            *(quick if args.quick else full),
            "--output",
            str(results / f"{name}.json"),
        ]
        print(f"\n=== {name}: {module_name}.py {shlex.join(arguments)}", flush=True)
        began = time.perf_counter()
        rows += importlib.import_module(module_name).main(arguments)
        seconds[name] = time.perf_counter() - began
    elapsed = time.perf_counter() - start

    print(f"\n=== summary ({elapsed / 60:.1f} min)")
    table = ratio_table(
        [
            {
                "case": row["case"],
                "measure": row["measure"],
                "value": row["value"],
                "target": row["target"] or "-",
                "met": {True: "yes", False: "NO", None: "-"}[row["met"]],
            }
            for row in rows
        ]
    )
    output = results / "summary.json"
    write_json(
        output,
        {
            "benchmark": "run_all",
            "command": shlex.join([Path(sys.executable).name, *sys.argv]),
            "machine": info,
            "quick": args.quick,
            "seconds": seconds,
            "elapsed_s": elapsed,
            "summary": rows,
            "table": table,
        },
    )
    print(f"\nwrote {output}")
    return rows


if __name__ == "__main__":
    main()
