"""``skvae anomaly fit`` and ``skvae anomaly score``: outlier detection on tables.

Thin over :class:`~skvae.AutoencoderOutlierDetector`: read a CSV or ``.npy``
table, fit or score, and save the model as a pickle.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from ._ae import AETransformer
from ._cli import _positive_int, _seed
from ._commands import CommandError
from ._model_store import TRUST_WARNING, check_destination, load_model, save_model
from ._outlier import _DEFAULT_EPOCHS, AutoencoderOutlierDetector
from ._tables import read_table, write_scores
from ._vae import VAETransformer


def add_anomaly_parser(commands):
    """Add ``anomaly`` and its ``fit`` and ``score`` commands to ``commands``."""
    anomaly = commands.add_parser(
        "anomaly",
        help="fit an autoencoder outlier detector to a table, then score rows",
        description=(
            "Outlier detection with AutoencoderOutlierDetector. 'fit' trains an "
            "autoencoder on mostly normal rows of a table and saves it with its "
            "outlier threshold; 'score' writes each row's score (lower is more "
            "abnormal) and whether it is an outlier. Tables are .npy files "
            "(2-D, numeric) or CSV files (any other extension). " + TRUST_WARNING
        ),
    )
    actions = anomaly.add_subparsers(
        dest="action", metavar="ACTION", title="actions", required=True
    )

    fit = actions.add_parser(
        "fit",
        help="train a detector on TRAIN and save it to --model",
        description=(
            "Fit AutoencoderOutlierDetector to the rows of TRAIN, save it to "
            "--model and print a summary. Without --model-type ae, --latent-dim "
            "or --max-epochs the detector's default VAE is used. " + TRUST_WARNING
        ),
    )
    fit.add_argument("train", type=Path, metavar="TRAIN", help="training table")
    fit.add_argument(
        "--model",
        type=Path,
        required=True,
        metavar="PATH",
        help="where to save the fitted model (a pickle), replacing any file there",
    )
    fit.add_argument(
        "--model-type",
        choices=["vae", "ae"],
        default="vae",
        help="vae: VAETransformer; ae: AETransformer (default: %(default)s)",
    )
    fit.add_argument(
        "--latent-dim",
        type=_positive_int,
        default=None,
        metavar="N",
        help="latent dimensions of the model (default: the model's, 2)",
    )
    fit.add_argument(
        "--max-epochs",
        type=_positive_int,
        default=None,
        metavar="N",
        help=f"training epochs (default: {_DEFAULT_EPOCHS}); longer training "
        "learns rare rows too and ranks them as normal",
    )
    fit.add_argument(
        "--score-by",
        choices=["auto", "likelihood", "reconstruction"],
        default="auto",
        help="rank rows by the model's log-likelihood or by minus the squared "
        "reconstruction error; auto: likelihood (default: %(default)s)",
    )
    fit.add_argument(
        "--contamination",
        type=_contamination,
        default="auto",
        metavar="{auto,FLOAT}",
        help="expected fraction of outliers among the training rows, in (0, 0.5], "
        "which sets the threshold; auto: Tukey's lower fence of the training "
        "scores (default: %(default)s)",
    )
    fit.add_argument(
        "--random-state",
        type=_seed,
        default=0,
        metavar="SEED",
        help="seeds the model's training, so runs are repeatable "
        "(default: %(default)s)",
    )
    fit.set_defaults(handler=run_fit)

    score = actions.add_parser(
        "score",
        help="score the rows of DATA with a saved model and flag outliers",
        description=(
            "Write the CSV 'row,score,is_outlier' for the rows of DATA: row is the "
            "0-based index of the data row (a header not counted), score the "
            "detector's score_samples (lower is more abnormal), is_outlier 1 for "
            "rows below the model's threshold, else 0. " + TRUST_WARNING
        ),
    )
    score.add_argument(
        "model", type=Path, metavar="MODEL", help="model saved by 'skvae anomaly fit'"
    )
    score.add_argument(
        "data", type=Path, metavar="DATA", help="table with the training's columns"
    )
    score.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        metavar="OUT",
        help="CSV file to write, replacing any file there (default: standard output)",
    )
    score.set_defaults(handler=run_score)
    for action in (fit, score):
        action.add_argument(
            "--header",
            choices=["auto", "yes", "no"],
            default="auto",
            help="whether the CSV's first row holds column names; auto: it does "
            "when none of its cells is a number (default: %(default)s)",
        )


def _contamination(text):
    if text == "auto":
        return text
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 < value <= 0.5:
        raise argparse.ArgumentTypeError(
            f"must be 'auto' or a number in (0, 0.5], got {text!r}"
        )
    return value


def run_fit(args):
    """``skvae anomaly fit``: fit a detector to a table and save it."""
    check_destination(args.model)
    X, columns = read_table(args.train, args.header)
    detector = AutoencoderOutlierDetector(
        _make_estimator(args),
        contamination=args.contamination,
        score_by=args.score_by,
        random_state=args.random_state,
    )
    start = time.perf_counter()
    try:
        detector.fit(X)
    except (ValueError, TypeError, FloatingPointError) as exc:
        raise CommandError(f"{args.train}: {_first_line(exc)}") from None
    seconds = time.perf_counter() - start
    flagged = int(np.sum(detector.predict(X) == -1))
    save_model(detector, args.model, columns=columns)
    n_rows, n_features = X.shape
    print(
        f"Fitted {type(detector.estimator_).__name__}"
        f"(latent_dim={detector.estimator_.latent_dim}) to {n_rows} rows x "
        f"{n_features} features of {args.train} in {seconds:.1f} s"
    )
    print(f"Epochs: {detector.estimator_.n_iter_}, random state: {args.random_state}")
    print(f"Score: {detector.score_by_} (lower is more abnormal)")
    print(f"Threshold (offset_): {detector.offset_!r}")
    print(
        f"Training rows flagged as outliers: {flagged} of {n_rows} "
        f"({flagged / n_rows:.1%})"
    )
    print(f"Wrote {args.model}")


def _make_estimator(args):
    """The model to fit, or None for the detector's default."""
    if args.model_type == "vae" and args.latent_dim is None and args.max_epochs is None:
        return None
    model = AETransformer if args.model_type == "ae" else VAETransformer
    params = {"max_epochs": args.max_epochs or _DEFAULT_EPOCHS}
    if args.latent_dim is not None:
        params["latent_dim"] = args.latent_dim
    return model(**params)


def run_score(args):
    """``skvae anomaly score``: write each row's score and outlier flag."""
    detector, train_columns = load_model(args.model)
    X, columns = read_table(args.data, args.header)
    _check_columns(
        args.data, X.shape[1], columns, detector.n_features_in_, train_columns
    )
    try:
        scores = detector.score_samples(X)
    except (ValueError, TypeError) as exc:
        raise CommandError(f"{args.data}: {_first_line(exc)}") from None
    outliers = scores < detector.offset_  # what predict flags, without rescoring
    if not write_scores(scores, outliers, args.output):
        return
    where = "" if args.output is None else f"; wrote {args.output}"
    print(
        f"Scored {len(X)} rows of {args.data}: {int(outliers.sum())} flagged as "
        f"outliers{where}",
        file=sys.stderr if args.output is None else sys.stdout,
    )


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
