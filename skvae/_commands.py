"""What the command modules share: the error a user can fix, the file checks."""

import contextlib
import os


class CommandError(Exception):
    """A problem the user can fix; reported as one line, without a traceback."""


@contextlib.contextmanager
def path_errors(path):
    """Turn what the file system says about ``path`` into a :class:`CommandError`.

    Even asking whether a path exists can fail: a name too long, a folder that
    cannot be entered, a symlink loop (which pathlib reports as RuntimeError).
    """
    try:
        yield
    except OSError as exc:
        raise CommandError(f"{path}: {exc.strerror or exc}") from None
    except RuntimeError as exc:
        raise CommandError(f"{path}: {exc}") from None


def check_file(path):
    """Raise :class:`CommandError` unless ``path`` names an existing file."""
    with path_errors(path):
        exists, folder, regular = path.exists(), path.is_dir(), path.is_file()
    if not exists:
        raise CommandError(f"{path}: no such file")
    if folder:
        raise CommandError(f"{path} is a folder, not a file")
    if not regular:  # /dev/zero, a pipe: reading may never end
        raise CommandError(f"{path} is not a regular file (a device, pipe or socket)")


def check_output(path, what=""):
    """Raise :class:`CommandError` unless ``path`` can be written as a new file or
    replaces a regular one: writing to a pipe without a reader never ends.

    ``what`` names the output in the message (``"model to "``).
    """
    with path_errors(path):
        if path.exists() and not path.is_file():
            kind = "a folder" if path.is_dir() else "not a regular file"
            raise CommandError(f"cannot write {what}{path}: it is {kind}")
        if not path.parent.is_dir():
            raise CommandError(
                f"cannot write {what}{path}: {path.parent} is not a folder"
            )


def check_not_input(output, *inputs):
    """Raise :class:`CommandError` when writing ``output`` would replace an input."""
    with path_errors(output):
        target, exists = output.resolve(), output.exists()
    for path in inputs:
        with path_errors(path):
            same = target == path.resolve() or (
                exists and path.exists() and os.path.samefile(output, path)
            )
        if same:
            raise CommandError(
                f"{output} is also the input {path}: writing it would destroy "
                "the input; choose another output file"
            )
