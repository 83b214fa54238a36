"""LatentGridDisplay: rows decoded over a grid of two latent dimensions."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import norm
from sklearn.exceptions import NotFittedError

from skvae import AETransformer, VAETransformer
from skvae.plotting import LatentGridDisplay
from tests.conftest import ESTIMATORS


def _expected_grid_values(estimator, dims, n, quantile_range):
    ppf = norm.ppf(np.linspace(*quantile_range, n))
    if isinstance(estimator, AETransformer):
        std = np.sqrt(np.diag(estimator.latent_covariance_))
        return [estimator.latent_mean_[d] + std[d] * ppf for d in dims]
    return [ppf, ppf]


@pytest.mark.parametrize("data", ["digits", "table"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_from_estimator_decodes_the_quantile_grid(fitted, Estimator, data):
    """Grid values are norm.ppf of the quantiles (scaled by the AE's latent
    Gaussian) and decoded rows follow the documented order."""
    estimator, _, _, image_shape = fitted(Estimator, data)
    display = LatentGridDisplay.from_estimator(
        estimator, n_per_side=4, quantile_range=(0.1, 0.9), image_shape=image_shape
    )
    expected = _expected_grid_values(estimator, (0, 1), 4, (0.1, 0.9))
    assert_allclose(display.grid_values, expected)
    assert display.decoded.shape == (16, estimator.n_features_in_)
    i, j = 3, 1  # row i * n1 + j has z0 = grid_values[0][i], z1 = grid_values[1][j]
    point = [[expected[0][i], expected[1][j]]]
    assert_allclose(display.decoded[i * 4 + j], estimator.inverse_transform(point)[0])
    assert display.figure_ is display.ax_.figure
    if image_shape is not None:
        assert display.image_.get_array().shape == (4 * 8 + 3, 4 * 8 + 3)
        ticks = [t.get_text() for t in display.ax_.get_xticklabels()]
        assert ticks == [f"{v:.2f}" for v in expected[0]]


def test_other_dimensions_sit_at_the_centre(fitted):
    """With latent_dim=3 the unplotted dimension is 0 for the VAE and the code
    mean for the AE, and dims picks the plotted ones."""
    for Estimator in ESTIMATORS:
        estimator, _, _, _ = fitted(Estimator, "table", latent_dim=3)
        display = LatentGridDisplay.from_estimator(estimator, n_per_side=2, dims=(2, 0))
        centre = getattr(estimator, "latent_mean_", np.zeros(3))
        z = centre.copy()
        z[2], z[0] = display.grid_values[0][1], display.grid_values[1][0]
        assert_allclose(display.decoded[1 * 2 + 0], estimator.inverse_transform([z])[0])
        assert display.ax_.get_ylabel().startswith("z2")


def test_images_are_laid_out_like_a_scatter_plot():
    """dims[0] grows to the right and dims[1] upwards."""
    n0, n1 = 3, 2
    decoded = np.repeat(np.arange(n0 * n1, dtype=float), 4).reshape(-1, 4)
    display = LatentGridDisplay(
        decoded, [np.arange(n0), np.arange(n1)], image_shape=(1, 2, 2)
    ).plot()
    mosaic = display.image_.get_array()
    # (z0 index, z1 index) -> decoded row i * n1 + j
    assert_array_equal(mosaic[:2, :2], 0 * n1 + 1)  # top left: lowest z0, highest z1
    assert_array_equal(mosaic[3:, :2], 0 * n1 + 0)  # bottom left
    assert_array_equal(mosaic[:2, 6:], 2 * n1 + 1)  # top right
    ylabels = [t.get_text() for t in display.ax_.get_yticklabels()]
    assert ylabels == ["1.00", "0.00"]


def test_tabular_rows_form_a_heatmap_in_decoded_order():
    """Tabular rows are drawn as the decoded array, labelled by dims[0] block."""
    decoded = np.random.RandomState(0).normal(size=(6, 5))
    display = LatentGridDisplay(decoded, [[-1.0, 0.0, 1.0], [-1.0, 1.0]]).plot()
    assert_allclose(display.image_.get_array(), decoded)
    labels = [t.get_text() for t in display.ax_.get_yticklabels()]
    assert labels == ["-1.00", "0.00", "1.00"]


def test_plot_draws_on_the_given_axes():
    """plot(ax=ax) draws on ax and records it and its figure."""
    _, ax = plt.subplots()
    decoded = np.zeros((4, 64))
    display = LatentGridDisplay(decoded, [[0, 1], [0, 1]], image_shape=(1, 8, 8))
    display.plot(ax=ax)
    assert display.ax_ is ax
    assert display.figure_ is ax.figure


@pytest.mark.parametrize(
    "dims, match",
    [
        ((0, 2), "dims=\\(0, 2\\) is out of range.*latent_dim=2"),
        ((1, 1), "two different dimensions"),
    ],
)
def test_bad_dims_raise(fitted, dims, match):
    """dims must be two different dimensions below latent_dim."""
    estimator, _, _, _ = fitted(VAETransformer, "table")
    with pytest.raises(ValueError, match=match):
        LatentGridDisplay.from_estimator(estimator, dims=dims)


def test_one_latent_dimension_raises(fitted):
    """A 1-D latent space has no grid of two dimensions."""
    estimator, _, _, _ = fitted(VAETransformer, "digits", latent_dim=1)
    with pytest.raises(ValueError, match="at least two latent dimensions.*=1"):
        LatentGridDisplay.from_estimator(estimator)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"quantile_range": (0.0, 0.5)}, "0 < q0 < q1 < 1"),
        ({"quantile_range": (0.9, 0.1)}, "0 < q0 < q1 < 1"),
        ({"n_per_side": 0}, "n_per_side must be an integer >= 1"),
        ({"n_per_side": 10**7}, "grid of 10000000 x 10000000 codes.*smaller"),
        ({"image_shape": (1, 8, 9)}, "72 values.*64 features"),
    ],
)
def test_bad_arguments_raise(fitted, params, match):
    """Bad quantile ranges, grid sizes and image shapes raise a ValueError."""
    estimator, _, _, _ = fitted(VAETransformer, "digits")
    with pytest.raises(ValueError, match=match):
        LatentGridDisplay.from_estimator(estimator, **params)


def test_decoded_rows_must_match_the_grid():
    """decoded needs one row per grid point."""
    with pytest.raises(ValueError, match="got 5 rows for grid_values of lengths"):
        LatentGridDisplay(np.zeros((5, 3)), [[0, 1], [0, 1]]).plot()


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_unfitted_estimator_raises(Estimator):
    """from_estimator on an unfitted estimator raises NotFittedError."""
    with pytest.raises(NotFittedError):
        LatentGridDisplay.from_estimator(Estimator())


@pytest.mark.parametrize(
    "params, match",
    [
        ({"dims": 5}, "dims must be a pair of latent dimensions, got 5"),
        ({"dims": (0, 0)}, "dims must be two different dimensions"),
        ({"dims": (-1, 0)}, "dims must be non-negative"),
        ({"grid_values": 3}, "grid_values must be a pair.*got 3"),
        ({"grid_values": [[0, 1], [[0], [1]]]}, "grid_values\\[1\\] must be 1-D"),
        ({"grid_values": [[0, np.nan], [0, 1]]}, "grid_values\\[0\\] holds NaN"),
    ],
)
def test_hand_built_dims_and_grid_values_are_checked(params, match):
    """dims and grid_values given by hand are checked in plot, naming them."""
    args = {"grid_values": [[0, 1], [0, 1]], **params}
    grid_values = args.pop("grid_values")
    display = LatentGridDisplay(np.zeros((4, 3)), grid_values, **args)
    with pytest.raises(ValueError, match=match):
        display.plot()


@pytest.mark.parametrize("quantile_range", [("a", "b"), "ab", (0.1, None)])
def test_quantile_ranges_that_are_not_numbers_raise(fitted, quantile_range):
    """quantile_range must hold two numbers, not strings or None."""
    estimator, _, _, _ = fitted(VAETransformer, "table")
    with pytest.raises(ValueError, match="quantile_range must be a pair"):
        LatentGridDisplay.from_estimator(estimator, quantile_range=quantile_range)


def test_large_grid_values_get_short_labels():
    """Latent values of 1e5 and more are labelled in three digits, not 300."""
    display = LatentGridDisplay(
        np.zeros((4, 4)), [[0, 1e300], [0, 1]], image_shape=(1, 2, 2)
    ).plot()
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == ["0.00", "1e+300"]
