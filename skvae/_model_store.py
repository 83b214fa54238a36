"""The ``skvae anomaly`` model file: a fitted detector and its column names, in
skvae's own format (``skvae.save``), which loading never executes."""

import math
import sys
import warnings
from numbers import Integral, Real

import numpy as np

from ._commands import CommandError, check_file, check_output, path_errors
from ._outlier import AutoencoderOutlierDetector
from ._persist import CLASSES, read_config, read_model, write_model
from ._serial import from_json
from .exceptions import ModelFileError

SAFE_FORMAT = (
    "Model files are skvae's own format (a zip of JSON and safetensors, as "
    "skvae.save writes): reading one runs no code from it, and pickles are "
    "refused."
)


def check_destination(path):
    """Fail before a long fit when the model could not be written afterwards."""
    check_output(path, "model to ")


def save_model(detector, path, *, columns):
    """Save the detector and the training columns (or None) to ``path``, written
    beside it and renamed: never a half-written file."""
    try:
        write_model(detector, path, notes={"columns": columns})
    except OSError as exc:
        raise CommandError(
            f"cannot write model to {path}: {exc.strerror or exc}"
        ) from None


def load_model(path):
    """The fitted detector and training column names (or None) saved at ``path``.

    Warnings of the load (other library versions, a CUDA model put on the CPU)
    become one line each on stderr, after the model passed its checks.
    """
    check_file(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with path_errors(path):
            try:
                detector, notes = read_model(path)
            except ModelFileError as exc:
                raise CommandError(str(exc)) from None
    if not isinstance(detector, AutoencoderOutlierDetector):
        raise CommandError(
            f"{path} holds a {type(detector).__name__}, not an outlier detector: "
            "save one with 'skvae anomaly fit' or skvae.save(detector, path)"
        )
    columns = notes.get("columns") if isinstance(notes, dict) else None
    if columns is None and hasattr(detector, "feature_names_in_"):
        columns = [str(name) for name in detector.feature_names_in_]
    check_model(path, detector, columns)
    for warning in caught:
        print(f"{path}: {warning.message}", file=sys.stderr)
    return detector, columns


def check_model(path, detector, columns):
    """Raise :class:`CommandError` unless ``detector`` is a fitted detector that
    scores, with ``columns`` None or one name per feature.

    The file format checks every value's type and every tensor's shape, not
    that the weights make sense: a typical row (the training mean where the
    model has one, else zeros) must score finitely.
    """
    damaged = f"{path} holds a damaged or forged model"
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


def describe_model(path):
    """Lines saying what the model file at ``path`` holds, read from its config
    alone: no weight is loaded."""
    check_file(path)
    with path_errors(path):
        try:
            config = read_config(path)
            model = config["model"]
            lines = [f"{path}: skvae model file, format {config['format_version']}"]
            versions = from_json(config["versions"], "versions")
            lines.append(
                "Saved with: "
                + ", ".join(f"{name} {version}" for name, version in versions.items())
            )
            lines += _describe(model, "Model", from_json(config["notes"], "notes"))
        except ModelFileError as exc:
            raise CommandError(str(exc)) from None
        except (KeyError, TypeError, AttributeError):
            raise CommandError(f"{path} holds a damaged or forged model") from None
    return lines


def _describe(node, title, notes, *, template=False):
    """Lines describing one model node of a config; a ``template`` (the
    detector's unfitted ``estimator``) is not said to be unfitted."""
    kind = node.get("kind")
    if kind == "pipeline":
        lines = [f"{title}: Pipeline"]
        for name, step in node["steps"]:
            lines += ["  " + line for line in _describe(step, f"step {name!r}", {})]
        return lines
    if kind == "skops":
        return [f"{title}: a scikit-learn estimator (read by skops.io)"]
    if kind == "value":
        return [f"{title}: {node['value']!r}"]
    # As scikit-learn's repr: the parameters that differ from the defaults.
    params = from_json(node["params"], "params")
    defaults = CLASSES[node["class"]]().get_params(deep=False)
    shown = ", ".join(
        f"{name}={value!r}"
        for name, value in sorted(params.items())
        if name not in defaults or value != defaults[name]
    )
    lines = [f"{title}: {node['class']}({shown})"]
    for name, sub in sorted(node["estimators"].items()):
        lines += ["  " + line for line in _describe(sub, name, {}, template=True)]
    fitted = node["fitted"]
    if fitted is None:
        return lines if template else lines + ["  not fitted"]
    if "estimator_" in fitted:  # the detector
        lines.append(
            f"  score: {fitted['score_by_']}, threshold (offset_): "
            f"{from_json(fitted['offset_'], 'offset_')!r}"
        )
        return lines + _describe(fitted["estimator_"], "Fitted model", notes)
    columns = notes.get("columns") or fitted["feature_names_in_"]
    features = f"{fitted['n_features_in_']} features"
    if columns:
        features += ": " + ", ".join(columns)
    history = [from_json(row, "history") for row in fitted["history"]]
    lines += [f"  {features}", f"  trained on {fitted['device']}"]
    if history:
        last = history[-1]
        losses = ", ".join(
            f"{key} {last[key]:.4g}"
            for key in ("train_loss", "valid_loss")
            if isinstance(last.get(key), float)
        )
        lines.append(f"  epochs: {len(history)}; last epoch: {losses or 'no loss'}")
    return lines
