"""Tests for the ``skvae anomaly`` actions (fit, score, info), mostly through ``main``.

The table reader and the model file have their own tests (test_tables.py,
test_model_store.py); these run the actions end to end, as a user does.
"""

import pickle
from pathlib import Path

import numpy as np
import pytest

from skvae import AETransformer, VAETransformer
from skvae._anomaly import run_fit, run_score
from skvae._cli import main
from skvae._model_store import load_model

FAST_ARGS = ["--max-epochs", "2", "--latent-dim", "2"]
COLUMNS = ["a", "b", "c", "d"]
OUTLIERS = [7, 23, 51]


def _data():
    X = np.random.RandomState(0).normal(size=(60, 4))
    X[OUTLIERS] += 8
    return X


def _csv(X, header=None):
    lines = [",".join(header)] if header else []
    lines += [",".join(repr(value) for value in row) for row in X.tolist()]
    return "\n".join(lines) + "\n"


def _write(path, content):
    """Write ``content`` to ``path``: text, an array, or nothing for None."""
    if isinstance(content, np.ndarray):
        np.save(path, content)
    elif content is not None:
        path.write_text(content)
    return path


def _table(tmp_path, kind, X=None):
    X = _data() if X is None else X
    if kind == "npy":
        return _write(tmp_path / "train.npy", X)
    header = COLUMNS if kind == "csv-header" else None
    return _write(tmp_path / "train.csv", _csv(X, header) + "\n\n")


def _fit(capsys, train, model, *options):
    assert main(["anomaly", "fit", str(train), "--model", str(model), *options]) == 0
    return capsys.readouterr().out


def _score(capsys, model, data, *options):
    assert main(["anomaly", "score", str(model), str(data), *options]) == 0
    return capsys.readouterr()


def _parse(text):
    lines = text.splitlines()
    assert lines[0] == "row,score,is_outlier"
    rows = [line.split(",") for line in lines[1:]]
    return (
        np.array([int(row) for row, _, _ in rows]),
        np.array([float(score) for _, score, _ in rows]),
        np.array([int(flag) for _, _, flag in rows]),
    )


def _error(capsys, argv):
    """Run ``argv``, expect status 1, return the one-line message."""
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("skvae: error: ")
    return lines[0]


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """A model fitted on a CSV with a header, shared by the scoring-error tests."""
    folder = tmp_path_factory.mktemp("fitted")
    train = _table(folder, "csv-header")
    model = folder / "model.skvae"
    argv = ["anomaly", "fit", str(train), "--model", str(model), *FAST_ARGS]
    assert main(argv) == 0
    return model


@pytest.mark.parametrize("kind", ["csv-header", "csv-plain", "npy"])
def test_fit_then_score_flags_the_planted_outliers(kind, tmp_path, capsys):
    """Fit, then score: one line per row, the planted rows lowest, the model's own."""
    X = _data()
    train = _table(tmp_path, kind, X)
    model = tmp_path / "model.skvae"

    summary = _fit(capsys, train, model, *FAST_ARGS)
    assert "60 rows x 4 features" in summary
    assert "Score: likelihood" in summary
    assert "Threshold (offset_): " in summary
    assert "Training rows flagged as outliers: " in summary
    assert f"Wrote {model}" in summary
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.skvae", train.name]

    first = _score(capsys, model, train)
    rows, scores, flags = _parse(first.out)
    assert "Scored 60 rows" in first.err
    np.testing.assert_array_equal(rows, np.arange(60))
    assert set(flags) <= {0, 1}
    assert sorted(np.argsort(scores)[: len(OUTLIERS)]) == OUTLIERS
    detector, columns = load_model(model)
    assert columns == (COLUMNS if kind == "csv-header" else None)
    np.testing.assert_array_equal(scores, detector.score_samples(X))
    np.testing.assert_array_equal(flags, detector.predict(X) == -1)
    assert _score(capsys, model, train).out == first.out


@pytest.mark.parametrize(
    "options, model_type, estimator",
    [
        ([], VAETransformer, None),
        (["--model-type", "ae", "--max-epochs", "2"], AETransformer, (2, 2)),
        # 60 rows are one batch: about 200 steps are 200 epochs.
        (["--latent-dim", "3"], VAETransformer, (3, 200)),
    ],
)
def test_fit_builds_the_requested_model(
    options, model_type, estimator, tmp_path, capsys
):
    """No model options keep the detector's default; others build the model."""
    model = tmp_path / "model.skvae"
    _fit(capsys, _table(tmp_path, "npy"), model, *options)

    detector, _ = load_model(model)
    assert type(detector.estimator_) is model_type
    if estimator is None:
        assert detector.estimator is None
    else:
        params = detector.estimator.get_params()
        assert (params["latent_dim"], params["max_epochs"]) == estimator


def test_fit_is_repeatable_and_seeded_by_random_state(tmp_path, capsys):
    """Two fits with the default seed give the same scores; another seed does not."""
    train = _table(tmp_path, "npy")
    outputs = []
    for name, options in [("a", []), ("b", []), ("c", ["--random-state", "1"])]:
        _fit(capsys, train, tmp_path / name, *FAST_ARGS, *options)
        outputs.append(_score(capsys, tmp_path / name, train).out)

    assert outputs[0] == outputs[1]
    assert outputs[0] != outputs[2]


def test_contamination_flags_that_fraction_of_the_training_rows(tmp_path, capsys):
    """--contamination 0.1 flags about 6 of 60 training rows."""
    train = _table(tmp_path, "npy")
    model = tmp_path / "model.skvae"

    summary = _fit(capsys, train, model, *FAST_ARGS, "--contamination", "0.1")
    _, _, flags = _parse(_score(capsys, model, train).out)

    assert 5 <= flags.sum() <= 7
    assert f"flagged as outliers: {flags.sum()} of 60" in summary


def test_score_writes_the_same_csv_to_a_file(fitted, tmp_path, capsys):
    """-o writes what stdout gets, and stdout only says where it went."""
    data = _table(tmp_path, "csv-header")
    out = tmp_path / "scores.csv"

    to_stdout = _score(capsys, fitted, data).out
    captured = _score(capsys, fitted, data, "-o", str(out))

    assert out.read_text() == to_stdout
    assert captured.out.startswith("Scored 60 rows")
    assert f"wrote {out}" in captured.out


@pytest.mark.parametrize("kind", ["csv-plain", "npy"])
def test_score_without_header_checks_only_the_column_count(
    kind, fitted, tmp_path, capsys
):
    """A table without names is scored by a model fitted on named columns."""
    rows, _, _ = _parse(_score(capsys, fitted, _table(tmp_path, kind)).out)
    assert len(rows) == 60


def test_header_yes_takes_the_first_row_as_names(tmp_path, capsys):
    """--header yes reads a numeric first row as column names, not data."""
    train = _write(tmp_path / "train.csv", _csv(_data()))
    summary = _fit(capsys, train, tmp_path / "m", *FAST_ARGS, "--header", "yes")
    assert "59 rows x 4 features" in summary


def test_header_no_reads_the_first_row_as_data(tmp_path, capsys):
    """--header no reads a row of names as data, which is not numeric."""
    train = _write(tmp_path / "train.csv", _csv(_data(), COLUMNS))
    argv = ["anomaly", "fit", str(train), "--model", str(tmp_path / "m")]
    line = _error(capsys, [*argv, "--header", "no"])
    assert "train.csv: line 1, column 1: 'a' is not a number" in line


# The table reader's own refusals are tested in test_tables.py; these show that a
# file the reader refuses, and data the estimator refuses, end the fit alike.
# The detector refuses rows with holes, naming the file.
NAN_MESSAGE = (
    "nan.csv: AutoencoderOutlierDetector needs complete rows, but X contains NaN"
)
BAD_TRAINING = [
    ("missing.csv", None, "missing.csv: no such file"),
    (
        "nan.csv",
        "1,2,3,4\n1,nan,3,4\n",
        NAN_MESSAGE,
    ),
    ("inf.npy", np.array([[1.0, np.inf]]), "inf.npy: Input X contains infinity"),
]


@pytest.mark.parametrize(
    "name, content, message", BAD_TRAINING, ids=[case[0] for case in BAD_TRAINING]
)
def test_fit_reports_a_bad_training_file_in_one_line(
    name, content, message, tmp_path, capsys
):
    """A bad training table exits 1 with one line naming the file; no model."""
    train = _write(tmp_path / name, content)
    model = tmp_path / "model.skvae"

    line = _error(capsys, ["anomaly", "fit", str(train), "--model", str(model)])

    assert message in line
    assert not model.exists()


BAD_DATA = [
    ("missing.csv", None, "missing.csv: no such file"),
    ("wide.csv", "1,2,3,4,5\n", "wide.csv has 5 columns but the model was fitted"),
    ("narrow.npy", np.ones((3, 2)), "narrow.npy has 2 columns but the model"),
    ("renamed.csv", "a,x,c,y\n1,2,3,4\n", "renamed.csv: column 2 is named 'x'"),
    (
        "nan.csv",
        "1,2,3,4\nnan,2,3,4\n",
        NAN_MESSAGE,
    ),
]


@pytest.mark.parametrize(
    "name, content, message", BAD_DATA, ids=[case[0] for case in BAD_DATA]
)
def test_score_reports_a_bad_data_file_in_one_line(
    name, content, message, fitted, tmp_path, capsys
):
    """Data the model cannot score exits 1 with one line naming the file."""
    data = _write(tmp_path / name, content)
    assert message in _error(capsys, ["anomaly", "score", str(fitted), str(data)])


# Every refusal of load_model is tested in test_model_store.py.
BAD_MODELS = [
    ("missing.skvae", None, "missing.skvae: no such file"),
    ("text.skvae", "1,2,3,4\n", "text.skvae is not a skvae model file"),
]


@pytest.mark.parametrize(
    "name, content, message", BAD_MODELS, ids=[case[0] for case in BAD_MODELS]
)
def test_score_reports_a_bad_model_file_in_one_line(
    name, content, message, fitted, tmp_path, capsys
):
    """Anything but a saved model exits 1 with one line naming the file."""
    model = _write(tmp_path / name, content)
    data = fitted.parent / "train.csv"
    assert message in _error(capsys, ["anomaly", "score", str(model), str(data)])


def test_score_refuses_a_pickled_model_without_loading_it(fitted, tmp_path, capsys):
    """A pickle (the old model files) is named as one and never unpickled."""
    marker = tmp_path / "ran"
    model = tmp_path / "old.pkl"
    model.write_bytes(pickle.dumps(_WritesWhenUnpickled(str(marker))))
    line = _error(
        capsys, ["anomaly", "score", str(model), str(fitted.parent / "train.csv")]
    )
    assert "old.pkl is a pickle, not a skvae model file" in line
    assert not marker.exists()


class _WritesWhenUnpickled:
    """Unpickling it writes a file: the payload a forged pickle could carry."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))


def test_info_says_what_a_model_is(fitted, capsys):
    """``skvae anomaly info`` prints the classes, columns, versions and training."""
    assert main(["anomaly", "info", str(fitted)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{fitted}: skvae model file, format 1\n")
    assert "Model: AutoencoderOutlierDetector(" in out
    assert "Fitted model: VAETransformer(" in out
    assert "epochs: 2; last epoch: train_loss" in out
    assert "Saved with: skvae " in out


def test_info_on_what_is_not_a_model_is_one_line(fitted, capsys):
    """info on a table exits 1 with one line naming the file."""
    table = fitted.parent / "train.csv"
    assert f"{table} is not a skvae model file" in _error(
        capsys, ["anomaly", "info", str(table)]
    )


@pytest.mark.parametrize("target", ["folder", "under-a-file/out", "no-folder/out"])
@pytest.mark.parametrize("command", ["fit", "score"])
def test_unwritable_output_is_a_one_line_error(
    command, target, fitted, tmp_path, capsys
):
    """A model or scores path that cannot be written exits 1 naming it."""
    (tmp_path / "folder").mkdir()
    (tmp_path / "under-a-file").write_text("")
    path = tmp_path / target
    data = fitted.parent / "train.csv"
    if command == "fit":
        argv = ["anomaly", "fit", str(data), "--model", str(path), *FAST_ARGS]
    else:
        argv = ["anomaly", "score", str(fitted), str(data), "-o", str(path)]

    line = _error(capsys, argv)

    assert "cannot write" in line
    assert str(path) in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "under-a-file"]


def test_actions_take_plain_values(fitted, tmp_path, capsys):
    """run_fit and run_score, called without a parser, do what the commands do."""
    train = fitted.parent / "train.csv"
    model = tmp_path / "model.skvae"
    out = tmp_path / "scores.csv"

    run_fit(
        train=train,
        model=model,
        model_type="vae",
        latent_dim=2,
        max_epochs=2,
        score_by="auto",
        contamination="auto",
        random_state=0,
        header="auto",
    )
    run_score(model=model, data=train, output=out, header="auto")

    assert f"Wrote {model}" in capsys.readouterr().out
    assert out.read_text() == _score(capsys, fitted, train).out


def test_fit_refuses_to_write_the_model_over_its_data(tmp_path, capsys):
    """--model naming the training table is refused; the table survives."""
    train = _table(tmp_path, "csv")
    before = train.read_bytes()
    assert main(["anomaly", "fit", str(train), "--model", str(train)]) == 1
    assert "would destroy the input" in capsys.readouterr().err
    assert train.read_bytes() == before


def test_score_refuses_to_write_over_its_inputs(tmp_path, capsys):
    """-o naming the model or the data (also through a link) is refused."""
    train = _table(tmp_path, "csv")
    model = tmp_path / "model.skvae"
    _fit(capsys, train, model, "--max-epochs", "2")
    link = tmp_path / "link.csv"
    link.symlink_to(train)
    for output in (model, train, link):
        before = (model.read_bytes(), train.read_bytes())
        assert (
            main(["anomaly", "score", str(model), str(train), "-o", str(output)]) == 1
        )
        assert "would destroy the input" in capsys.readouterr().err
        assert (model.read_bytes(), train.read_bytes()) == before


@pytest.mark.parametrize("device_file", ["/dev/zero", "/dev/null"])
def test_fit_refuses_files_that_are_not_regular(tmp_path, capsys, device_file):
    """/dev/zero would be read forever: anything but a regular file is refused."""
    if not Path(device_file).exists():
        pytest.skip(f"no {device_file} here")
    model = tmp_path / "model.skvae"
    assert main(["anomaly", "fit", device_file, "--model", str(model)]) == 1
    assert "not a regular file" in capsys.readouterr().err
    assert not model.exists()
