"""What every Display checks the same way: its estimator, Axes, style and arrays."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import scipy.sparse as sp
import torch
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer

from skvae import AutoencoderOutlierDetector, VAETransformer
from skvae.callbacks import RecordReconstructions
from skvae.plotting import (
    InterpolationDisplay,
    LatentGridDisplay,
    LatentSpaceDisplay,
    ReconstructionDisplay,
    ReconstructionProgressDisplay,
    SamplesDisplay,
    TrainingCurvesDisplay,
)
from tests.conftest import FAST
from tests.plotting.conftest import DIGITS_SHAPE


def _rows(n, n_features=64):
    """``n`` rows of uniform values in [0, 1)."""
    return np.random.RandomState(0).uniform(size=(n, n_features))


# Each Display built by hand on tiny data, ready for plot().
HAND_BUILT = {
    "latent_space": lambda: LatentSpaceDisplay(_rows(6, 2)),
    "latent_grid": lambda: LatentGridDisplay(
        _rows(4), [[0, 1], [0, 1]], image_shape=DIGITS_SHAPE
    ),
    "interpolation": lambda: InterpolationDisplay(_rows(3), image_shape=DIGITS_SHAPE),
    "reconstruction": lambda: ReconstructionDisplay(
        _rows(2), _rows(2), image_shape=DIGITS_SHAPE
    ),
    "reconstruction_lines": lambda: ReconstructionDisplay(_rows(2, 5), _rows(2, 5)),
    "reconstruction_progress": lambda: ReconstructionProgressDisplay(
        _rows(2), np.stack([_rows(2), _rows(2)]), [1, 2], image_shape=DIGITS_SHAPE
    ),
    "samples": lambda: SamplesDisplay(_rows(4), image_shape=DIGITS_SHAPE),
    "training_curves": lambda: TrainingCurvesDisplay(
        {"train_loss": [3.0, 2.0], "train_kl": [1.0, 0.5]}
    ),
}
# The Displays drawn as tiles with imshow, which take cmap, vmin and vmax.
TILED = [
    "latent_grid",
    "interpolation",
    "reconstruction",
    "reconstruction_progress",
    "samples",
]


@pytest.fixture(scope="module")
def recorded():
    """A tiny VAE on digits fitted with a RecordReconstructions callback."""
    X = load_digits().data[:60]
    params = {**FAST, "callbacks": [RecordReconstructions(X[:3])]}
    return VAETransformer(**params).fit(X), X


def _from_estimator(name, estimator, X, **kwargs):
    """Draw the Display ``name`` from ``estimator`` (and rows of ``X``)."""
    draw = {
        "latent_space": lambda: LatentSpaceDisplay.from_estimator(estimator, X),
        "latent_grid": lambda: LatentGridDisplay.from_estimator(
            estimator, **{"n_per_side": 2, **kwargs}
        ),
        "interpolation": lambda: InterpolationDisplay.from_estimator(
            estimator, X[0], X[1], **{"n_steps": 3, **kwargs}
        ),
        "reconstruction": lambda: ReconstructionDisplay.from_estimator(
            estimator, X, **{"n_images": 2, **kwargs}
        ),
        "reconstruction_progress": lambda: ReconstructionProgressDisplay.from_estimator(
            estimator, **kwargs
        ),
        "samples": lambda: SamplesDisplay.from_estimator(
            estimator, **{"n_samples": 4, **kwargs}
        ),
        "training_curves": lambda: TrainingCurvesDisplay.from_estimator(estimator),
    }[name]
    return draw()


@pytest.mark.parametrize(
    "ax, error, match",
    [
        ("axes", TypeError, "ax must be a matplotlib Axes or None, got str"),
        (3, TypeError, "ax must be a matplotlib Axes or None, got int"),
        ("figure", TypeError, "got Figure; pass a single Axes"),
        ("array", TypeError, "got ndarray; pass a single Axes"),
        ("polar", ValueError, "rectilinear Axes, got a 'polar' projection"),
        ("3d", ValueError, "rectilinear Axes, got a '3d' projection"),
        ("removed", ValueError, "ax was removed from its figure"),
    ],
)
@pytest.mark.parametrize("name", sorted(HAND_BUILT))
def test_ax_must_be_one_rectilinear_axes(name, ax, error, match):
    """Anything but a 2-D rectilinear Axes in a figure is refused, naming ax."""
    if ax == "figure":
        ax = plt.figure()
    elif ax == "array":
        ax = plt.subplots(1, 2)[1]
    elif ax in ("polar", "3d"):
        ax = plt.figure().add_subplot(projection=ax)
    elif ax == "removed":
        ax = plt.figure().add_subplot()
        ax.remove()
    with pytest.raises(error, match=match):
        HAND_BUILT[name]().plot(ax=ax)


@pytest.mark.parametrize("keyword", ["colour", "n_cols"])
@pytest.mark.parametrize("name", sorted(set(HAND_BUILT) - {"samples"}))
def test_unknown_style_keywords_raise(name, keyword):
    """A keyword neither plot, the drawing call nor its artist takes is named."""
    with pytest.raises(TypeError, match=f"Unexpected keyword '{keyword}'"):
        HAND_BUILT[name]().plot(**{keyword: 1})


def test_unknown_style_keywords_of_samples_raise():
    """SamplesDisplay, whose plot takes n_cols, names an unknown keyword too."""
    with pytest.raises(TypeError, match="Unexpected keyword 'colour'"):
        HAND_BUILT["samples"]().plot(colour=1)


@pytest.mark.parametrize(
    "name",
    ["latent_grid", "interpolation", "reconstruction", "reconstruction_progress"],
)
def test_n_cols_to_from_estimator_is_named(recorded, name):
    """n_cols, which these Displays lay out themselves, is named as unexpected."""
    estimator, X = recorded
    with pytest.raises(TypeError, match="Unexpected keyword 'n_cols'"):
        _from_estimator(name, estimator, X, image_shape=DIGITS_SHAPE, n_cols=3)


@pytest.mark.parametrize(
    "name, keyword",
    [
        ("samples", "extent"),
        ("samples", "origin"),
        ("latent_grid", "norm"),
        ("latent_space", "offsets"),
        ("latent_space", "x"),
        ("training_curves", "xdata"),
        ("reconstruction_lines", "data"),
    ],
)
def test_keywords_a_display_sets_itself_raise(name, keyword):
    """Keywords that would move what a Display draws, so its labels would lie."""
    with pytest.raises(TypeError, match=f"'{keyword}' is set by the Display itself"):
        HAND_BUILT[name]().plot(**{keyword: None})


@pytest.mark.parametrize(
    "name, kwargs, check",
    [
        ("latent_space", {"lw": 2}, lambda d: d.scatter_.get_linewidths()[0] == 2),
        (
            "training_curves",
            {"ls": ":"},
            lambda d: d.lines_["train_loss"].get_ls() == ":",
        ),
        ("reconstruction_lines", {"c": "k"}, lambda d: d.lines_[0][0].get_c() == "k"),
        ("reconstruction_lines", {"ms": 7}, lambda d: d.lines_[0][1].get_ms() == 7),
    ],
)
def test_aliases_override_the_defaults(name, kwargs, check):
    """Short names (lw, ls, c, ms) replace a Display's defaults, not clash."""
    assert check(HAND_BUILT[name]().plot(**kwargs))


def test_a_keyword_and_its_alias_raise():
    """Passing a property under two names is refused, naming both."""
    with pytest.raises(TypeError, match="'lw' is another name of 'linewidth'"):
        HAND_BUILT["training_curves"]().plot(linewidth=1, lw=2)


def test_two_ways_to_colour_points_raise():
    """c and color both colour a scatter: one of them must go."""
    with pytest.raises(TypeError, match="c and color both colour the points"):
        HAND_BUILT["latent_space"]().plot(c="k", color="r")


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"cmap": "nope"}, ValueError, "cmap='nope' is not a matplotlib colormap"),
        ({"cmap": 3}, TypeError, "cmap must be a colormap name"),
        ({"vmin": 2, "vmax": 1}, ValueError, "vmin must be below vmax"),
        ({"vmin": 1, "vmax": 1}, ValueError, "vmin must be below vmax"),
        ({"vmin": np.nan}, ValueError, "vmin must be finite"),
        ({"vmax": np.inf}, ValueError, "vmax must be finite"),
        ({"vmin": -1e308, "vmax": 1e308}, ValueError, "vmin must be finite"),
        ({"vmin": "0"}, TypeError, "vmin must be a number or None, got '0'"),
        ({"vmax": True}, TypeError, "vmax must be a number or None, got True"),
        ({"vmin": 5.0}, ValueError, "vmin=5.0 is not below the largest value shown"),
        ({"vmax": -1}, ValueError, "vmax=-1 is not above the smallest value shown"),
    ],
)
@pytest.mark.parametrize("name", TILED)
def test_bad_colour_scales_raise(name, kwargs, error, match):
    """Unknown colormaps and limits that are not finite, ordered numbers."""
    with pytest.raises(error, match=match):
        HAND_BUILT[name]().plot(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"cmap": "nope"}, "cmap='nope'"), ({"vmin": np.nan}, "vmin must be finite")],
)
def test_scatter_colour_scales_are_checked(kwargs, match):
    """cmap and vmin passed on to scatter are checked the same way."""
    labels = np.linspace(0, 1, 6)
    with pytest.raises(ValueError, match=match):
        LatentSpaceDisplay(_rows(6, 2), labels).plot(**kwargs)


# (display, the array made bad) -> the Display built with that array.
def _with(name, array):
    rows = _rows(2)
    return {
        "samples": lambda: SamplesDisplay(array),
        "latent": lambda: LatentSpaceDisplay(array),
        "decoded": lambda: LatentGridDisplay(array, [[0], [0]]),
        "decoded_path": lambda: InterpolationDisplay(array),
        "originals": lambda: ReconstructionDisplay(array, rows),
        "reconstructions": lambda: ReconstructionDisplay(rows, array),
        "progress_originals": lambda: ReconstructionProgressDisplay(
            array, rows[None], [1]
        ),
    }[name]()


@pytest.mark.parametrize(
    "array, error, match",
    [
        (
            np.zeros(64),
            ValueError,
            "must be 2-D, of shape \\(.*\\), got shape \\(64,\\)",
        ),
        (np.zeros((2, 2, 16)), ValueError, "must be 2-D, of.*got shape \\(2, 2, 16\\)"),
        (3.0, ValueError, "must be 2-D, of.*got shape \\(\\)"),
        (np.zeros((0, 64)), ValueError, "has shape \\(0, 64\\), so there is nothing"),
        (np.full((1, 64), np.inf), ValueError, "holds infinite values"),
        (
            np.array([[1e308, -1e308]]),
            ValueError,
            "holds values up to 1e\\+308",
        ),
        (np.ones((1, 64)) * 1j, TypeError, "must hold real numbers, got complex"),
        ([["a"] * 64], TypeError, "must hold numbers, got dtype <U1"),
        ([[1.0, 2.0], [3.0]], ValueError, "must be a regular array"),
        (sp.csr_matrix(np.ones((1, 64))), TypeError, "is a sparse matrix"),
    ],
)
@pytest.mark.parametrize(
    "name",
    [
        "samples",
        "latent",
        "decoded",
        "decoded_path",
        "originals",
        "reconstructions",
        "progress_originals",
    ],
)
def test_bad_arrays_raise_naming_them(name, array, error, match):
    """Every array a Display draws is checked once, its name in the message."""
    label = {"decoded_path": "decoded", "progress_originals": "originals"}
    with pytest.raises(error, match=f"{label.get(name, name)} {match}"):
        _with(name, array).plot()


@pytest.mark.parametrize(
    "name", ["samples", "latent", "decoded", "decoded_path", "reconstructions"]
)
def test_nan_in_drawn_values_raises(name):
    """NaN cannot be drawn: it would leave a silent hole."""
    with pytest.raises(ValueError, match="holds NaN values"):
        _with(name, np.full((1, 64), np.nan)).plot()


@pytest.mark.parametrize("name", ["originals", "progress_originals"])
def test_originals_with_only_missing_values_raise(name):
    """Originals may miss values (NaN gaps), but not all of them."""
    with pytest.raises(ValueError, match="originals holds only NaN values"):
        _with(name, np.full((2, 64), np.nan)).plot()


def test_recordings_and_epochs_are_checked():
    """reconstructions_by_epoch must be 3-D and finite; epochs 1-D numbers."""
    rows = _rows(2, 4)
    with pytest.raises(ValueError, match="reconstructions_by_epoch must be 3-D"):
        ReconstructionProgressDisplay(rows, rows, [1]).plot()
    with pytest.raises(ValueError, match="reconstructions_by_epoch holds NaN"):
        ReconstructionProgressDisplay(rows, np.full((1, 2, 4), np.nan), [1]).plot()
    with pytest.raises(ValueError, match="epochs must be 1-D.*got shape \\(\\)"):
        ReconstructionProgressDisplay(rows, rows[None], 3).plot()


def test_torch_tensors_that_require_grad_are_drawn():
    """Tensors are read detached, by hand and through from_estimator."""
    rows = torch.tensor(_rows(4), requires_grad=True)
    display = SamplesDisplay(rows, image_shape=DIGITS_SHAPE).plot()
    assert_allclose(display.image_.get_array()[:8, :8], _rows(4)[0].reshape(8, 8))


@pytest.mark.parametrize(
    "name",
    [
        "latent_space",
        "latent_grid",
        "interpolation",
        "reconstruction",
        "reconstruction_progress",
        "samples",
        "training_curves",
    ],
)
def test_an_outlier_detector_is_named(fitted, name):
    """A detector has no transform or decoder of its own: a TypeError says so."""
    _, X, _, _ = fitted(VAETransformer, "digits")
    detector = AutoencoderOutlierDetector(VAETransformer(**FAST)).fit(X)
    match = "needs a fitted VAETransformer.*got AutoencoderOutlierDetector.*estimator_"
    with pytest.raises(TypeError, match=match):
        _from_estimator(name, detector, X)


@pytest.mark.parametrize(
    "name", ["latent_grid", "interpolation", "reconstruction", "samples"]
)
def test_pipeline_steps_that_cannot_invert_are_named(fitted, name):
    """Rows mapped back through a Pipeline need every step to invert."""
    _, X, _, _ = fitted(VAETransformer, "digits")
    pipeline = make_pipeline(Normalizer(), VAETransformer(**FAST)).fit(X)
    match = "step 'normalizer' \\(Normalizer\\) has no `inverse_transform`"
    with pytest.raises(TypeError, match=match):
        _from_estimator(name, pipeline, X)


@pytest.mark.parametrize(
    "name, params, match",
    [
        ("latent_grid", {"n_per_side": 50}, "grid of 50 x 50 codes and their decoded"),
        ("interpolation", {"n_steps": 1000}, "path of 1000 codes and their decoded"),
        ("samples", {"n_samples": 1000}, "1000 samples needs"),
    ],
)
def test_memory_counts_the_decoded_rows_and_picture(
    fitted, monkeypatch, name, params, match
):
    """The memory check counts the rows and mosaic, not just the codes."""
    estimator, X, _, _ = fitted(VAETransformer, "digits")
    monkeypatch.setattr("skvae._device.memory_bytes", lambda device: 2**20)
    with pytest.raises(ValueError, match=match):
        _from_estimator(name, estimator, X, **params)
