"""Build what an estimator trains from its parameters: module, callbacks, splits.

These are the parts of ``fit`` that read many parameters at once; they take the
estimator and leave it unchanged.
"""

import copy
import math
from numbers import Integral

import numpy as np
import torch
from skorch.callbacks import Callback, PassthroughScoring, ProgressBar
from torch.utils.data import TensorDataset

from ._controls import control_callbacks, validation_fraction
from ._net import StopOnNonFiniteLoss
from .nn import ConvDecoder, ConvEncoder, MLPDecoder, MLPEncoder, build_seeded

_MLP_HIDDEN_DIMS = (64, 32)


def resolve_device(device):
    """Turn ``device`` into a torch device string, checking that it exists."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a torch device: {exc}") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available here; "
            "use device='auto' or device='cpu'."
        )
    return str(resolved)


def mean_and_scale(X):
    """Column means and standard deviations, 1 where a column is constant.

    Columns are divided by their largest magnitude first, so values near the top of
    the float64 range do not overflow when squared. A spread below float32
    resolution relative to the column's mean counts as constant (rounding noise).
    """
    span = np.abs(X).max(axis=0).astype(np.float64)
    span[span == 0] = 1.0
    unit = X / span
    mean = unit.mean(axis=0) * span
    scale = unit.std(axis=0) * span
    constant = scale <= np.finfo(np.float32).eps * np.abs(mean)
    return mean, np.where(constant, 1.0, scale)


def build_module(estimator, n_features, generator):
    """The seeded module, checked to map rows to rows of ``n_features``."""
    try:
        module = build_seeded(lambda: estimator._make_module(n_features), generator)
        module.eval()
        with torch.no_grad():
            width = module.decode(module.code(torch.zeros(2, n_features))).shape[1]
    except RuntimeError as exc:
        if estimator.encoder is None:
            raise
        raise ValueError(
            f"The encoder/decoder modules failed on rows of {n_features} "
            f"features and codes of {estimator.latent_dim} dimensions: {exc}"
        ) from None
    if width != n_features:
        raise ValueError(
            f"The decoder produces {width} values per row, but X has "
            f"{n_features} features."
        )
    return module


def make_networks(estimator, n_features):
    """Fresh encoder and decoder modules for the configured architecture."""
    if estimator.encoder is not None:
        return copy.deepcopy(estimator.encoder), copy.deepcopy(estimator.decoder)
    dims = hidden_dims(estimator)
    if estimator.architecture == "conv":
        shape = tuple(estimator.image_shape)
        return ConvEncoder(shape, dims), ConvDecoder(estimator.latent_dim, shape, dims)
    return (
        MLPEncoder(n_features, dims),
        MLPDecoder(estimator.latent_dim, dims, n_features),
    )


def hidden_dims(estimator):
    if estimator.hidden_dims != "auto":
        return tuple(estimator.hidden_dims)
    return None if estimator.architecture == "conv" else _MLP_HIDDEN_DIMS


def make_callbacks(estimator, net_class, n_epochs):
    """skorch callbacks of a fit of ``n_epochs``: loss parts, controls, user's."""
    parts = [
        f"{stage}_{part}"
        for stage in ("train", "valid")
        for part in net_class.loss_parts
    ]
    callbacks = [("stop_on_non_finite_loss", StopOnNonFiniteLoss())]
    callbacks += [
        (name, PassthroughScoring(name, on_train=name.startswith("train")))
        for name in parts
    ]
    callbacks += control_callbacks(estimator, net_class, n_epochs)
    if estimator.verbose >= 2:
        callbacks.append(("progress_bar", ProgressBar()))
    for callback in estimator.callbacks or ():
        named = isinstance(callback, tuple) and len(callback) == 2
        if not isinstance(callback[1] if named else callback, Callback):
            raise ValueError(
                "callbacks must hold skorch Callback instances or (name, "
                f"Callback) pairs, got {callback!r}."
            )
        # A copy, so refitting starts afresh and the parameter is not mutated.
        callbacks.append(copy.deepcopy(callback))
    return callbacks


def split_rows(estimator, rows):
    """Training and validation datasets (None when nothing is held out).

    The held-out rows are a seeded random ``validation_fraction`` of ``rows``
    (0.1 for early stopping when that is None).
    """
    fraction = validation_fraction(estimator)
    if fraction is None:
        return TensorDataset(rows), None
    n_valid = max(1, round(fraction * len(rows)))
    if n_valid >= len(rows):
        stopping = (
            " for early_stopping" if estimator.validation_fraction is None else ""
        )
        raise ValueError(
            f"validation_fraction={fraction}{stopping} leaves no rows to train on "
            f"out of {len(rows)}; use more rows, or validation_fraction=None and "
            "early_stopping=False."
        )
    generator = torch.Generator().manual_seed(estimator._seed_)
    order = torch.randperm(len(rows), generator=generator).to(rows.device)
    return (
        TensorDataset(rows[order[n_valid:]]),
        TensorDataset(rows[order[:n_valid]]),
    )


def check_networks(estimator, n_features):
    """Check that the architecture parameters agree with each other and X."""
    dims = estimator.hidden_dims
    if dims != "auto" and not all(
        isinstance(d, Integral) and not isinstance(d, bool) and d >= 1 for d in dims
    ):
        raise ValueError(
            f"hidden_dims must be a tuple of positive integers, got {dims!r}."
        )
    shape = estimator.image_shape
    if shape is not None:
        if len(shape) != 3 or not all(
            isinstance(s, Integral) and not isinstance(s, bool) and s >= 1
            for s in shape
        ):
            raise ValueError(
                "image_shape must be (channels, height, width), three positive "
                f"integers, got {shape!r}."
            )
        if math.prod(shape) != n_features:
            raise ValueError(
                f"image_shape={tuple(shape)!r} needs rows of "
                f"{math.prod(shape)} values (C * H * W), but X has "
                f"{n_features} features."
            )
    if (estimator.encoder is None) != (estimator.decoder is None):
        raise ValueError("Pass both encoder and decoder, or neither.")
    if estimator.encoder is not None:
        if estimator.architecture != "mlp" or dims != "auto":
            raise ValueError(
                "encoder and decoder replace the built-in networks: leave "
                "architecture and hidden_dims at their defaults."
            )
    elif estimator.architecture == "conv":
        if shape is None:
            raise ValueError(
                "architecture='conv' needs image_shape=(channels, height, width)."
            )
        if dims != "auto" and not dims:
            raise ValueError(
                "architecture='conv' needs at least one block in hidden_dims."
            )
