"""Tests for what the command modules share: CommandError and the input-file check."""

import os

import pytest

from skvae._commands import CommandError, check_file, check_not_input, check_output


def test_check_file_accepts_a_file(tmp_path):
    """An existing file passes the check."""
    path = tmp_path / "table.csv"
    path.write_text("1,2\n")
    check_file(path)


def test_check_file_refuses_a_missing_file(tmp_path):
    """A path where nothing is raises CommandError naming it."""
    with pytest.raises(CommandError, match="missing.csv: no such file$"):
        check_file(tmp_path / "missing.csv")


def test_check_file_refuses_a_folder(tmp_path):
    """A folder raises CommandError naming it."""
    path = tmp_path / "folder.csv"
    path.mkdir()
    with pytest.raises(CommandError, match="folder.csv is a folder, not a file$"):
        check_file(path)


def _symlink_loop(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    return tmp_path / "a"


@pytest.mark.parametrize(
    ("check", "make"),
    [
        (check_file, "too long"),
        (check_file, "symlink loop"),
        (check_output, "too long"),
    ],
)
def test_paths_the_file_system_cannot_answer_for_are_command_errors(
    check, make, tmp_path
):
    """A name too long or a symlink loop is a CommandError, not an OSError.

    (Writing through a looping symlink replaces it, so an output may be one.)
    """
    if make == "too long":
        path = tmp_path / ("x" * 300)
    else:
        path = _symlink_loop(tmp_path)
    with pytest.raises(CommandError, match=str(path.name)):
        check(path)


def test_check_not_input_names_the_path_that_loops(tmp_path):
    """A symlink loop is a CommandError naming the looping path, output or input."""
    data = tmp_path / "data.csv"
    data.write_text("1\n")
    loop = _symlink_loop(tmp_path)
    with pytest.raises(CommandError, match=f"^{loop}: "):
        check_not_input(loop, data)
    with pytest.raises(CommandError, match=f"^{loop}: "):
        check_not_input(tmp_path / "out.csv", data, loop)


def test_check_output_refuses_a_pipe_and_a_folder(tmp_path):
    """Writing to a FIFO without a reader never ends: refused, as is a folder."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(CommandError, match="pipe: it is not a regular file"):
        check_output(fifo)
    with pytest.raises(CommandError, match="it is a folder"):
        check_output(tmp_path)
    with pytest.raises(CommandError, match="is not a folder"):
        check_output(tmp_path / "missing" / "scores.csv")
    check_output(tmp_path / "scores.csv")
