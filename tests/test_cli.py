"""Tests for the ``skvae`` command line."""

import subprocess
import sys

import pytest
import torch

from skvae._cli import main
from skvae.datasets import _remote

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


DEMO_PICTURES = [
    "latent_space.png",
    "latent_space_cdf.png",
    "reconstructions.png",
    "latent_grid.png",
    "interpolation.png",
    "samples.png",
    "training_curves.png",
    "reconstruction_progress.png",
    "ae_vs_vae_latent_space.png",
    "ae_vs_vae_samples.png",
]


def _assert_pictures(out, stdout):
    for name in DEMO_PICTURES:
        data = (out / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert len(data) > 1000
        assert f"Wrote {out / name}" in stdout


def test_demo_writes_plots_and_reports_scores(tmp_path, capsys):
    """A short demo run exits 0, writes every PNG and prints times and scores."""
    out = tmp_path / "new" / "demo"
    threads = torch.get_num_threads()

    assert main(["demo", "--output-dir", str(out), "--max-epochs", "2"]) == 0

    stdout = capsys.readouterr().out
    _assert_pictures(out, stdout)
    assert "Dataset: digits, 1437 training images of 1x8x8 pixels, epochs: 2" in stdout
    assert "VAE fit time:" in stdout
    assert "AE fit time:" in stdout
    assert "Held-out score (mean ELBO):" in stdout
    assert "Train score (mean ELBO):" in stdout
    assert torch.get_num_threads() == threads


def test_demo_on_mnist_trains_conv_models_and_writes_every_picture(
    tiny_mnist, tmp_path, capsys
):
    """``--dataset mnist`` trains conv models on the files in --data-home."""
    out = tmp_path / "out"
    argv = ["demo", "--dataset", "mnist", "--data-home", str(tiny_mnist)]

    assert main([*argv, "--output-dir", str(out), "--max-epochs", "1"]) == 0

    captured = capsys.readouterr()
    _assert_pictures(out, captured.out)
    assert "Dataset: mnist, 40 training images of 1x28x28 pixels" in captured.out
    assert "Training the conv VAE" in captured.out
    assert "it/s" in captured.err  # the progress bar shows training is alive


def test_demo_on_missing_mnist_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    """Missing MNIST files that cannot be downloaded give one line and status 1."""

    def offline(url, timeout=None):
        raise OSError("network is unreachable")

    monkeypatch.setattr(_remote, "_urlopen", offline)
    argv = ["demo", "--dataset", "mnist", "--data-home", str(tmp_path / "empty")]

    code = main([*argv, "--output-dir", str(tmp_path / "out")])

    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("skvae: error: cannot load MNIST")
    assert len(err.strip().splitlines()) == 1


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
        ["demo", "--dataset", "cifar"],
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
