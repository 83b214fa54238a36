"""The ``skvae anomaly`` model file: a fitted detector and its column names, pickled."""

import contextlib
import math
import os
import pickle
import sys
import tempfile
import warnings
from numbers import Integral, Real

import numpy as np

from ._commands import CommandError, check_file, check_output, path_errors
from ._outlier import AutoencoderOutlierDetector
from ._version import __version__

MODEL_FORMAT = "skvae-anomaly-model"
TRUST_WARNING = (
    "Model files are pickles: load only models from trusted sources, as loading "
    "one can run arbitrary code."
)


def check_destination(path):
    """Fail before a long fit when the model could not be written afterwards."""
    check_output(path, "model to ")


def save_model(detector, path, *, columns):
    """Pickle the model beside ``path``, then rename: never a half-written file."""
    model = {
        "format": MODEL_FORMAT,
        "version": __version__,
        "detector": detector,
        "columns": columns,
    }
    # Beside the target, so the rename stays on one file system and is atomic;
    # a short name of its own, as the target's name may be near the limit.
    with path_errors(path):
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=".skvae-", suffix=".tmp"
        )
    try:
        with os.fdopen(handle, "wb") as file:
            pickle.dump(model, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except BaseException as exc:  # Ctrl-C too: no temporary is left behind
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise CommandError(
                f"cannot write model to {path}: {exc.strerror or exc}"
            ) from None
        raise


def load_model(path):
    """The fitted detector and training column names (or None) saved at ``path``."""
    check_file(path)
    try:
        # torch warns about the pickle protocol of a damaged file's tensors; the
        # one line the user gets says the file is damaged.
        with open(path, "rb") as file, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = pickle.load(file)
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
    # Unpickling arbitrary bytes fails with almost any exception type.
    except Exception:
        model = None
    if not isinstance(model, dict) or model.get("format") != MODEL_FORMAT:
        raise CommandError(f"{path} is not a model saved by 'skvae anomaly fit'")
    detector, columns = model.get("detector"), model.get("columns")
    check_model(path, detector, columns)
    if model.get("version") != __version__:
        print(
            f"{path} was saved by skvae {model.get('version')}; this is skvae "
            f"{__version__}",
            file=sys.stderr,
        )
    return detector, columns


def check_model(path, detector, columns):
    """Raise :class:`CommandError` unless ``detector`` is a fitted detector that
    scores, with ``columns`` None or one name per feature.

    A forged or damaged file would otherwise fail later with a traceback from
    deep inside the model. A typical row (the training mean where the model has
    one, else zeros) must score finitely.
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
        and not isinstance(offset, bool)
        and math.isfinite(offset)
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
    # A typical row, the training mean where the model has one, must score: NaN
    # weights make every row score -inf.
    mean = getattr(detector.estimator_, "input_mean_", np.zeros(n_features))
    try:
        scores = detector.score_samples(np.reshape(mean, (1, n_features)))
    # Whatever a damaged model raises, the user is told the file is at fault.
    except Exception as exc:
        raise CommandError(
            f"{damaged}: scoring a test row fails ({type(exc).__name__})"
        ) from None
    if np.shape(scores) != (1,) or not np.isfinite(scores).all():
        raise CommandError(f"{damaged}: a typical row does not get a finite score")
