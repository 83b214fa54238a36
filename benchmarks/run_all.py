"""Run every speed benchmark and print one table of the figures against the targets.

Each benchmark script times skvae against a hand-written PyTorch loop in the same
run and writes its own JSON under ``benchmarks/results/``; this script runs them
one after another in this process (nothing else should run on the machine
meanwhile), collects their summary rows and writes
``benchmarks/results/summary.json``. The targets are ``_harness.TARGETS``, the
one table every script judges by. On a 2-core machine the full run takes about
20 minutes; ``--quick`` is a smoke test of a couple of minutes whose figures
mean little, written to a temporary folder so the results are left alone.
``--only`` picks benchmarks by name.

Run from anywhere::

    python benchmarks/run_all.py
    python benchmarks/run_all.py --only mnist inference

A standalone script: the test suite never imports or runs it.
"""

import importlib
import shlex
import time

from _harness import TARGETS, Run, make_parser, parse_args, ratio_table

# name -> (module, its arguments, those of the full run only: under --quick the
# script's own smoke-test settings apply). Each also gets --results and --quick.
BENCHMARKS = {
    "small_data": ("small_data", [], []),
    "whole_calls": ("whole_calls", [], []),
    "mnist": ("mnist", ["--architecture", "mlp"], ["--epochs", "30"]),
    "mnist_conv": ("mnist", ["--architecture", "conv"], ["--epochs", "10"]),
    "inference": ("inference", [], []),
    "scaling": ("scaling", [], []),
    "grid_search": ("grid_search", [], []),
    "persist": ("persist", [], []),
}


def main(argv=None):
    parser = make_parser(__doc__, seed=False)
    parser.add_argument(
        "--only", nargs="+", choices=list(BENCHMARKS), default=list(BENCHMARKS)
    )
    args = parse_args(parser, argv)
    run = Run(args)
    rows, seconds = [], {}
    for name in args.only:
        module_name, arguments, full = BENCHMARKS[name]
        arguments = [*arguments, "--results", str(run.results)]
        arguments += ["--quick"] if args.quick else full
        print(f"\n=== {name}: {module_name}.py {shlex.join(arguments)}", flush=True)
        began = time.perf_counter()
        rows += importlib.import_module(module_name).main(arguments)
        seconds[name] = time.perf_counter() - began

    print("\n=== targets (benchmarks/_harness.py TARGETS)")
    ratio_table(
        [
            {"target": name, "bound": str(target), "why": target.reason}
            for name, target in TARGETS.items()
        ]
    )
    print(f"\n=== summary ({run.elapsed() / 60:.1f} min)")
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
    run.write(
        "summary", benchmark="run_all", seconds=seconds, summary=rows, table=table
    )
    return rows


if __name__ == "__main__":
    main()
