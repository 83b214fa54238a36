"""Command-line interface: ``skvae demo`` and friends, thin over the Python API."""

import argparse
import contextlib
import sys
import time
from pathlib import Path

from . import __version__

PROG = "skvae"

# Chosen so the whole demo stays well under 30 s on 2 CPU cores while the digits
# separate into clusters in the 2-D latent space and the samples read as digits.
DEMO_MAX_EPOCHS = 200
DEMO_HIDDEN_DIMS = (256, 128)
DEMO_BATCH_SIZE = 64
# The train/test split does not move with --random-state, so held-out scores of
# different seeds are measured on the same images.
DEMO_SPLIT_SEED = 0


class CommandError(Exception):
    """A problem the user can fix; reported as one line, without a traceback."""


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
        help="train a VAE on the bundled digits and plot its latent space",
        description=(
            "Fit VAETransformer(latent_dim=2) to scikit-learn's bundled 8x8 digits, "
            "print fit time and train / held-out scores (mean ELBO, nats per image) "
            "and write latent_space.png and samples.png to the output folder."
        ),
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
        default=DEMO_MAX_EPOCHS,
        metavar="N",
        help="training epochs (default: %(default)s)",
    )
    demo.add_argument(
        "--random-state",
        type=_seed,
        default=0,
        metavar="SEED",
        help="seeds the model's training and the samples drawn (default: %(default)s)",
    )
    demo.set_defaults(handler=run_demo)
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


@contextlib.contextmanager
def _torch_threads(n):
    """Run the block with ``n`` torch intra-op threads, then restore the setting."""
    # The demo's layers are too small to gain from intra-op threads: on a busy 2-core
    # machine two threads trained 4-5x slower than one (measured), one never slower.
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def run_demo(args):
    """Fit a 2-D VAE to the digits, report its scores and write the two plots."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from ._vae import VAETransformer

    _prepare_output_dir(args.output_dir)

    digits = load_digits()
    X = digits.data / 16.0  # pixel intensities 0..16 -> [0, 1] for the Bernoulli
    X_train, X_test, y_train, y_test = train_test_split(
        X,
        digits.target,
        test_size=0.2,
        stratify=digits.target,
        random_state=DEMO_SPLIT_SEED,
    )
    vae = VAETransformer(
        latent_dim=2,
        hidden_dims=DEMO_HIDDEN_DIMS,
        likelihood="bernoulli",
        max_epochs=args.max_epochs,
        batch_size=DEMO_BATCH_SIZE,
        random_state=args.random_state,
    )
    print(
        f"Training rows: {len(X_train)} digits of {X.shape[1]} pixels, "
        f"epochs: {args.max_epochs}"
    )
    start = time.perf_counter()
    with _torch_threads(1):
        vae.fit(X_train)
    print(f"Fit time: {time.perf_counter() - start:.1f} s")
    print(f"Train score (mean ELBO): {vae.score(X_train):.2f} nats per image")
    print(
        f"Held-out score (mean ELBO): {vae.score(X_test):.2f} nats per image "
        f"({len(X_test)} test digits)"
    )

    _save(
        _plot_latent_space(vae.transform(X_test), y_test),
        args.output_dir / "latent_space.png",
    )
    samples = vae.sample(64, random_state=args.random_state)
    _save(_plot_samples(samples, image_shape=(8, 8)), args.output_dir / "samples.png")


def _plot_latent_space(Z, labels):
    """Scatter of latent codes coloured by digit, with a legend."""
    import numpy as np
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 5.6), layout="constrained")
    ax = figure.add_subplot()
    scatter = ax.scatter(
        Z[:, 0],
        Z[:, 1],
        c=labels,
        cmap="tab10",
        vmin=-0.5,
        vmax=9.5,
        s=14,
        alpha=0.85,
        linewidths=0,
    )
    for digit in range(10):
        centre = np.median(Z[labels == digit], axis=0)
        ax.annotate(
            str(digit),
            centre,
            ha="center",
            va="center",
            fontsize=13,
            fontweight="bold",
            bbox={"boxstyle": "circle,pad=0.2", "fc": "white", "alpha": 0.7},
        )
    handles, names = scatter.legend_elements()
    ax.legend(
        handles,
        names,
        title="digit",
        loc="center left",
        bbox_to_anchor=(1.01, 0.5),
        frameon=False,
    )
    ax.set_xlabel("latent dimension 1 (posterior mean)")
    ax.set_ylabel("latent dimension 2 (posterior mean)")
    ax.set_title(f"VAE latent space of {len(Z)} held-out digits")
    return figure


def _plot_samples(samples, image_shape, n_cols=8):
    """Grid of images decoded from prior draws."""
    from matplotlib.figure import Figure

    n_rows = -(-len(samples) // n_cols)
    figure = Figure(figsize=(n_cols * 0.75, n_rows * 0.75 + 0.4), layout="constrained")
    axes = figure.subplots(n_rows, n_cols, squeeze=False)
    for ax, image in zip(axes.flat, samples, strict=False):
        ax.imshow(image.reshape(image_shape), cmap="gray_r", vmin=0, vmax=1)
    for ax in axes.flat:
        ax.set_axis_off()
    figure.suptitle(f"{len(samples)} digits sampled from the VAE's prior")
    return figure
