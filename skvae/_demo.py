"""The ``skvae demo`` job: fit a 2-D VAE and an AE, report scores, draw the pictures.

Each picture is a :mod:`skvae.plotting` Display drawn on a matplotlib ``Figure``
(no pyplot, so no GUI backend is needed).
"""

import contextlib
import functools
import time
from dataclasses import dataclass

import numpy as np

from ._ae import AETransformer
from ._commands import CommandError, path_errors
from ._vae import VAETransformer
from .callbacks import RecordReconstructions
from .datasets import fetch_mnist
from .plotting import (
    InterpolationDisplay,
    LatentGridDisplay,
    LatentSpaceDisplay,
    ReconstructionDisplay,
    ReconstructionProgressDisplay,
    SamplesDisplay,
    TrainingCurvesDisplay,
)


@dataclass(frozen=True)
class DemoSetup:
    """How the demo trains on one dataset."""

    architecture: str
    hidden_dims: object
    max_epochs: int
    batch_size: int
    # Torch threads while fitting (None: torch's default).
    threads: object


SETUPS = {
    # Under 30 s on 2 cores; the digits separate into clusters and samples read as
    # digits. The MLP layers are too small to gain from intra-op threads: on a busy
    # 2-core machine two threads trained 4-5x slower than one (measured).
    "digits": DemoSetup("mlp", (256, 128), 200, 64, threads=1),
    # The convolutional VAE of the classic tutorials on 60,000 digits; the conv
    # layers do gain from both cores (3x faster than one thread, measured).
    "mnist": DemoSetup("conv", "auto", 10, 128, threads=None),
}
# The digits' train/test split does not move with --random-state, so held-out
# scores of different seeds are measured on the same images.
DIGITS_SPLIT_SEED = 0
# Fraction of the training rows held out for the validation curves.
VALIDATION_FRACTION = 0.1
# Test digits encoded, decoded and interpolated in the pictures.
INTERPOLATION_DIGITS = (0, 1)


def load(dataset, data_home):
    """Training and test rows in [0, 1], their labels, and the image shape."""
    if dataset == "digits":
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        digits = load_digits()
        X = digits.data / 16.0  # pixel intensities 0..16 -> [0, 1] for the Bernoulli
        split = train_test_split(
            X,
            digits.target,
            test_size=0.2,
            stratify=digits.target,
            random_state=DIGITS_SPLIT_SEED,
        )
        return (*split, (1, 8, 8))
    try:
        train = fetch_mnist(data_home=data_home, subset="train")
        test = fetch_mnist(data_home=data_home, subset="test")
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot load MNIST: {exc}") from None
    return train.data, test.data, train.target, test.target, train.image_shape


@contextlib.contextmanager
def torch_threads(n):
    """Run the block with ``n`` torch intra-op threads (None: leave as is)."""
    import torch

    previous = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def run_demo(*, dataset, data_home, output_dir, max_epochs, random_state):
    """``skvae demo``: fit on ``dataset``, report, write the pictures to ``output_dir``.

    ``max_epochs=None`` trains for the dataset's default number of epochs.
    """
    _prepare_output_dir(output_dir)
    setup = SETUPS[dataset]
    epochs = max_epochs or setup.max_epochs
    X_train, X_test, y_train, y_test, image_shape = load(dataset, data_home)
    # One test image of each digit, reconstructed as training goes on.
    fixed = X_test[[np.flatnonzero(y_test == d)[0] for d in range(10)]]
    common = {
        "latent_dim": 2,
        "architecture": setup.architecture,
        "hidden_dims": setup.hidden_dims,
        "image_shape": image_shape,
        "likelihood": "bernoulli",
        "max_epochs": epochs,
        "batch_size": setup.batch_size,
        "validation_fraction": VALIDATION_FRACTION,
        "random_state": random_state,
        "verbose": 2 if dataset == "mnist" else 0,
    }
    vae = VAETransformer(
        **common,
        callbacks=[RecordReconstructions(fixed, every=max(1, epochs // 8))],
    )
    ae = AETransformer(**common)
    print(
        f"Dataset: {dataset}, {len(X_train)} training images of "
        f"{'x'.join(map(str, image_shape))} pixels, epochs: {epochs}"
    )
    for name, model in (("VAE", vae), ("AE", ae)):
        print(f"Training the {setup.architecture} {name}...", flush=True)
        start = time.perf_counter()
        with torch_threads(setup.threads):
            model.fit(X_train)
        print(f"{name} fit time: {time.perf_counter() - start:.1f} s")
    print(f"Train score (mean ELBO): {vae.score(X_train):.2f} nats per image")
    print(
        f"Held-out score (mean ELBO): {vae.score(X_test):.2f} nats per image "
        f"({len(X_test)} test images)"
    )
    print(
        "AE held-out reconstruction log-likelihood: "
        f"{ae.score(X_test):.2f} nats per image"
    )
    save = functools.partial(_save, output_dir)
    draw_pictures(vae, ae, X_train, X_test, y_test, fixed, random_state, save)


def _prepare_output_dir(path):
    with path_errors(path):
        if path.exists() and not path.is_dir():
            raise CommandError(f"output folder '{path}' exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(
            f"cannot create output folder '{path}': {exc.strerror or exc}"
        ) from None


def _save(folder, figure, name):
    """Write ``figure`` to ``folder / name`` as a PNG and say so."""
    path = folder / name
    try:
        figure.savefig(path, dpi=100)
    except OSError as exc:
        raise CommandError(f"cannot write '{path}': {exc.strerror or exc}") from None
    print(f"Wrote {path}")


def _axes(ncols=1, size=(6.4, 5.6)):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(size[0] * ncols, size[1]), layout="constrained")
    return figure, figure.subplots(1, ncols)


def draw_pictures(vae, ae, X_train, X_test, y_test, fixed, seed, save):
    """Write the VAE's pictures and the AE-vs-VAE comparison."""
    figure, ax = _axes()
    LatentSpaceDisplay.from_estimator(vae, X_test, y_test, ax=ax)
    ax.set_title(f"VAE latent space of {len(X_test)} test images")
    save(figure, "latent_space.png")

    figure, ax = _axes()
    LatentSpaceDisplay.from_estimator(vae, X_test, y_test, cdf=True, ax=ax)
    ax.set_title("VAE latent space through the normal CDF")
    save(figure, "latent_space_cdf.png")

    figure, ax = _axes(size=(8, 2.4))
    ReconstructionDisplay.from_estimator(vae, fixed, n_images=len(fixed), ax=ax)
    ax.set_title("Test images (top) and VAE reconstructions (bottom)")
    save(figure, "reconstructions.png")

    figure, ax = _axes(size=(7, 7))
    LatentGridDisplay.from_estimator(vae, ax=ax)
    ax.set_title("Decoded over normal quantiles of the latent space")
    save(figure, "latent_grid.png")

    first, last = INTERPOLATION_DIGITS
    figure, ax = _axes(size=(8, 1.6))
    InterpolationDisplay.from_estimator(vae, fixed[first], fixed[last], ax=ax)
    ax.set_title(f"From a {first} to a {last} through the latent space")
    save(figure, "interpolation.png")

    figure, ax = _axes(size=(6, 6.4))
    SamplesDisplay.from_estimator(vae, n_samples=64, random_state=seed, ax=ax)
    ax.set_title("64 images sampled from the VAE's prior")
    save(figure, "samples.png")

    figure, ax = _axes(size=(6.4, 4.4))
    TrainingCurvesDisplay.from_estimator(vae, ax=ax)
    ax.set_title("VAE training curves (nats per image)")
    save(figure, "training_curves.png")

    figure, ax = _axes(size=(6.4, 6.4))
    ReconstructionProgressDisplay.from_estimator(vae, ax=ax)
    ax.set_title("Reconstructions of test images during training")
    save(figure, "reconstruction_progress.png")

    figure, (left, right) = _axes(ncols=2)
    LatentSpaceDisplay.from_estimator(ae, X_test, y_test, ax=left)
    left.set_title("AE codes: an unconstrained layout")
    LatentSpaceDisplay.from_estimator(vae, X_test, y_test, ax=right)
    right.set_title("VAE posterior means: packed around N(0, I)")
    save(figure, "ae_vs_vae_latent_space.png")

    # An AE has no prior: draw codes uniformly from the box its training codes span.
    codes = ae.transform(X_train)
    low, high = codes.min(axis=0), codes.max(axis=0)
    box = np.random.default_rng(seed).uniform(low, high, size=(64, len(low)))
    figure, (left, right) = _axes(ncols=2, size=(6, 6.4))
    # Both panels on the Bernoulli's [0, 1] scale, so their contrast compares.
    SamplesDisplay(ae.inverse_transform(box), image_shape=ae.image_shape).plot(
        ax=left, vmin=0, vmax=1
    )
    left.set_title("AE: codes uniform in its latent box")
    SamplesDisplay.from_estimator(
        vae, n_samples=64, random_state=seed, ax=right, vmin=0, vmax=1
    )
    right.set_title("VAE: codes from the N(0, I) prior")
    save(figure, "ae_vs_vae_samples.png")
