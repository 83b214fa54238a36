"""LatentSpaceDisplay: latent codes scattered on two or three dimensions."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from mpl_toolkits.mplot3d import Axes3D
from numpy.testing import assert_allclose
from scipy.stats import norm
from sklearn.exceptions import NotFittedError

from skvae import VAETransformer
from skvae.plotting import LatentSpaceDisplay
from tests.conftest import ESTIMATORS


@pytest.mark.parametrize("data", ["digits", "table"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_from_estimator_scatters_the_codes(fitted, Estimator, data):
    """The scatter shows transform(X) on dims 0 and 1, with its attributes set."""
    estimator, X, y, _ = fitted(Estimator, data)
    display = LatentSpaceDisplay.from_estimator(estimator, X, y)
    latent = estimator.transform(X)
    assert_allclose(display.latent, latent)
    assert display.labels is y
    assert_allclose(display.scatter_.get_offsets(), latent[:, :2])
    assert display.figure_ is display.ax_.figure
    assert display.ax_.get_xlabel() == "z0"
    assert display.ax_.get_ylabel() == "z1"


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_cdf_maps_codes_into_the_unit_square(fitted, Estimator):
    """With cdf=True the plotted points are norm.cdf of the codes, within [0, 1]."""
    estimator, X, y, _ = fitted(Estimator, "table")
    display = LatentSpaceDisplay.from_estimator(estimator, X, cdf=True)
    offsets = np.asarray(display.scatter_.get_offsets())
    assert ((offsets >= 0) & (offsets <= 1)).all()
    assert_allclose(offsets, norm.cdf(estimator.transform(X)))
    assert display.ax_.get_xlabel() == "Phi(z0)"
    assert display.ax_.get_xlim() == (0, 1)


def test_plot_draws_on_the_given_axes():
    """plot(ax=ax) draws on ax and records it and its figure."""
    _, ax = plt.subplots()
    latent = np.random.RandomState(0).normal(size=(20, 2))
    display = LatentSpaceDisplay(latent).plot(ax=ax)
    assert display.ax_ is ax
    assert display.figure_ is ax.figure
    assert list(ax.collections) == [display.scatter_]


def test_chosen_dims_are_plotted():
    """dims picks which latent columns go on x and y."""
    latent = np.random.RandomState(0).normal(size=(20, 3))
    display = LatentSpaceDisplay(latent, dims=(2, 0)).plot()
    assert_allclose(display.scatter_.get_offsets(), latent[:, [2, 0]])
    assert (display.ax_.get_xlabel(), display.ax_.get_ylabel()) == ("z2", "z0")


@pytest.mark.parametrize(
    "labels", [np.repeat([0, 1, 2], 10), np.repeat(["cat", "dog", "eel"], 10)]
)
def test_class_labels_get_a_legend(labels):
    """Class labels get one colour each and a legend entry per class."""
    latent = np.random.RandomState(0).normal(size=(30, 2))
    display = LatentSpaceDisplay(latent, labels).plot()
    legend = display.ax_.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [str(c) for c in labels[::10]]
    colours = display.scatter_.get_facecolors()
    assert len({tuple(c) for c in colours}) == 3
    assert len(display.figure_.axes) == 1  # no colorbar


def test_continuous_labels_get_a_colorbar():
    """Real-valued labels are colour-mapped with a colorbar and no legend."""
    rng = np.random.RandomState(0)
    display = LatentSpaceDisplay(rng.normal(size=(30, 2)), rng.normal(size=30)).plot()
    assert display.ax_.get_legend() is None
    assert len(display.figure_.axes) == 2


def test_one_latent_dimension_plots_the_code_against_the_label(fitted):
    """With latent_dim=1, x is z0 and y is the class position (jittered)."""
    estimator, X, y, _ = fitted(VAETransformer, "digits", latent_dim=1)
    display = LatentSpaceDisplay.from_estimator(estimator, X, y)
    offsets = np.asarray(display.scatter_.get_offsets())
    assert_allclose(offsets[:, 0], estimator.transform(X)[:, 0])
    classes = np.unique(y)
    assert_allclose(classes[np.round(offsets[:, 1]).astype(int)], y)


@pytest.mark.parametrize(
    "dims, match",
    [
        ((0, 2), "dims=\\(0, 2\\) is out of range.*latent_dim=2"),
        ((-1, 0), "out of range"),
        ((1, 1), "two different dimensions"),
        ((0,), "two or three latent dimensions, got \\(0,\\)"),
        ((0, 1, 2, 3), "two or three latent dimensions"),
        ((0, 1, 2), "dims=\\(0, 1, 2\\) names three dimensions.*latent_dim=2"),
        ((0.0, 1), "dims must hold integers"),
        ("01", "two or three latent dimensions"),
    ],
)
def test_bad_dims_raise(fitted, dims, match):
    """dims out of range, repeated, not integers or not two or three raise."""
    estimator, X, y, _ = fitted(VAETransformer, "table")
    with pytest.raises(ValueError, match=match):
        LatentSpaceDisplay.from_estimator(estimator, X, dims=dims)


def test_labels_of_the_wrong_length_raise():
    """labels must have one entry per row."""
    with pytest.raises(ValueError, match="labels has 3 entries but latent has 5"):
        LatentSpaceDisplay(np.zeros((5, 2)), [0, 1, 2]).plot()


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_unfitted_estimator_raises(Estimator):
    """from_estimator on an unfitted estimator raises NotFittedError."""
    with pytest.raises(NotFittedError):
        LatentSpaceDisplay.from_estimator(Estimator(), np.zeros((3, 5)))


@pytest.mark.parametrize(
    "labels, match",
    [
        (np.zeros((5, 2)), "labels must be 1-D, one per row of latent, got shape"),
        (3, "labels must be 1-D.*got shape \\(\\)"),
        ([0.0, 1.0, np.nan, 2.0, 3.0], "labels holds NaN values"),
        ([0.5, 1.5, np.inf, 2.5, 3.5], "labels holds infinite values"),
    ],
)
def test_bad_labels_raise(labels, match):
    """Labels must be 1-D, one per row, and finite when they are numbers."""
    with pytest.raises(ValueError, match=match):
        LatentSpaceDisplay(np.zeros((5, 2)), labels).plot()


def test_mixed_labels_are_classes_named_by_their_str():
    """Object labels mixing types are classes, one legend entry per str."""
    labels = np.array([1, "cat", 1, "cat", None], dtype=object)
    display = LatentSpaceDisplay(np.zeros((5, 2)), labels).plot()
    texts = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert texts == ["1", "None", "cat"]


@pytest.mark.parametrize("cdf", ["no", np.array([1, 0]), 1, None])
def test_cdf_must_be_a_bool(cdf):
    """cdf is True or False: a string or an array is not silently truthy."""
    with pytest.raises(TypeError, match="cdf must be True or False"):
        LatentSpaceDisplay(np.zeros((5, 2)), cdf=cdf).plot()


@pytest.mark.parametrize("keyword", ["c", "color", "fc"])
def test_colour_keywords_beside_labels_raise(keyword):
    """With labels colouring the points, a colour of one's own cannot be added."""
    with pytest.raises(ValueError, match="would hide the colours of the labels"):
        LatentSpaceDisplay(np.zeros((4, 2)), [0, 1, 0, 1]).plot(**{keyword: "k"})


def _three_dims(display):
    """The x, y and z coordinates of a display's 3-D scatter, as columns."""
    return np.column_stack(display.scatter_._offsets3d)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_three_dims_scatter_the_codes_in_3d(fitted, Estimator):
    """Three dims draw transform(X)'s chosen columns on a new 3-D Axes."""
    estimator, X, y, _ = fitted(Estimator, "table", latent_dim=3)
    display = LatentSpaceDisplay.from_estimator(estimator, X, y, dims=(2, 0, 1))
    assert isinstance(display.ax_, Axes3D)
    assert display.figure_ is display.ax_.figure
    assert_allclose(_three_dims(display), estimator.transform(X)[:, [2, 0, 1]])
    labels = display.ax_.get_xlabel(), display.ax_.get_ylabel()
    assert (*labels, display.ax_.get_zlabel()) == ("z2", "z0", "z1")


def test_three_dims_draw_on_the_given_3d_axes():
    """plot(ax=ax) with a 3-D ax and three dims draws on that ax."""
    ax = plt.figure().add_subplot(projection="3d")
    latent = np.random.RandomState(0).normal(size=(20, 4))
    display = LatentSpaceDisplay(latent, dims=(3, 1, 0)).plot(ax=ax)
    assert display.ax_ is ax
    assert list(ax.collections) == [display.scatter_]
    assert_allclose(_three_dims(display), latent[:, [3, 1, 0]])


def test_three_dims_with_class_labels_get_a_legend():
    """Class labels on a 3-D scatter get a legend entry per class, no colorbar."""
    labels = np.repeat(["cat", "dog", "eel"], 10)
    latent = np.random.RandomState(0).normal(size=(30, 3))
    display = LatentSpaceDisplay(latent, labels, dims=(0, 1, 2)).plot()
    texts = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert texts == ["cat", "dog", "eel"]
    assert len(display.figure_.axes) == 1


def test_three_dims_with_continuous_labels_get_a_colorbar():
    """Real-valued labels on a 3-D scatter get a colorbar and no legend."""
    rng = np.random.RandomState(0)
    latent, labels = rng.normal(size=(30, 3)), rng.normal(size=30)
    display = LatentSpaceDisplay(latent, labels, dims=(0, 1, 2)).plot()
    assert display.ax_.get_legend() is None
    assert len(display.figure_.axes) == 2


def test_cdf_maps_three_dims_into_the_unit_cube():
    """With cdf=True all three coordinates are norm.cdf of the codes, in [0, 1]."""
    latent = np.random.RandomState(0).normal(size=(20, 3))
    display = LatentSpaceDisplay(latent, dims=(0, 1, 2), cdf=True).plot()
    assert_allclose(_three_dims(display), norm.cdf(latent))
    ax = display.ax_
    assert (ax.get_xlim(), ax.get_ylim(), ax.get_zlim()) == ((0, 1),) * 3
    assert ax.get_zlabel() == "Phi(z2)"


@pytest.mark.parametrize(
    "dims, projection, match",
    [
        ((0, 1, 2), None, "3-D Axes, got a 'rectilinear'.*dims=\\(0, 1, 2\\)"),
        ((0, 1, 2), "polar", "3-D Axes, got a 'polar' projection"),
        ((0, 1), "3d", "2-D rectilinear Axes, got a '3d'.*dims=\\(0, 1\\)"),
    ],
)
def test_axes_must_match_the_number_of_dims(dims, projection, match):
    """Three dims need a 3-D ax, two a 2-D one; a mismatch names both."""
    ax = plt.figure().add_subplot(projection=projection)
    latent = np.random.RandomState(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match=match):
        LatentSpaceDisplay(latent, dims=dims).plot(ax=ax)


def test_three_dims_of_one_latent_dimension_raise(fitted):
    """With latent_dim=1, three dims raise instead of being ignored like two."""
    estimator, X, y, _ = fitted(VAETransformer, "digits", latent_dim=1)
    with pytest.raises(ValueError, match="3-D scatter.*latent_dim=1"):
        LatentSpaceDisplay.from_estimator(estimator, X, y, dims=(0, 1, 2))
