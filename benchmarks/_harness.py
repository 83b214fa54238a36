"""Shared helpers of the speed benchmarks: machine, interleaved timing, output.

The host flips between fast and slow modes, so the cases being compared are run
round-robin in one process (``interleaved``) and compared round by round or by
their minima, never against timings taken at another moment.
"""

import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import sklearn
import skorch
import torch

import skvae


def machine():
    """Where and with what the benchmark ran (call after ``torch.set_num_threads``)."""
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "skorch": skorch.__version__,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "skvae": skvae.__version__,
    }


def interleaved(cases, repeats, warmup=1):
    """Run the callables of ``cases`` round-robin, ``repeats`` rounds.

    The order is reversed every other round, so no case always runs first.
    ``warmup`` untimed rounds come before. Returns ``{name: [run, ...]}`` with one
    ``{"seconds": wall time of the call, "value": what it returned}`` per round.
    """
    names = list(cases)
    for _ in range(warmup):
        for name in names:
            cases[name]()
    runs = {name: [] for name in names}
    for round_ in range(repeats):
        for name in names if round_ % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            value = cases[name]()
            runs[name].append({"seconds": time.perf_counter() - start, "value": value})
    return runs


def reference_epoch(
    module, optimizer, rows, batch_size, generator=None, binarize=False
):
    """One epoch of the hand-written loop the benchmarks compare skvae against.

    A shuffled copy of the tensor ``rows`` cut into slices; per slice (with
    ``binarize``, a fresh 0/1 draw of it), one noise draw, the negative ELBO of the
    ``skvae.nn.VAE`` ``module`` and an optimiser step. Draws come from
    ``generator`` (torch's global one when None). Returns the wall time in seconds.
    """
    start = time.perf_counter()
    module.train()
    shuffled = rows[torch.randperm(len(rows), generator=generator)]
    for x in shuffled.split(batch_size):
        if binarize:
            x = torch.bernoulli(x, generator=generator)
        eps = torch.randn(len(x), module.latent_dim, generator=generator)
        out = module(x, eps)
        loss = -(out.log_px_z - out.kl).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def epoch_median(durations):
    """Median epoch duration, leaving out the first (warm-up) epoch."""
    return statistics.median(durations[1:] if len(durations) > 1 else durations)


def summary_row(case, measure, value, *, at_most=None, at_least=None):
    """One row of ``run_all``'s table: ``value`` against its target, if any."""
    if at_most is not None:
        target, met = f"<= {at_most}", value <= at_most
    elif at_least is not None:
        target, met = f">= {at_least}", value >= at_least
    else:
        target, met = "", None
    met = None if met is None else bool(met)
    return {
        "case": case,
        "measure": measure,
        "value": float(value),
        "target": target,
        "met": met,
    }


def write_json(path, payload):
    """Write ``payload`` as indented JSON, creating the folder if needed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")


def ratio_table(rows):
    """Print ``rows`` (dicts with the same keys) as an aligned table; return it."""
    header = list(rows[0])
    cells = [header] + [[_cell(row[key]) for key in header] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    text = "\n".join(lines)
    print(text)
    return text


def _cell(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
