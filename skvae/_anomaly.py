"""``skvae anomaly fit``, ``score`` and ``info``: outlier detection on tables.

Thin over :class:`~skvae.AutoencoderOutlierDetector`: read a table, fit the
detector and save it, or load it and write each row's score, or say what a
model file holds. Plain values in; the argument parsing is in ``_cli``.
"""

import sys
import time

import numpy as np

from ._ae import AETransformer
from ._commands import CommandError, check_not_input, check_output
from ._model_store import check_destination, describe_model, load_model, save_model
from ._outlier import AutoencoderOutlierDetector, default_model
from ._tables import read_table, write_scores
from ._vae import VAETransformer


def run_fit(
    *,
    train,
    model,
    model_type,
    latent_dim,
    max_epochs,
    score_by,
    contamination,
    random_state,
    header,
):
    """``skvae anomaly fit``: fit a detector to the table ``train``, save to ``model``.

    ``latent_dim`` and ``max_epochs`` are None for the model's defaults.
    """
    check_destination(model)
    check_not_input(model, train)
    X, columns = read_table(train, header)
    detector = AutoencoderOutlierDetector(
        _make_estimator(model_type, latent_dim, max_epochs, X.shape),
        contamination=contamination,
        score_by=score_by,
        random_state=random_state,
    )
    start = time.perf_counter()
    try:
        detector.fit(X)
    except (ValueError, TypeError, FloatingPointError) as exc:
        raise CommandError(f"{train}: {_first_line(exc)}") from None
    seconds = time.perf_counter() - start
    flagged = int(np.sum(detector.predict(X) == -1))
    save_model(detector, model, columns=columns)
    n_rows, n_features = X.shape
    print(
        f"Fitted {type(detector.estimator_).__name__}"
        f"(latent_dim={detector.estimator_.latent_dim}) to {n_rows} rows x "
        f"{n_features} features of {train} in {seconds:.1f} s"
    )
    print(f"Epochs: {detector.estimator_.n_iter_}, random state: {random_state}")
    print(f"Score: {detector.score_by_} (lower is more abnormal)")
    print(f"Threshold (offset_): {detector.offset_!r}")
    print(
        f"Training rows flagged as outliers: {flagged} of {n_rows} "
        f"({flagged / n_rows:.1%})"
    )
    print(f"Wrote {model}")


def _make_estimator(model_type, latent_dim, max_epochs, shape):
    """The model to fit to rows of ``shape``, or None for the detector's default."""
    if model_type == "vae" and latent_dim is None and max_epochs is None:
        return None
    model = AETransformer if model_type == "ae" else VAETransformer
    return default_model(
        *shape, model=model, latent_dim=latent_dim, max_epochs=max_epochs
    )


def run_score(*, model, data, output, header):
    """``skvae anomaly score``: each row's score and outlier flag, to ``output``.

    ``output`` None writes the CSV to stdout and the summary to stderr.
    """
    if output is not None:
        check_output(output)
        check_not_input(output, model, data)
    detector, train_columns = load_model(model)
    X, columns = read_table(data, header)
    _check_columns(data, X.shape[1], columns, detector.n_features_in_, train_columns)
    try:
        scores = detector.score_samples(X)
    except (ValueError, TypeError) as exc:
        raise CommandError(f"{data}: {_first_line(exc)}") from None
    outliers = scores < detector.offset_  # what predict flags, without rescoring
    if not write_scores(scores, outliers, output):
        return  # the reader of stdout stopped early: no one to tell
    where = "" if output is None else f"; wrote {output}"
    print(
        f"Scored {len(X)} rows of {data}: {int(outliers.sum())} flagged as "
        f"outliers{where}",
        file=sys.stderr if output is None else sys.stdout,
    )


def run_info(*, model):
    """``skvae anomaly info``: what the model file ``model`` holds, no weight read."""
    for line in describe_model(model):
        print(line)


def _check_columns(path, n_columns, columns, n_expected, expected):
    """Data columns must be the model's: same count, same names when both have them."""
    if n_columns != n_expected:
        raise CommandError(
            f"{path} has {n_columns} columns but the model was fitted on {n_expected}"
        )
    if columns is None or expected is None:
        return
    for index, (name, want) in enumerate(zip(columns, expected, strict=True), 1):
        if name != want:
            raise CommandError(
                f"{path}: column {index} is named {name!r} but the model was "
                f"fitted with {want!r} there"
            )


def _first_line(exc):
    """An estimator's message, cut to its first line (sklearn adds advice below)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
