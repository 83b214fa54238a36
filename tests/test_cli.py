"""Tests for the ``skvae`` command line."""

import subprocess
import sys

import pytest
import torch

from skvae._cli import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_demo_writes_plots_and_reports_scores(tmp_path, capsys):
    """A short demo run exits 0, writes both PNGs and prints time and scores."""
    out = tmp_path / "new" / "demo"
    threads = torch.get_num_threads()

    assert main(["demo", "--output-dir", str(out), "--max-epochs", "2"]) == 0

    stdout = capsys.readouterr().out
    for name in ["latent_space.png", "samples.png"]:
        data = (out / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert len(data) > 1000
        assert str(out / name) in stdout
    assert "epochs: 2" in stdout
    assert "Fit time:" in stdout
    assert "Held-out score (mean ELBO):" in stdout
    assert "Train score (mean ELBO):" in stdout
    assert torch.get_num_threads() == threads


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


def test_output_dir_that_is_a_file_is_a_one_line_error(tmp_path, capsys):
    """An output folder that is an existing file fails with one line, no traceback."""
    path = tmp_path / "taken"
    path.write_text("keep me")

    code = main(["demo", "--output-dir", str(path), "--max-epochs", "1"])

    err = capsys.readouterr().err
    assert code != 0
    assert err.startswith("skvae: error: ")
    assert "not a folder" in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert path.read_text() == "keep me"


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
        ["no-such-command"],
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
