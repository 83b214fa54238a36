"""Tests for reading CSV and ``.npy`` tables and writing the scores CSV."""

import re

import numpy as np
import pytest

from skvae._commands import CommandError
from skvae._tables import read_table, write_scores

X = np.arange(12.0).reshape(4, 3) / 4
COLUMNS = ["a", "b", "c"]


def _write(path, content):
    """Write ``content`` to ``path``: an array as ``.npy``, anything else as text."""
    if isinstance(content, np.ndarray):
        with open(path, "wb") as file:  # np.save(path) would add ".npy" to "T.NPY"
            np.save(file, content)
    else:
        path.write_text(content)
    return path


def _csv(rows, header=None):
    lines = [",".join(header)] if header else []
    lines += [",".join(repr(value) for value in row) for row in rows.tolist()]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "name, content, columns",
    [
        ("header.csv", _csv(X, COLUMNS), COLUMNS),
        ("plain.csv", _csv(X), None),
        ("blank-lines.csv", "\n" + _csv(X, COLUMNS).replace("\n", "\n\n"), COLUMNS),
        ("spaces.csv", _csv(X, [" a", "b ", " c "]), COLUMNS),
        ("table.npy", X, None),
        ("TABLE.NPY", X, None),
    ],
)
def test_read_table_returns_the_rows_and_column_names(name, content, columns, tmp_path):
    """CSV and .npy tables read as float rows, with stripped names or None."""
    rows, names = read_table(_write(tmp_path / name, content))

    np.testing.assert_array_equal(rows, X)
    assert rows.dtype == np.float64
    assert names == columns


def test_read_table_skips_a_byte_order_mark(tmp_path):
    """A CSV saved with a UTF-8 byte order mark reads its first name without it."""
    path = tmp_path / "bom.csv"
    path.write_bytes(_csv(X, COLUMNS).encode("utf-8-sig"))
    assert read_table(path)[1] == COLUMNS


@pytest.mark.parametrize(
    "header, n_rows, columns",
    [("auto", 4, None), ("yes", 3, ["0.0", "0.25", "0.5"]), ("no", 4, None)],
)
def test_header_option_decides_what_the_first_row_is(header, n_rows, columns, tmp_path):
    """header='yes' takes a numeric first row as names; 'auto' and 'no' as data."""
    rows, names = read_table(_write(tmp_path / "t.csv", _csv(X)), header)
    assert rows.shape == (n_rows, 3)
    assert names == columns


def test_header_no_reads_names_as_data(tmp_path):
    """header='no' reads a row of names as data, which is not numeric."""
    path = _write(tmp_path / "train.csv", _csv(X, COLUMNS))
    with pytest.raises(CommandError, match="line 1, column 1: 'a' is not a number"):
        read_table(path, "no")


@pytest.mark.parametrize("name", ["missing.csv", "folder.npy"])
def test_read_table_checks_the_file(name, tmp_path):
    """A missing file or a folder is refused before anything is read."""
    if name == "folder.npy":
        (tmp_path / name).mkdir()
    with pytest.raises(CommandError, match=re.escape(name)):
        read_table(tmp_path / name)


RAGGED = "a,b,c,d\n" + "1,2,3,4\n" * 5 + "1,2,3\n"
TEXT = "1,2,3,4\n" * 4 + "1,abc,3,4\n"
BAD_TABLES = [
    ("empty.csv", "", "empty.csv has no data rows"),
    ("header.csv", "a,b,c,d\n", "header.csv has no data rows"),
    ("ragged.csv", RAGGED, "ragged.csv: line 7 has 3 cells, expected 4"),
    ("text.csv", TEXT, "text.csv: line 5, column 2: 'abc' is not a number"),
    ("mixed.csv", "a,1,2,3\n1,2,3,4\n", "mixed.csv: line 1, column 1: 'a' is"),
    ("flat.npy", np.ones(5), "flat.npy holds a 1-D array"),
    ("cube.npy", np.ones((2, 3, 4)), "cube.npy holds a 3-D array"),
    ("words.npy", np.array([["a", "b"]]), "words.npy holds <U1 values, not"),
    ("fake.npy", "1,2\n3,4\n", "fake.npy is not a readable .npy file"),
    ("none.npy", np.empty((0, 4)), "none.npy has no data rows"),
]


@pytest.mark.parametrize(
    "name, content, message", BAD_TABLES, ids=[case[0] for case in BAD_TABLES]
)
def test_read_table_reports_a_bad_table_in_one_line(name, content, message, tmp_path):
    """A table that is not numeric rows x columns raises a one-line CommandError."""
    path = _write(tmp_path / name, content)

    with pytest.raises(CommandError, match=re.escape(message)) as error:
        read_table(path)

    assert str(error.value).startswith(str(path))
    assert len(str(error.value).splitlines()) == 1


def test_read_table_refuses_a_file_that_is_not_utf8(tmp_path):
    """A CSV that is not UTF-8 text raises a CommandError naming it."""
    path = tmp_path / "latin1.csv"
    path.write_bytes("é,1\n".encode("latin-1"))
    with pytest.raises(CommandError, match="latin1.csv is not a UTF-8 text file"):
        read_table(path)


SCORES = np.array([-1.5, 0.25, -7.0])
OUTLIERS = np.array([False, False, True])
SCORES_CSV = "row,score,is_outlier\n0,-1.5,0\n1,0.25,0\n2,-7.0,1\n"


def test_write_scores_to_stdout(capsys):
    """Without a path, the scores CSV goes to stdout and the call returns True."""
    assert write_scores(SCORES, OUTLIERS) is True
    assert capsys.readouterr().out == SCORES_CSV


def test_write_scores_to_a_file(tmp_path, capsys):
    """With a path, the same CSV goes to that file, replacing it, and not to stdout."""
    path = tmp_path / "scores.csv"
    path.write_text("old")

    assert write_scores(SCORES, OUTLIERS, path) is True

    assert path.read_text() == SCORES_CSV
    assert capsys.readouterr().out == ""


def test_write_scores_keeps_every_digit(tmp_path):
    """Scores are written with repr, so they read back exactly."""
    scores = np.array([1 / 3, -np.pi])
    path = tmp_path / "scores.csv"
    write_scores(scores, np.zeros(2, dtype=bool), path)
    read = np.loadtxt(path, delimiter=",", skiprows=1)[:, 1]
    np.testing.assert_array_equal(read, scores)


@pytest.mark.parametrize("target", ["folder", "no-folder/out"])
def test_write_scores_to_an_unwritable_path_is_a_command_error(target, tmp_path):
    """A path that cannot be written raises a CommandError naming it."""
    (tmp_path / "folder").mkdir()
    path = tmp_path / target
    with pytest.raises(CommandError, match=f"^cannot write {re.escape(str(path))}: "):
        write_scores(SCORES, OUTLIERS, path)


def test_an_npy_header_claiming_more_than_memory_is_named(tmp_path):
    """A forged header of shape (1e11, 1000) was numpy's MemoryError traceback."""
    header = (
        b"{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000, 1000), }"
    )
    header += b" " * (118 - len(header)) + b"\n"
    path = tmp_path / "huge.npy"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header)
    with pytest.raises(CommandError, match="huge.npy is not a readable .npy file"):
        read_table(path)
