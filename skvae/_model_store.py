"""The ``skvae anomaly`` model file: a fitted detector and its column names, pickled."""

import os
import pickle
import sys

from . import __version__
from ._commands import CommandError, check_file

MODEL_FORMAT = "skvae-anomaly-model"
TRUST_WARNING = (
    "Model files are pickles: load only models from trusted sources, as loading "
    "one can run arbitrary code."
)


def check_destination(path):
    """Fail before a long fit when the model could not be written afterwards."""
    if path.is_dir():
        raise CommandError(f"cannot write model to {path}: it is a folder")
    if not path.parent.is_dir():
        raise CommandError(
            f"cannot write model to {path}: {path.parent} is not a folder"
        )


def save_model(detector, path, *, columns):
    """Pickle the model beside ``path``, then rename: never a half-written file."""
    model = {
        "format": MODEL_FORMAT,
        "version": __version__,
        "detector": detector,
        "columns": columns,
    }
    # Beside the target, so the rename stays on one file system and is atomic.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as file:
            pickle.dump(model, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise CommandError(
            f"cannot write model to {path}: {exc.strerror or exc}"
        ) from None


def load_model(path):
    """The fitted detector and training column names (or None) saved at ``path``."""
    check_file(path)
    try:
        with open(path, "rb") as file:
            model = pickle.load(file)
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
    # Unpickling arbitrary bytes fails with almost any exception type.
    except Exception:
        model = None
    if not isinstance(model, dict) or model.get("format") != MODEL_FORMAT:
        raise CommandError(f"{path} is not a model saved by 'skvae anomaly fit'")
    if model.get("version") != __version__:
        print(
            f"{path} was saved by skvae {model.get('version')}; this is skvae "
            f"{__version__}",
            file=sys.stderr,
        )
    return model["detector"], model.get("columns")
