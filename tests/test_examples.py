"""The gallery examples run to the end (in their quick mode)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize(
    ("script", "expected"),
    [("plot_model_selection.py", "Best parameters: {'beta': ")],
)
def test_example_runs(script, expected):
    """The example completes with a tiny grid and prints its result line."""
    env = {
        **os.environ,
        "SKVAE_EXAMPLE_QUICK": "1",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",
    }
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
