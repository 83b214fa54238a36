"""The ``skvae`` command line: argparse for ``skvae demo`` and ``skvae anomaly``.

Parsing only; each command's work is in its own module (``_demo``, ``_anomaly``).
"""

import argparse
import os
import sys
from pathlib import Path

from . import __version__
from ._anomaly import run_fit, run_info, run_score
from ._commands import CommandError
from ._demo import run_demo
from ._model_store import SAFE_FORMAT

PROG = "skvae"


def build_parser():
    """The ``skvae`` argument parser, one subparser per command."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Variational and plain autoencoders as scikit-learn estimators.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", title="commands", required=True
    )

    _add_demo(commands)
    _add_anomaly(commands)
    return parser


def _add_demo(commands):
    """Add ``demo`` to ``commands``."""
    demo = commands.add_parser(
        "demo",
        help="train a 2-D VAE and an AE on digits and draw the classic pictures",
        description=(
            "Fit VAETransformer(latent_dim=2) and AETransformer(latent_dim=2) to "
            "scikit-learn's bundled 8x8 digits (default, under a minute) or, with "
            "--dataset mnist, convolutional models to the 60,000 MNIST digits. "
            "Print fit times and train / held-out scores (mean ELBO, nats per "
            "image) and write the pictures (latent space, reconstructions, decoded "
            "grid, interpolation, samples, training curves, AE vs VAE) as PNG files."
        ),
    )
    demo.add_argument(
        "--dataset",
        choices=["digits", "mnist"],
        default="digits",
        help="digits: sklearn's bundled 8x8 digits; mnist: 28x28 MNIST read "
        "from --data-home (default: %(default)s)",
    )
    demo.add_argument(
        "--data-home",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder holding mnist/*.gz, downloaded there if missing (default: "
        "scikit-learn's data home)",
    )
    demo.add_argument(
        "--output-dir",
        type=Path,
        default=Path("skvae-demo"),
        metavar="DIR",
        help="folder for the PNG files, created if missing (default: %(default)s)",
    )
    demo.add_argument(
        "--max-epochs",
        type=_positive_int,
        default=None,
        metavar="N",
        help="training epochs (default: 200 for digits, 10 for mnist)",
    )
    demo.add_argument(
        "--random-state",
        type=_seed,
        default=0,
        metavar="SEED",
        help="seeds the model's training and the samples drawn (default: %(default)s)",
    )
    demo.set_defaults(handler=run_demo)


def _add_anomaly(commands):
    """Add ``anomaly`` and its ``fit``, ``score`` and ``info`` actions to
    ``commands``."""
    anomaly = commands.add_parser(
        "anomaly",
        help="fit an autoencoder outlier detector to a table, then score rows",
        description=(
            "Outlier detection with AutoencoderOutlierDetector. 'fit' trains an "
            "autoencoder on mostly normal rows of a table and saves it with its "
            "outlier threshold; 'score' writes each row's score (lower is more "
            "abnormal) and whether it is an outlier; 'info' says what a model "
            "file holds. Tables are .npy files "
            "(2-D, numeric) or CSV files (any other extension). " + SAFE_FORMAT
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
            "or --max-epochs the detector's default VAE is used. " + SAFE_FORMAT
        ),
    )
    fit.add_argument("train", type=Path, metavar="TRAIN", help="training table")
    fit.add_argument(
        "--model",
        type=Path,
        required=True,
        metavar="PATH",
        help="where to save the fitted model (skvae's model file, as skvae.save "
        "writes), replacing any file there",
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
        help="latent dimensions of the model (default: half the features, 1 to 8)",
    )
    fit.add_argument(
        "--max-epochs",
        type=_positive_int,
        default=None,
        metavar="N",
        help="training epochs (default: about 200 optimiser steps' worth); "
        "longer training learns rare rows too and ranks them as normal",
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
            "rows below the model's threshold, else 0. " + SAFE_FORMAT
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

    info = actions.add_parser(
        "info",
        help="say what a saved model is, without loading its weights",
        description=(
            "Print what the model file MODEL holds: its classes and parameters, "
            "the training columns, the library versions that saved it and a "
            "training summary (epochs, last loss, threshold). Only the file's "
            "JSON config is read; no weight is loaded. " + SAFE_FORMAT
        ),
    )
    info.add_argument("model", type=Path, metavar="MODEL", help="a skvae model file")
    info.set_defaults(handler=run_info)
    for action in (fit, score):
        action.add_argument(
            "--header",
            choices=["auto", "yes", "no"],
            default="auto",
            help="whether the CSV's first row holds column names; auto: it does "
            "when none of its cells is a number (default: %(default)s)",
        )


def main(argv=None):
    """Run the ``skvae`` command line with ``argv``; return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return 0 if exc.code is None else exc.code
    # Each command's options are its handler's keyword arguments.
    options = vars(args)
    handler = options.pop("handler")
    for name in ("command", "action"):
        options.pop(name, None)
    if sys.stdout is None:  # started with stdout closed: nobody reads it
        sys.stdout = open(os.devnull, "w")
    try:
        handler(**options)
    except CommandError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # writing to standard output: a full disk, say
        print(f"{PROG}: error: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return 0


def _positive_int(text):
    """An integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _seed(text):
    """An integer seed in [0, 2**32), as numpy accepts."""
    value = int(text)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be in [0, 2**32), got {text}")
    return value


def _contamination(text):
    """``auto`` or a float in (0, 0.5], the expected fraction of outliers."""
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
