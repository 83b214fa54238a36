"""Tests for saving and loading the ``skvae anomaly`` model file."""

import json
import pickle
import re
import zipfile

import numpy as np
import pytest
import torch

from skvae import AutoencoderOutlierDetector, VAETransformer, _persist, save
from skvae._commands import CommandError
from skvae._model_store import (
    SAFE_FORMAT,
    check_destination,
    describe_model,
    load_model,
    save_model,
)

X = np.random.RandomState(0).normal(size=(30, 4))
COLUMNS = ["a", "b", "c", "d"]


@pytest.fixture(scope="module")
def detector():
    """A detector fitted in a few epochs, enough to check it survives a round trip."""
    model = VAETransformer(latent_dim=2, max_epochs=2)
    return AutoencoderOutlierDetector(model, random_state=0).fit(X)


@pytest.mark.parametrize("columns", [COLUMNS, None])
def test_load_model_returns_what_save_model_saved(columns, detector, tmp_path):
    """The loaded detector scores as the saved one; the column names come back."""
    path = tmp_path / "model.skvae"
    save_model(detector, path, columns=columns)

    loaded, loaded_columns = load_model(path)

    np.testing.assert_array_equal(loaded.score_samples(X), detector.score_samples(X))
    assert loaded.offset_ == detector.offset_
    assert loaded_columns == columns


def test_model_file_is_skvaes_format_with_the_columns(detector, tmp_path):
    """The file is skvae.save's zip (no pickle in it); the columns are its notes."""
    path = tmp_path / "model.skvae"
    save_model(detector, path, columns=COLUMNS)

    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        config = json.loads(archive.read(_persist.CONFIG))

    assert sorted(names) == [_persist.CONFIG, _persist.TENSORS]
    assert config["notes"] == {"columns": COLUMNS}
    assert config["model"]["class"] == "AutoencoderOutlierDetector"


def test_a_detector_saved_by_skvae_save_is_read(detector, tmp_path):
    """skvae.save's file of a detector scores too; it has no column names."""
    path = tmp_path / "model.skvae"
    save(detector, path)
    loaded, columns = load_model(path)
    assert columns is None
    np.testing.assert_array_equal(loaded.score_samples(X), detector.score_samples(X))


def test_save_model_replaces_a_file_and_leaves_no_temporary(detector, tmp_path):
    """An existing file is replaced, and the folder holds only the model after."""
    path = tmp_path / "model.skvae"
    path.write_text("old")

    save_model(detector, path, columns=None)

    assert load_model(path)[0].offset_ == detector.offset_
    assert [p.name for p in tmp_path.iterdir()] == ["model.skvae"]


def test_save_model_that_fails_leaves_nothing_behind(detector, tmp_path):
    """A model that cannot be written is a CommandError and no temporary remains."""
    path = tmp_path / "model.skvae"
    path.mkdir()

    with pytest.raises(
        CommandError, match=f"^cannot write model to {re.escape(str(path))}: "
    ):
        save_model(detector, path, columns=None)

    assert [p.name for p in tmp_path.iterdir()] == ["model.skvae"]


def test_check_destination_accepts_a_new_file_in_a_folder(tmp_path):
    """A path whose folder exists passes, whether or not a file is there."""
    check_destination(tmp_path / "model.skvae")


@pytest.mark.parametrize(
    "target, reason",
    [
        ("folder", "it is a folder"),
        ("under-a-file/out", "under-a-file is not a folder"),
        ("no-folder/out", "no-folder is not a folder"),
    ],
)
def test_check_destination_refuses_what_cannot_be_written(target, reason, tmp_path):
    """A folder, or a path under a file or a missing folder, is refused."""
    (tmp_path / "folder").mkdir()
    (tmp_path / "under-a-file").write_text("")
    path = tmp_path / target

    with pytest.raises(CommandError, match=re.escape(reason) + "$") as error:
        check_destination(path)

    assert str(error.value).startswith(f"cannot write model to {path}: ")


def _zip(**members):
    """The bytes of a zip archive of ``members`` (name: bytes)."""
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name.replace("__", "/").replace("_pkl", ".pkl"), data)
    return buffer.getvalue()


BAD_MODELS = [
    ("empty.skvae", b"", "empty.skvae is not a skvae model file: not a zip"),
    ("text.skvae", b"1,2,3,4\n", "text.skvae is not a skvae model file"),
    ("dict.pkl", pickle.dumps({"format": "other"}), "dict.pkl is a pickle, not a"),
    ("list.pkl", pickle.dumps([1, 2]), "list.pkl is a pickle, not a skvae model"),
    ("torch.pt", _zip(archive__data_pkl=b"x"), "holds a pickle ('archive/data.pkl')"),
    ("other.zip", _zip(readme=b"x"), "holds a member skvae never writes"),
]


@pytest.mark.parametrize(
    "name, content, message", BAD_MODELS, ids=[case[0] for case in BAD_MODELS]
)
def test_load_model_refuses_what_is_not_a_saved_model(name, content, message, tmp_path):
    """Any other file raises a one-line CommandError naming it."""
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(CommandError, match=re.escape(message)) as error:
        load_model(path)

    assert str(error.value).startswith(str(path))
    assert len(str(error.value).splitlines()) == 1


def test_load_model_refuses_a_model_that_is_not_a_detector(tmp_path):
    """A saved VAETransformer is a model file, but has no threshold to flag by."""
    path = tmp_path / "vae.skvae"
    save(VAETransformer(max_epochs=1).fit(X), path)
    with pytest.raises(CommandError, match="holds a VAETransformer, not an outlier"):
        load_model(path)


@pytest.mark.parametrize(
    "name, message",
    [("missing.pkl", "missing.pkl: no such file"), ("folder.pkl", "is a folder")],
)
def test_load_model_checks_the_file(name, message, tmp_path):
    """A missing model file or a folder raises a CommandError naming it."""
    if name == "folder.pkl":
        (tmp_path / name).mkdir()
    with pytest.raises(CommandError, match=re.escape(message)):
        load_model(tmp_path / name)


def _save_as_skvae_0_0_1(detector, path, monkeypatch):
    """save_model, as skvae 0.0.1 would have written the file."""
    versions = _persist._versions(skops=False)
    with monkeypatch.context() as patch:
        patch.setattr(
            _persist, "_versions", lambda skops: {**versions, "skvae": "0.0.1"}
        )
        save_model(detector, path, columns=None)


def test_load_model_says_when_another_version_saved_it(
    detector, tmp_path, capsys, monkeypatch
):
    """A model saved by another skvae loads, with one line on stderr saying so."""
    path = tmp_path / "old.skvae"
    _save_as_skvae_0_0_1(detector, path, monkeypatch)

    loaded, columns = load_model(path)
    assert columns is None
    np.testing.assert_array_equal(loaded.score_samples(X), detector.score_samples(X))

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"{path}: This model was saved with skvae 0.0.1")
    assert len(captured.err.splitlines()) == 1


def _fitted_copy(detector):
    return pickle.loads(pickle.dumps(detector))


def _with_nan_weights(detector):
    damaged = _fitted_copy(detector)
    with torch.no_grad():
        for parameter in damaged.estimator_.module_.parameters():
            parameter.fill_(float("nan"))
    return damaged


def _with_offset(detector, offset):
    forged = _fitted_copy(detector)
    forged.offset_ = offset
    return forged


# Models save_model writes, each wrong in one way, and the columns saved with them.
FORGED = {
    "unfitted": (
        lambda d: AutoencoderOutlierDetector(),
        None,
        "its detector is not fitted",
    ),
    "nan-threshold": (
        lambda d: _with_offset(d, float("nan")),
        None,
        "offset_ is nan, not a finite number",
    ),
    "infinite-threshold": (
        lambda d: _with_offset(d, -float("inf")),
        None,
        "offset_ is -inf, not a finite number",
    ),
    "bool-threshold": (lambda d: _with_offset(d, True), None, "is True, not a number"),
    "string-threshold": (
        lambda d: _with_offset(d, "0.5"),
        None,
        "offset_ is '0.5', not a number",
    ),
    "nan-weights": (
        _with_nan_weights,
        None,
        "a typical row does not get a finite score",
    ),
    "short-columns": (lambda d: d, ["a"], "column names are not one per feature"),
    "columns-a-string": (lambda d: d, "abcd", "column names are not one per feature"),
}


@pytest.mark.parametrize("case", FORGED)
def test_forged_or_damaged_models_are_named_not_tracebacks(case, detector, tmp_path):
    """A model file of the right format with the wrong insides is a CommandError."""
    make, columns, message = FORGED[case]
    path = tmp_path / "forged.skvae"
    save_model(make(detector), path, columns=columns)

    with pytest.raises(CommandError, match=re.escape(message)) as error:
        load_model(path)

    assert str(error.value).startswith(f"{path} holds a damaged or forged model")
    assert len(str(error.value).splitlines()) == 1


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.99])
def test_truncated_model_files_are_named(fraction, detector, tmp_path):
    """A model file cut short (a partial copy) is a CommandError naming it."""
    path = tmp_path / "model.skvae"
    save_model(detector, path, columns=COLUMNS)
    content = path.read_bytes()
    path.write_bytes(content[: int(fraction * len(content))])

    with pytest.raises(CommandError, match="not a skvae model file|damaged"):
        load_model(path)


def test_safe_format_note_says_no_code_runs():
    """The note shown in the help says model files run no code and refuse pickles."""
    assert "runs no code" in SAFE_FORMAT
    assert "pickles are refused" in SAFE_FORMAT


def test_describe_model_reads_the_config_alone(detector, tmp_path, monkeypatch):
    """info's lines name the classes, columns, versions and training, and no
    tensor is read to make them."""
    path = tmp_path / "model.skvae"
    save_model(detector, path, columns=COLUMNS)
    read = []
    original = zipfile.ZipFile.read
    monkeypatch.setattr(
        zipfile.ZipFile,
        "read",
        lambda self, name, *a: (
            read.append(getattr(name, "filename", name)) or original(self, name, *a)
        ),
    )

    text = "\n".join(describe_model(path))

    assert read == [_persist.CONFIG]
    assert "Model: AutoencoderOutlierDetector(random_state=0)" in text
    assert "estimator: VAETransformer(max_epochs=2)" in text
    assert f"threshold (offset_): {detector.offset_!r}" in text
    assert "4 features: a, b, c, d" in text
    assert "epochs: 2; last epoch: train_loss" in text
    assert f"torch {torch.__version__}" in text


def test_a_name_near_the_limit_saves_and_leaves_no_temporary(detector, tmp_path):
    """A model name of 250 characters used to make the temporary's name too long."""
    path = tmp_path / ("m" * 246 + ".pkl")
    save_model(detector, path, columns=None)
    assert load_model(path)[0].offset_ == detector.offset_
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_ctrl_c_while_saving_leaves_no_temporary(detector, tmp_path, monkeypatch):
    """An interrupted write removes its temporary file and re-raises."""

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(zipfile.ZipFile, "writestr", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_model(detector, tmp_path / "model.skvae", columns=None)
    assert list(tmp_path.iterdir()) == []


def test_a_forged_model_is_one_line_without_the_version_note(
    detector, tmp_path, capsys, monkeypatch
):
    """The version note comes only for a model that passed the checks."""
    path = tmp_path / "forged.skvae"
    _save_as_skvae_0_0_1(AutoencoderOutlierDetector(), path, monkeypatch)
    with pytest.raises(CommandError, match="its detector is not fitted"):
        load_model(path)
    assert capsys.readouterr().err == ""
