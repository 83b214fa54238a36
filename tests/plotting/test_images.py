"""Shared helpers: image shapes, RGB conversion, mosaics and tick thinning."""

import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skvae.plotting._images import (
    _check_image_shape,
    _draw_tiles,
    _label_ticks,
    _mosaic,
    _resolve_image_shape,
    _rows_to_tiles,
)


@pytest.mark.parametrize(
    "image_shape, match",
    [
        ((8, 8), "three positive integers"),
        ((1, 0, 8), "three positive integers"),
        ((1, 8.0, 8), "three positive integers"),
        ((2, 4, 8), "1 \\(grey\\) or 3 \\(RGB\\) channels, got C=2"),
        ((1, 8, 9), "holds 72 values per row, but the rows have 64 features"),
    ],
)
def test_check_image_shape_rejects(image_shape, match):
    """Malformed or mismatched image shapes raise a ValueError naming the problem."""
    with pytest.raises(ValueError, match=match):
        _check_image_shape(image_shape, 64)


@pytest.mark.parametrize(
    "image_shape, n_features",
    [(None, 64), ((1, 8, 8), 64), ([3, 4, 4], 48), ((1, 1, 64), 64), ((3, 2, 2), None)],
)
def test_check_image_shape_accepts(image_shape, n_features):
    """Valid shapes come back as a tuple of ints (None stays None)."""
    checked = _check_image_shape(image_shape, n_features)
    assert checked == (None if image_shape is None else tuple(image_shape))


def test_rgb_rows_become_upright_rgba_tiles():
    """A C, H, W row maps channel c of pixel (h, w) to tile[h, w, c], scaled by the
    value range and clipped to [0, 1]."""
    row = np.zeros((3, 2, 4))
    row[0, 0, 3] = 10.0  # red, top right
    row[2, 1, 0] = 5.0  # half blue, bottom left
    row[1, 1, 1] = 20.0  # beyond vmax: clipped
    tiles = _rows_to_tiles(row.reshape(1, -1), (3, 2, 4), vmin=0.0, vmax=10.0)
    assert tiles.shape == (1, 2, 4, 4)
    assert_allclose(tiles[0, 0, 3], [1, 0, 0, 1])
    assert_allclose(tiles[0, 1, 0], [0, 0, 0.5, 1])
    assert_allclose(tiles[0, 1, 1], [0, 1, 0, 1])


def test_mosaic_places_tiles_row_by_row_with_gaps():
    """Tile k sits at grid row k // n_cols, column k % n_cols; gaps and unused
    tiles are NaN; the centres are the tiles' pixel centres."""
    tiles = np.arange(5, dtype=float)[:, None, None] * np.ones((5, 2, 3))
    mosaic, rows, cols = _mosaic(tiles, n_cols=3, gap=(1, 2))
    assert mosaic.shape == (2 * 2 + 1, 3 * 3 + 2 * 2)
    assert_array_equal(mosaic[0, :3], 0)
    assert_array_equal(mosaic[3:5, 5:8], 4)
    assert np.isnan(mosaic[2]).all()  # the row gap
    assert np.isnan(mosaic[3:, 10:]).all()  # the sixth, unused tile
    assert_allclose(rows, [0.5, 3.5])
    assert_allclose(cols, [1, 6, 11])


def test_draw_tiles_tabular_rows_form_a_heatmap():
    """Tabular rows in one column are drawn as the plain (n_rows, n_features) array."""
    rows = np.arange(12.0).reshape(4, 3)
    _, ax = plt.subplots()
    image, row_centres, _ = _draw_tiles(ax, rows, None, 1)
    assert_array_equal(image.get_array(), rows)
    assert_allclose(row_centres, np.arange(4))


def test_label_ticks_thins_to_about_max_ticks():
    """Long tick lists keep every k-th label, the first included."""
    _, ax = plt.subplots()
    _label_ticks(ax.xaxis, np.arange(25), [str(k) for k in range(25)], max_ticks=10)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == [str(k) for k in range(0, 25, 3)]


def test_importing_the_package_leaves_matplotlib_unloaded():
    """matplotlib is imported only when something is drawn."""
    code = (
        "import sys, skvae.plotting; "
        "sys.exit('matplotlib' in sys.modules or 'matplotlib.pyplot' in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "image_shape, default, n_features, expected",
    [
        (None, (1, 8, 8), 64, (1, 8, 8)),
        (None, (1, 8, 8), 30, None),
        (None, (2, 4, 8), 64, None),
        (None, None, 64, None),
        ((1, 4, 16), (1, 8, 8), 64, (1, 4, 16)),
    ],
)
def test_resolve_image_shape_uses_a_default_that_can_draw_the_rows(
    image_shape, default, n_features, expected
):
    """The model's image_shape is used where it fits the rows, else rows are
    tabular; an image_shape passed in always wins."""
    assert _resolve_image_shape(image_shape, default, n_features) == expected


def test_rgb_pixels_with_a_missing_channel_are_transparent():
    """A NaN channel makes its RGB pixel a transparent gap, like a NaN grey one."""
    row = np.ones((3, 1, 2))
    row[1, 0, 0] = np.nan
    tiles = _rows_to_tiles(row.reshape(1, -1), (3, 1, 2), vmin=0.0, vmax=1.0)
    assert_allclose(tiles[0, 0, :, 3], [0, 1])  # alpha: the first pixel is a gap
    assert np.isfinite(tiles).all()
