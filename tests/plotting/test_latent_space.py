"""LatentSpaceDisplay: latent codes scattered on two dimensions."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
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
        ((0,), "pair of latent dimensions"),
    ],
)
def test_bad_dims_raise(fitted, dims, match):
    """dims out of range, repeated or not a pair raise a ValueError saying so."""
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
