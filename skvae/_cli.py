"""Command-line interface: ``skvae demo`` and ``skvae anomaly``, thin over the API."""

import argparse
import sys
from pathlib import Path

from . import __version__
from ._commands import CommandError

PROG = "skvae"


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _seed(text):
    value = int(text)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be in [0, 2**32), got {text}")
    return value


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

    from ._anomaly_cli import add_anomaly_parser  # it imports this module

    add_anomaly_parser(commands)
    return parser


def main(argv=None):
    """Run the ``skvae`` command line with ``argv``; return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return 0 if exc.code is None else exc.code
    try:
        args.handler(args)
    except CommandError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return 0


def _prepare_output_dir(path):
    if path.exists() and not path.is_dir():
        raise CommandError(f"output folder '{path}' exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(
            f"cannot create output folder '{path}': {exc.strerror or exc}"
        ) from None


def _save(figure, path):
    try:
        figure.savefig(path, dpi=100)
    except OSError as exc:
        raise CommandError(f"cannot write '{path}': {exc.strerror or exc}") from None
    print(f"Wrote {path}")


def run_demo(args):
    """``skvae demo``: train on the chosen dataset and write the pictures."""
    from ._demo import run_demo as demo

    _prepare_output_dir(args.output_dir)
    demo(args, lambda figure, name: _save(figure, args.output_dir / name))
