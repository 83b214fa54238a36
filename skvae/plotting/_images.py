"""Rows as pictures: image shapes, tiled mosaics and their tick labels.

Every Display that shows many rows draws them as tiles of ONE image in one Axes
(``ax.imshow`` once), so ``plot(ax=...)`` works with a single Axes and stays fast.
Rows with an ``image_shape`` become (C, H, W) pictures; tabular rows become
1 x n_features strips, so the same mosaic doubles as a heatmap.
"""

import math

import numpy as np

from .._validation import check_image_shape
from ._common import _check_colour_scale, _check_style, _get_axes, _show

# At most this many labelled ticks per axis; beyond it every k-th tile is labelled.
_MAX_TICKS = 10
# A new figure for a mosaic of images: its longer side this many inches, plus room
# for tick labels and a title.
_MOSAIC_INCHES = 5.0
_MARGIN_INCHES = (1.2, 0.9)


def _check_image_shape(image_shape, n_features):
    """``image_shape`` (``(C, H, W)`` or None) checked against ``n_features``.

    Images are drawn in grey or RGB, so ``C`` must be 1 or 3.
    """
    if image_shape is None:
        return None
    shape = check_image_shape(image_shape, n_features)
    if shape[0] not in (1, 3):
        raise ValueError(
            f"image_shape must have 1 (grey) or 3 (RGB) channels, got C={shape[0]} "
            f"in image_shape={shape}."
        )
    return shape


def _resolve_image_shape(image_shape, default, n_features):
    """``image_shape`` checked against ``n_features``; None takes ``default`` (the
    model's) where it can draw rows of ``n_features``, else treats rows as tabular.
    """
    if image_shape is not None:
        return _check_image_shape(image_shape, n_features)
    if default is None:
        return None
    shape = check_image_shape(default)
    fits = n_features is None or math.prod(shape) == n_features
    return shape if fits and shape[0] in (1, 3) else None


def _value_range(arrays, vmin, vmax):
    """``(vmin, vmax)``, each defaulting to the extreme value in ``arrays``.

    A limit given on one side only must leave room for the values: ``vmin=5``
    over values at most 3 would colour nothing.
    """
    low = min(float(np.nanmin(a)) for a in arrays) if vmin is None else vmin
    high = max(float(np.nanmax(a)) for a in arrays) if vmax is None else vmax
    if vmax is None and vmin is not None and not low < high:
        raise ValueError(
            f"vmin={_show(vmin)} is not below the largest value shown, {high:g}; lower "
            "vmin, or pass vmax too."
        )
    if vmin is None and vmax is not None and not low < high:
        raise ValueError(
            f"vmax={_show(vmax)} is not above the smallest value shown, {low:g}; raise "
            "vmax, or pass vmin too."
        )
    return low, high


def _rows_to_tiles(rows, image_shape, vmin, vmax):
    """Rows as tiles: (n, H, W) values for one channel, (n, H, W, 4) RGBA for three.

    Tabular rows (``image_shape=None``) become (n, 1, n_features) strips. RGB
    values are scaled from [vmin, vmax] to [0, 1] and clipped there; a pixel
    with a missing (NaN) channel is transparent, as a NaN grey pixel is.
    """
    rows = np.asarray(rows, dtype=np.float64)
    if image_shape is None:
        return rows[:, None, :]
    channels, height, width = image_shape
    images = rows.reshape(len(rows), channels, height, width)
    if channels == 1:
        return images[:, 0]
    span = vmax - vmin if vmax > vmin else 1.0
    rgb = np.clip((images.transpose(0, 2, 3, 1) - vmin) / span, 0.0, 1.0)
    alpha = np.isfinite(rgb).all(axis=-1, keepdims=True).astype(np.float64)
    return np.concatenate([np.nan_to_num(rgb), alpha], axis=-1)


def _mosaic(tiles, n_cols, gap):
    """Tile ``tiles`` row by row into one array, with ``gap=(rows, cols)`` between.

    Gaps and unused tiles are NaN (one channel) or transparent (RGBA), so they show
    the Axes background. Returns the mosaic and the pixel centres of the tile rows
    and columns.
    """
    n, height, width = tiles.shape[:3]
    n_rows = -(-n // n_cols)
    gap_y, gap_x = gap
    shape = (
        n_rows * height + (n_rows - 1) * gap_y,
        n_cols * width + (n_cols - 1) * gap_x,
    ) + tiles.shape[3:]
    mosaic = np.zeros(shape) if tiles.ndim == 4 else np.full(shape, np.nan)
    for k, tile in enumerate(tiles):
        top = (k // n_cols) * (height + gap_y)
        left = (k % n_cols) * (width + gap_x)
        mosaic[top : top + height, left : left + width] = tile
    row_centres = np.arange(n_rows) * (height + gap_y) + (height - 1) / 2
    col_centres = np.arange(n_cols) * (width + gap_x) + (width - 1) / 2
    return mosaic, row_centres, col_centres


def _tile_style(ax, arrays, cmap, vmin, vmax, kwargs):
    """``ax`` (a new figure's Axes when None) and the :func:`_draw_tiles` style.

    Everything is checked before a figure is made: the colour scale, the imshow
    keywords and ``ax``. ``vmin`` and ``vmax`` default to the extremes of the
    ``arrays`` shown. Only a figure made here is fitted to the mosaic: one passed
    in is the caller's to lay out.
    """
    _check_colour_scale(cmap, vmin, vmax)
    kwargs = _check_style(kwargs, "imshow")
    vmin, vmax = _value_range(arrays, vmin, vmax)
    style = dict(fit_figure=ax is None, cmap=cmap, vmin=vmin, vmax=vmax, **kwargs)
    return _get_axes(ax), style


def _draw_tiles(
    ax,
    rows,
    image_shape,
    n_cols,
    *,
    fit_figure=False,
    cmap=None,
    vmin=None,
    vmax=None,
    **kwargs,
):
    """Draw ``rows`` as a mosaic of tiles in ``ax`` with a single ``imshow``.

    Images get square pixels, a gap of about an eighth of a tile and the grey
    colormap ``"gray_r"``; tabular strips fill the Axes (``aspect="auto"``), sit
    side by side with a one-cell gap when ``n_cols > 1``, and use ``"viridis"``.
    Ticks are removed; label them with :func:`_label_ticks`. With ``fit_figure``
    (for a figure made for this plot) a mosaic of images resizes the figure to
    its shape, so it is not lost in white space.

    Returns
    -------
    image : matplotlib.image.AxesImage
    row_centres, col_centres : ndarray
        Pixel coordinates of the centres of the tile rows and columns.
    """
    vmin, vmax = _value_range([rows], vmin, vmax)
    tiles = _rows_to_tiles(rows, image_shape, vmin, vmax)
    if image_shape is None:
        gap = (0, 1 if n_cols > 1 else 0)
        defaults = {"cmap": "viridis" if cmap is None else cmap, "aspect": "auto"}
    else:
        gap = (max(1, image_shape[1] // 8), max(1, image_shape[2] // 8))
        defaults = {"cmap": "gray_r" if cmap is None else cmap, "aspect": "equal"}
    if tiles.ndim == 4:  # RGBA: already coloured
        defaults.pop("cmap")
    else:
        defaults.update(vmin=vmin, vmax=vmax)
    mosaic, row_centres, col_centres = _mosaic(tiles, n_cols, gap)
    image = ax.imshow(mosaic, **{"interpolation": "nearest", **defaults, **kwargs})
    ax.set_xticks([])
    ax.set_yticks([])
    if image_shape is not None:
        # Keep the Axes box and widen the limits instead: with a shrunken box,
        # constrained layout can clip the tick labels of a fixed-aspect image.
        ax.set_adjustable("datalim")
        ax.spines[:].set_visible(False)
        if fit_figure:
            inches = _MOSAIC_INCHES / max(mosaic.shape[:2])
            ax.figure.set_size_inches(
                mosaic.shape[1] * inches + _MARGIN_INCHES[0],
                mosaic.shape[0] * inches + _MARGIN_INCHES[1],
            )
    return image, row_centres, col_centres


def _draw_heatmap(ax, rows, value_label, **style):
    """Draw tabular ``rows`` as a heatmap, one row each and a column per feature.

    Labels the features on the x axis and adds a colorbar titled ``value_label``;
    the rows' y ticks and label are the caller's. ``style`` goes to
    :func:`_draw_tiles`.

    Returns
    -------
    image : matplotlib.image.AxesImage
    row_centres : ndarray
        Pixel coordinates of the centres of the rows.
    """
    image, row_centres, _ = _draw_tiles(ax, rows, None, 1, **style)
    features = np.arange(rows.shape[1])
    _label_ticks(ax.xaxis, features, features)
    ax.set_xlabel("feature")
    ax.figure.colorbar(image, ax=ax, label=value_label)
    return image, row_centres


def _label_ticks(axis, positions, labels, max_ticks=_MAX_TICKS):
    """Put ``labels`` at ``positions`` on ``axis``, thinned to about ``max_ticks``."""
    step = max(1, -(-len(positions) // max_ticks))
    axis.set_ticks(np.asarray(positions)[::step], list(labels)[::step])
