"""What the command modules share: the error a user can fix, the input-file check."""


class CommandError(Exception):
    """A problem the user can fix; reported as one line, without a traceback."""


def check_file(path):
    """Raise :class:`CommandError` unless ``path`` names an existing file."""
    if not path.exists():
        raise CommandError(f"{path}: no such file")
    if path.is_dir():
        raise CommandError(f"{path} is a folder, not a file")
