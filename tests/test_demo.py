"""Tests for ``skvae demo``: training, the printed scores and the pictures."""

import pytest
import torch
from matplotlib.figure import Figure

from skvae._cli import main
from skvae._commands import CommandError
from skvae._demo import _save, torch_threads
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


def test_picture_that_cannot_be_written_is_a_command_error(tmp_path, capsys):
    """A PNG that cannot be written raises a CommandError naming it."""
    folder = tmp_path / "gone"
    with pytest.raises(CommandError, match=r"^cannot write '.*gone/a\.png': "):
        _save(folder, Figure(), "a.png")
    assert capsys.readouterr().out == ""


def test_torch_threads_sets_then_restores_the_thread_count():
    """The block runs with the asked thread count (None: unchanged), then the old."""
    before = torch.get_num_threads()
    other = 2 if before == 1 else 1
    with torch_threads(other):
        assert torch.get_num_threads() == other
    assert torch.get_num_threads() == before
    with torch_threads(None):
        assert torch.get_num_threads() == before
