"""The ``skvae anomaly`` model file: a fitted detector and its column names, pickled."""

import math
import os
import pickle
import sys
from numbers import Integral, Real

import numpy as np

from . import __version__
from ._commands import CommandError, check_file
from ._outlier import AutoencoderOutlierDetector

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
    detector, columns = model.get("detector"), model.get("columns")
    check_model(path, detector, columns)
    return detector, columns


def check_model(path, detector, columns):
    """Raise :class:`CommandError` unless ``detector`` is a fitted detector that
    scores, with ``columns`` None or one name per feature.

    A forged or damaged file would otherwise fail later with a traceback from
    deep inside the model. One row of zeros is scored to be sure.
    """
    damaged = f"{path} holds a damaged or forged model"
    if not isinstance(detector, AutoencoderOutlierDetector):
        raise CommandError(f"{damaged}: it has no outlier detector")
    try:
        n_features, offset = detector.n_features_in_, detector.offset_
    except AttributeError:
        raise CommandError(f"{damaged}: its detector is not fitted") from None
    valid = (
        isinstance(n_features, Integral)
        and n_features >= 1
        and isinstance(offset, Real)
        and not math.isnan(offset)
    )
    if not valid:
        raise CommandError(f"{damaged}: its width or threshold is not a number")
    names = columns is None or (
        isinstance(columns, list)
        and len(columns) == n_features
        and all(isinstance(name, str) for name in columns)
    )
    if not names:
        raise CommandError(f"{damaged}: its column names are not one per feature")
    try:
        scores = detector.score_samples(np.zeros((1, n_features)))
    # Whatever a damaged model raises, the user is told the file is at fault.
    except Exception as exc:
        raise CommandError(
            f"{damaged}: scoring a test row fails ({type(exc).__name__})"
        ) from None
    if np.shape(scores) != (1,):
        raise CommandError(f"{damaged}: it does not give one score per row")
