"""The README's quickstart runs, and CI runs the README's test command."""

import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _code_blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_quickstart_runs():
    """The README's quickstart block runs and its shape comments hold."""
    quickstart = _code_blocks("python")[0]
    namespace = {}
    exec(compile(quickstart, "README.md", "exec"), namespace)
    assert namespace["Z"].shape == (300, 2)
    assert namespace["X_back"].shape == (300, 8)
    assert namespace["new_rows"].shape == (100, 8)
    assert namespace["log_lik"].shape == (300,)
    assert np.all(np.isfinite(namespace["log_lik"]))


def test_ci_runs_the_readme_test_command():
    """.ci/run ends with exactly the README's test command."""
    test_command = next(b for b in _code_blocks("bash") if "pytest" in b).strip()
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == test_command


def test_mnist_picture_code_runs(tiny_mnist):
    """The README's MNIST block runs (on tiny stand-in files) and plots."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pictures = _code_blocks("python")[1]
    pictures = pictures.replace("max_epochs=10", "max_epochs=1")
    namespace = {"DIR": tiny_mnist}
    exec(compile(pictures, "README.md", "exec"), namespace)
    vae = namespace["vae"]
    assert vae.image_shape == (1, 28, 28)
    assert vae.n_iter_ == 1
    assert "ConvEncoder" in str(vae.summary())
    assert len(plt.get_fignums()) == 2  # the latent space and the decoded grid
    plt.close("all")


def test_anomaly_block_runs():
    """The README's anomaly block runs and its AUC comment holds."""
    block = _code_blocks("python")[2]
    namespace = {}
    exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["auc"] == pytest.approx(0.94, abs=0.01)
    assert set(np.unique(namespace["flags"])) <= {-1, 1}
    assert namespace["errors"].shape == (1, 64)


def test_saving_block_runs(tmp_path, monkeypatch):
    """The README's saving block saves and loads the anomaly block's detector,
    which then flags the same rows."""
    monkeypatch.chdir(tmp_path)
    namespace = {}
    anomaly = _code_blocks("python")[2].replace("max_epochs=50", "max_epochs=2")
    exec(compile(anomaly, "README.md", "exec"), namespace)
    flags = namespace["detector"].predict(namespace["new"])
    exec(compile(_code_blocks("python")[3], "README.md", "exec"), namespace)
    assert (tmp_path / "detector.skvae").is_file()
    np.testing.assert_array_equal(
        namespace["detector"].predict(namespace["new"]), flags
    )
