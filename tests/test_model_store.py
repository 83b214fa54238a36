"""Tests for saving and loading the ``skvae anomaly`` model file."""

import pickle
import re

import numpy as np
import pytest
import torch

from skvae import AutoencoderOutlierDetector, VAETransformer, __version__
from skvae._commands import CommandError
from skvae._model_store import (
    MODEL_FORMAT,
    TRUST_WARNING,
    check_destination,
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
    path = tmp_path / "model.pkl"
    save_model(detector, path, columns=columns)

    loaded, loaded_columns = load_model(path)

    np.testing.assert_array_equal(loaded.score_samples(X), detector.score_samples(X))
    assert loaded.offset_ == detector.offset_
    assert loaded_columns == columns


def test_model_file_is_a_pickled_dict_with_a_format_marker(tmp_path):
    """The file is a pickle of format, version, detector and columns."""
    path = tmp_path / "model.pkl"
    save_model("a detector", path, columns=COLUMNS)

    with open(path, "rb") as file:
        model = pickle.load(file)

    assert model == {
        "format": MODEL_FORMAT,
        "version": __version__,
        "detector": "a detector",
        "columns": COLUMNS,
    }
    assert MODEL_FORMAT == "skvae-anomaly-model"


def test_save_model_replaces_a_file_and_leaves_no_temporary(detector, tmp_path):
    """An existing file is replaced, and the folder holds only the model after."""
    path = tmp_path / "model.pkl"
    path.write_text("old")

    save_model(detector, path, columns=None)

    assert load_model(path)[0].offset_ == detector.offset_
    assert [p.name for p in tmp_path.iterdir()] == ["model.pkl"]


def test_save_model_that_fails_leaves_nothing_behind(tmp_path):
    """A model that cannot be written is a CommandError and no temporary remains."""
    path = tmp_path / "model.pkl"
    path.mkdir()

    with pytest.raises(
        CommandError, match=f"^cannot write model to {re.escape(str(path))}: "
    ):
        save_model("a detector", path, columns=None)

    assert [p.name for p in tmp_path.iterdir()] == ["model.pkl"]


def test_check_destination_accepts_a_new_file_in_a_folder(tmp_path):
    """A path whose folder exists passes, whether or not a file is there."""
    check_destination(tmp_path / "model.pkl")


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


BAD_MODELS = [
    ("empty.pkl", b"", "empty.pkl is not a model saved by 'skvae anomaly fit'"),
    ("text.pkl", b"1,2,3,4\n", "text.pkl is not a model saved by"),
    ("other.pkl", pickle.dumps({"format": "other"}), "other.pkl is not a model"),
    ("list.pkl", pickle.dumps([1, 2]), "list.pkl is not a model saved by"),
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


def test_load_model_says_when_another_version_saved_it(detector, tmp_path, capsys):
    """A model saved by another skvae loads, with one line on stderr saying so."""
    path = tmp_path / "old.pkl"
    model = {"format": MODEL_FORMAT, "version": "0.0.1", "detector": detector}
    path.write_bytes(pickle.dumps(model))

    loaded, columns = load_model(path)
    assert columns is None
    np.testing.assert_array_equal(loaded.score_samples(X), detector.score_samples(X))

    captured = capsys.readouterr()
    assert captured.out == ""
    assert (
        captured.err
        == f"{path} was saved by skvae 0.0.1; this is skvae {__version__}\n"
    )


def _forged(detector, **changes):
    """A model dict as save_model writes it, with ``changes`` made."""
    return {
        "format": MODEL_FORMAT,
        "version": __version__,
        "detector": detector,
        "columns": None,
        **changes,
    }


def _without_net(detector):
    damaged = pickle.loads(pickle.dumps(detector))
    del damaged.estimator_.net_
    return damaged


def _with_nan_weights(detector):
    damaged = pickle.loads(pickle.dumps(detector))
    with torch.no_grad():
        for parameter in damaged.estimator_.module_.parameters():
            parameter.fill_(float("nan"))
    return damaged


def _with_offset(detector, offset):
    forged = pickle.loads(pickle.dumps(detector))
    forged.offset_ = offset
    return forged


FORGED = {
    "a-string": (lambda d: _forged("old"), "has no outlier detector"),
    "unfitted": (
        lambda d: _forged(AutoencoderOutlierDetector()),
        "its detector is not fitted",
    ),
    "nan-threshold": (
        lambda d: _forged(_with_offset(d, float("nan"))),
        "threshold is not a number",
    ),
    "infinite-threshold": (
        lambda d: _forged(_with_offset(d, -float("inf"))),
        "threshold is not a number",
    ),
    "bool-threshold": (
        lambda d: _forged(_with_offset(d, True)),
        "threshold is not a number",
    ),
    "nan-weights": (
        lambda d: _forged(_with_nan_weights(d)),
        "a typical row does not get a finite score",
    ),
    "string-threshold": (
        lambda d: _forged(_with_offset(d, "0.5")),
        "threshold is not a number",
    ),
    "short-columns": (
        lambda d: _forged(d, columns=["a"]),
        "column names are not one per feature",
    ),
    "columns-a-string": (
        lambda d: _forged(d, columns="abcd"),
        "column names are not one per feature",
    ),
    "no-net": (lambda d: _forged(_without_net(d)), "scoring a test row fails"),
}


@pytest.mark.parametrize("case", FORGED)
def test_forged_or_damaged_models_are_named_not_tracebacks(case, detector, tmp_path):
    """A model file of the right format with the wrong insides is a CommandError."""
    make, message = FORGED[case]
    path = tmp_path / "forged.pkl"
    path.write_bytes(pickle.dumps(make(detector)))

    with pytest.raises(CommandError, match=re.escape(message)) as error:
        load_model(path)

    assert str(error.value).startswith(f"{path} holds a damaged or forged model")
    assert len(str(error.value).splitlines()) == 1


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.99])
def test_truncated_model_files_are_named(fraction, detector, tmp_path):
    """A model file cut short (a partial copy) is a CommandError naming it."""
    path = tmp_path / "model.pkl"
    save_model(detector, path, columns=COLUMNS)
    content = path.read_bytes()
    path.write_bytes(content[: int(fraction * len(content))])

    with pytest.raises(CommandError, match="is not a model saved by|damaged"):
        load_model(path)


def test_trust_warning_says_model_files_are_pickles():
    """The warning shown in the help names the risk of loading a pickle."""
    assert "pickles: load only models from trusted sources" in TRUST_WARNING
    assert "run arbitrary code" in TRUST_WARNING


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

    monkeypatch.setattr(pickle, "dump", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_model(detector, tmp_path / "model.pkl", columns=None)
    assert list(tmp_path.iterdir()) == []


def test_a_forged_model_is_one_line_even_without_a_version(tmp_path, capsys):
    """The version note comes only for a model that passed the checks."""
    path = tmp_path / "forged.pkl"
    path.write_bytes(pickle.dumps({"format": MODEL_FORMAT}))
    with pytest.raises(CommandError, match="has no outlier detector"):
        load_model(path)
    assert capsys.readouterr().err == ""
