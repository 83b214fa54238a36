"""Tests for the ``skvae`` command line: arguments, help, exit statuses, dispatch."""

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from skvae import __version__, _cli
from skvae._cli import _contamination, _positive_int, _seed, main
from skvae._commands import CommandError


def test_python_m_skvae_demo_help():
    """``python -m skvae demo --help`` exits 0 and documents --output-dir."""
    result = subprocess.run(
        [sys.executable, "-m", "skvae", "demo", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "--output-dir" in result.stdout
    assert "--max-epochs" in result.stdout


def test_no_command_prints_usage(capsys):
    """Without a command, main prints usage and returns argparse's status 2."""
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: skvae")


@pytest.mark.parametrize(
    "argv",
    [
        ["demo", "--max-epochs", "0"],
        ["demo", "--max-epochs", "many"],
        ["demo", "--random-state", "-1"],
        ["demo", "--dataset", "cifar"],
        ["no-such-command"],
        ["anomaly"],
        ["anomaly", "fit", "x.csv"],
        ["anomaly", "fit", "x.csv", "--model", "m", "--latent-dim", "0"],
        ["anomaly", "fit", "x.csv", "--model", "m", "--model-type", "pca"],
        ["anomaly", "score", "m"],
        ["anomaly", "score", "m", "d", "--header", "maybe"],
    ],
)
def test_bad_arguments_are_usage_errors(argv, capsys):
    """Bad arguments return 2 with an ``skvae ... error:`` message, no traceback."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "error:" in err
    assert "Traceback" not in err


def test_help_returns_zero(capsys):
    """``--help`` returns 0 instead of raising SystemExit."""
    assert main(["--help"]) == 0
    assert "demo" in capsys.readouterr().out


def test_version_prints_the_version(capsys):
    """``--version`` prints ``skvae`` and the package version, and returns 0."""
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"skvae {__version__}\n"


def test_bad_contamination_is_a_usage_error(tmp_path, capsys):
    """--contamination outside (0, 0.5] is refused before any file is read."""
    argv = ["anomaly", "fit", "x.csv", "--model", "m", "--contamination", "0.7"]
    assert main(argv) == 2
    assert "in (0, 0.5], got '0.7'" in capsys.readouterr().err


def test_anomaly_help_explains_both_commands(capsys):
    """``skvae anomaly --help`` names fit and score and warns about pickles."""
    assert main(["anomaly", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "fit train a detector" in text
    assert "score score the rows" in text
    assert "info say what a saved model is" in text
    assert "reading one runs no code from it, and pickles are refused" in text


DEMO_DEFAULTS = {
    "dataset": "digits",
    "data_home": None,
    "output_dir": Path("skvae-demo"),
    "max_epochs": None,
    "random_state": 0,
}
FIT_DEFAULTS = {
    "train": Path("t.csv"),
    "model": Path("m"),
    "model_type": "vae",
    "latent_dim": None,
    "max_epochs": None,
    "score_by": "auto",
    "contamination": "auto",
    "random_state": 0,
    "header": "auto",
}


@pytest.mark.parametrize(
    "argv, handler, options",
    [
        (["demo"], "run_demo", DEMO_DEFAULTS),
        (
            ["demo", "--dataset", "mnist", "--data-home", "d", "--output-dir", "o"]
            + ["--max-epochs", "3", "--random-state", "7"],
            "run_demo",
            {
                "dataset": "mnist",
                "data_home": Path("d"),
                "output_dir": Path("o"),
                "max_epochs": 3,
                "random_state": 7,
            },
        ),
        (["anomaly", "fit", "t.csv", "--model", "m"], "run_fit", FIT_DEFAULTS),
        (
            ["anomaly", "fit", "t.csv", "--model", "m", "--model-type", "ae"]
            + ["--latent-dim", "3", "--max-epochs", "4", "--score-by"]
            + ["reconstruction", "--contamination", "0.1", "--random-state", "5"]
            + ["--header", "no"],
            "run_fit",
            {
                **FIT_DEFAULTS,
                "model_type": "ae",
                "latent_dim": 3,
                "max_epochs": 4,
                "score_by": "reconstruction",
                "contamination": 0.1,
                "random_state": 5,
                "header": "no",
            },
        ),
        (
            ["anomaly", "score", "m", "d"],
            "run_score",
            {"model": Path("m"), "data": Path("d"), "output": None, "header": "auto"},
        ),
        (
            ["anomaly", "score", "m", "d", "-o", "out.csv", "--header", "yes"],
            "run_score",
            {"model": Path("m"), "data": Path("d"), "output": Path("out.csv")}
            | {"header": "yes"},
        ),
    ],
)
def test_options_reach_the_command_as_keyword_arguments(
    argv, handler, options, monkeypatch
):
    """Each command's handler gets exactly its parsed options, by name."""
    calls = []
    monkeypatch.setattr(_cli, handler, lambda **kwargs: calls.append(kwargs))

    assert main(argv) == 0

    assert calls == [options]


def _raise(exc):
    def handler(**options):
        raise exc

    return handler


def test_command_error_is_one_line_and_status_1(monkeypatch, capsys):
    """A CommandError from a command is printed as one line and returns 1."""
    monkeypatch.setattr(_cli, "run_demo", _raise(CommandError("x.csv: no such file")))

    assert main(["demo"]) == 1

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "skvae: error: x.csv: no such file\n"


def test_interrupt_returns_130(monkeypatch, capsys):
    """Ctrl-C during a command prints one line and returns 130, no traceback."""
    monkeypatch.setattr(_cli, "run_score", _raise(KeyboardInterrupt()))

    assert main(["anomaly", "score", "m", "d"]) == 130

    assert capsys.readouterr().err == "skvae: interrupted\n"


@pytest.mark.parametrize(
    "parse, text, value",
    [
        (_positive_int, "1", 1),
        (_positive_int, "25", 25),
        (_seed, "0", 0),
        (_seed, "4294967295", 2**32 - 1),
        (_contamination, "auto", "auto"),
        (_contamination, "0.5", 0.5),
        (_contamination, "1e-3", 0.001),
    ],
)
def test_argument_types_accept_valid_values(parse, text, value):
    """The argument types turn valid text into the value the command gets."""
    assert parse(text) == value


@pytest.mark.parametrize(
    "parse, text, message",
    [
        (_positive_int, "0", "must be a positive integer, got 0"),
        (_seed, "-1", r"must be in \[0, 2\*\*32\), got -1"),
        (_seed, "4294967296", r"must be in \[0, 2\*\*32\), got 4294967296"),
        (_contamination, "0", r"must be 'auto' or a number in \(0, 0.5\], got '0'"),
        (_contamination, "0.7", r"in \(0, 0.5\], got '0.7'"),
        (_contamination, "nan", r"in \(0, 0.5\], got 'nan'"),
        (_contamination, "many", r"in \(0, 0.5\], got 'many'"),
    ],
)
def test_argument_types_refuse_invalid_values(parse, text, message):
    """Out-of-range text is refused with a message saying what is allowed."""
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        parse(text)


def test_ctrl_c_during_anomaly_fit_exits_130_and_writes_nothing(tmp_path):
    """A real SIGINT while the detector trains: exit 130, no model file."""
    data = tmp_path / "train.csv"
    rows = np.random.RandomState(0).normal(size=(200, 3))
    np.savetxt(data, rows, delimiter=",", header="a,b,c", comments="")
    model = tmp_path / "model.skvae"
    script = (
        "import os, signal, sys, threading\n"
        "from skvae._cli import main\n"
        "threading.Timer(2.0, os.kill, (os.getpid(), signal.SIGINT)).start()\n"
        f"sys.exit(main(['anomaly', 'fit', {str(data)!r}, '--model', {str(model)!r},"
        " '--max-epochs', '100000']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 130, result.stdout + result.stderr
    assert "interrupted" in result.stderr
    assert not model.exists()


def test_an_unwritable_stdout_is_one_line_and_status_1(monkeypatch, capsys):
    """A full disk behind stdout (OSError) is reported in one line, status 1."""
    error = OSError(28, "No space left on device")
    monkeypatch.setattr(_cli, "run_score", _raise(error))

    assert main(["anomaly", "score", "m", "d"]) == 1

    assert capsys.readouterr().err == "skvae: error: No space left on device\n"


def test_a_closed_stdout_is_not_an_error(monkeypatch):
    """Started with stdout closed (sys.stdout is None), output goes nowhere."""
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(_cli, "run_score", lambda **options: sys.stdout.write("1\n"))

    assert main(["anomaly", "score", "m", "d"]) == 0
