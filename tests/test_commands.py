"""Tests for what the command modules share: CommandError and the input-file check."""

import pytest

from skvae._commands import CommandError, check_file


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
