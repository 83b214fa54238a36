"""What the command modules share: the error a user can fix, the file checks."""

import os


class CommandError(Exception):
    """A problem the user can fix; reported as one line, without a traceback."""


def check_file(path):
    """Raise :class:`CommandError` unless ``path`` names an existing file."""
    if not path.exists():
        raise CommandError(f"{path}: no such file")
    if path.is_dir():
        raise CommandError(f"{path} is a folder, not a file")
    if not path.is_file():  # /dev/zero, a pipe: reading may never end
        raise CommandError(f"{path} is not a regular file (a device, pipe or socket)")


def check_not_input(output, *inputs):
    """Raise :class:`CommandError` when writing ``output`` would replace an input."""
    for path in inputs:
        same = output.resolve() == path.resolve() or (
            output.exists() and path.exists() and os.path.samefile(output, path)
        )
        if same:
            raise CommandError(
                f"{output} is also the input {path}: writing it would destroy "
                "the input; choose another output file"
            )
