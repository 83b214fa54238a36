"""Input and parameter checks, each defined once and shared across the package.

Types and shapes are decided here before scikit-learn or torch see the data, so
every error names the problem in our words without reading another library's.
"""

import math
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils import assert_all_finite
from torch import nn

from ._accelerate import AcceleratorInstance
from ._sklearn import HasMethods, Interval, StrOptions
from ._training import OPTIMIZERS


class Number(Interval):
    """scikit-learn's ``Interval``, minus bools: ``True`` is an ``Integral`` and a
    ``Real``, but never a count, a rate or a fraction.

    ``latent_dim=True`` passed scikit-learn's ``Interval(Integral, 1, ...)`` and
    then crashed inside torch; ``lr=True`` trained at a rate of 1.
    """

    def is_satisfied_by(self, val):
        return not isinstance(val, bool) and super().is_satisfied_by(val)


class OptimizerClass(HasMethods):
    """Subclasses of ``torch.optim.Optimizer``: the class, which the net builds
    over the module's weights, not an instance (built over other weights)."""

    def __init__(self):
        super().__init__(["step", "zero_grad"])

    def is_satisfied_by(self, val):
        return (
            isinstance(val, type)
            and issubclass(val, torch.optim.Optimizer)
            and val is not torch.optim.Optimizer
        )

    def __str__(self):
        return "a subclass of torch.optim.Optimizer (the class, not an instance)"


# The largest count torch takes: max_epochs=10**31 overflowed inside it.
_INT64_MAX = int(np.iinfo(np.int64).max)


class Count(Number):
    """Integers from ``minimum`` to ``maximum`` (by default what a 64-bit integer
    holds), bools refused."""

    def __init__(self, minimum, maximum=_INT64_MAX):
        super().__init__(Integral, minimum, maximum, closed="both")


# The widest layer or code: two layers 2**31 wide overflowed torch's 64-bit
# storage sizes before any memory check could name them, and no machine holds a
# layer of 2**24 inputs and outputs (a petabyte of float32 weights).
MAX_WIDTH = 2**24


# The parameters both autoencoders share, for scikit-learn's validate_params.
AUTOENCODER_CONSTRAINTS = {
    "latent_dim": [Count(1, MAX_WIDTH)],
    "hidden_dims": [tuple, list, StrOptions({"auto"})],
    "architecture": [StrOptions({"mlp", "conv"})],
    "image_shape": [tuple, list, None],
    "encoder": [nn.Module, None],
    "decoder": [nn.Module, None],
    "likelihood": [StrOptions({"gaussian", "bernoulli"})],
    "categorical_features": [StrOptions({"from_dtype"}), "array-like", None],
    "handle_unknown": [StrOptions({"error", "ignore"})],
    "binarize": ["boolean"],
    "max_epochs": [
        Count(1),
        StrOptions({"auto"}),
    ],
    "batch_size": [Count(1)],
    "optimizer": [StrOptions(set(OPTIMIZERS)), OptimizerClass()],
    "lr": [Number(Real, 0, None, closed="neither")],
    "lr_schedule": [StrOptions({"cosine", "plateau"}), None],
    "early_stopping": ["boolean"],
    "validation_fraction": [Number(Real, 0, 1, closed="neither"), None],
    "n_iter_no_change": [Count(1)],
    "tol": [Number(Real, 0, None, closed="left")],
    "trim_fraction": [Number(Real, 0, 1, closed="left")],
    "callbacks": [list, tuple, None],
    "device": [str, torch.device],
    "accelerator": [None, AcceleratorInstance()],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}

# dtype kinds of numbers: bool, signed, unsigned, float and complex (which
# validate_data refuses in its own clear words).
_NUMERIC_KINDS = "biufc"


def _is_int(value, minimum=1):
    """Whether ``value`` is an integer >= ``minimum``; bools are not counts."""
    return (
        isinstance(value, Integral)
        and not isinstance(value, bool)
        and (value >= minimum)
    )


def check_int(value, name, minimum=1):
    """``value`` as an int, or a ValueError unless it is an integer >= ``minimum``.

    Bools are refused: ``True`` is an ``Integral`` but never means a count.
    """
    if not _is_int(value, minimum):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def check_image_shape(image_shape, n_features=None):
    """``image_shape`` as a tuple ``(C, H, W)`` of positive ints, or a ValueError.

    With ``n_features``, the shape must hold exactly that many values per row.
    """
    shape = tuple(image_shape) if np.iterable(image_shape) else (image_shape,)
    if len(shape) != 3 or not all(_is_int(d) for d in shape):
        raise ValueError(
            "image_shape must be (channels, height, width), three positive "
            f"integers, got {image_shape!r}."
        )
    if n_features is not None and math.prod(shape) != n_features:
        raise ValueError(
            f"image_shape={shape!r} holds {math.prod(shape)} values per row, but "
            f"the rows have {n_features} features (C * H * W must equal it)."
        )
    return tuple(int(d) for d in shape)


def check_networks(
    *, architecture, hidden_dims, image_shape, encoder, decoder, n_features
):
    """Check that the network parameters agree with each other and with X."""
    if hidden_dims != "auto" and not all(
        _is_int(d) and d <= MAX_WIDTH for d in hidden_dims
    ):
        raise ValueError(
            "hidden_dims must be a tuple of positive integers up to "
            f"{MAX_WIDTH:,}, got {hidden_dims!r}."
        )
    if image_shape is not None:
        check_image_shape(image_shape, n_features)
    if (encoder is None) != (decoder is None):
        raise ValueError("Pass both encoder and decoder, or neither.")
    if encoder is not None:
        if architecture != "mlp" or hidden_dims != "auto":
            raise ValueError(
                "encoder and decoder replace the built-in networks: leave "
                "architecture and hidden_dims at their defaults."
            )
    elif architecture == "conv":
        if image_shape is None:
            raise ValueError(
                "architecture='conv' needs image_shape=(channels, height, width)."
            )
        if hidden_dims != "auto" and not hidden_dims:
            raise ValueError(
                "architecture='conv' needs at least one block in hidden_dims."
            )


def from_torch(X):
    """``X``, or a torch tensor's values as a numpy array (detached, on the CPU).

    numpy cannot read a tensor that requires grad, or bfloat16 (which becomes
    float32, exactly).
    """
    if not isinstance(X, torch.Tensor):
        return X
    X = X.detach().cpu()
    if X.is_floating_point() and X.dtype not in (torch.float32, torch.float64):
        X = X.float()
    return X.numpy()


def check_numeric_rows(X, input_name="X"):
    """Raise a ValueError unless ``X`` can be numeric rows: 2-D at most, numbers.

    Sparse matrices and 0-D/1-D input pass through: scikit-learn's
    ``validate_data`` names those problems itself. A DataFrame's non-numeric
    columns are named.
    """
    if sp.issparse(X):
        return
    frame = hasattr(X, "select_dtypes")
    if frame:
        # numpy turns datetimes into floats without complaint; the table does not.
        times = list(X.select_dtypes(include=["datetime", "timedelta", "datetimetz"]))
        if times:
            raise TypeError(
                f"{input_name} must be numeric, but these columns hold dates or "
                f"durations: {', '.join(map(str, times))}. Turn them into numbers "
                "first (e.g. seconds since a start), or drop them."
            )
    try:
        if frame:
            np.asarray(X[_non_numeric_columns(X)], dtype=np.float64)
        else:
            values = np.asarray(X)
            if values.dtype.kind not in _NUMERIC_KINDS:
                values.astype(np.float64)
    except (TypeError, ValueError) as exc:
        columns = ", ".join(map(str, _non_numeric_columns(X))) if frame else ""
        named = (
            f"; non-numeric columns: {columns} (list categorical ones in "
            "categorical_features)"
            if columns
            else ""
        )
        # The same exception type: scikit-learn's checks expect a TypeError for
        # cells of the wrong type (dicts) and a ValueError for bad values.
        raise type(exc)(
            f"{input_name} must be a numeric array of shape (n_samples, "
            f"n_features){named}: {exc}"
        ) from None
    if not frame and values.ndim > 2:
        raise ValueError(
            f"Found array with dim {values.ndim}; {input_name} must be 2-D, of "
            "shape (n_samples, n_features). Flatten images to rows, e.g. "
            "X.reshape(len(X), -1), and pass image_shape=(channels, height, width)."
        )


def _non_numeric_columns(frame):
    return list(frame.select_dtypes(exclude=["number", "bool"]).columns)


def check_values(X, *, estimator_name, bernoulli=False, fitting=False):
    """Whether ``X`` has NaN (missing) entries; a ValueError for infinite values,
    a Bernoulli model's values outside [0, 1] and, ``fitting``, empty columns.
    One pass (torch's ``aminmax``) checks complete rows: numpy's passes over
    60,000 MNIST rows took a fifth of encoding them."""
    low, high = _value_range(X)
    missing = not (math.isfinite(low) and math.isfinite(high))
    if missing:  # NaN entries are missing values; an infinite one is an error
        assert_all_finite(
            X, allow_nan=True, estimator_name=estimator_name, input_name="X"
        )
        holes = np.isnan(X)
        empty = np.flatnonzero(holes.all(axis=0)) if fitting else []
        if len(empty):  # a model cannot learn a feature it never sees
            shown = ", ".join(map(str, empty[:10])) + (
                ", ..." if len(empty) > 10 else ""
            )
            raise ValueError(
                f"X has no observed value in {len(empty)} column(s) (at {shown}): "
                "every value there is NaN. Drop those columns before fitting."
            )
        observed = X[~holes]
        low, high = (observed.min(), observed.max()) if observed.size else (0, 0)
    if bernoulli and (low < 0 or high > 1):
        raise ValueError(
            "likelihood='bernoulli' needs data in [0, 1], but X has values in "
            f"[{low:g}, {high:g}]. Scale it (e.g. MinMaxScaler) or use "
            "likelihood='gaussian'."
        )
    return missing


def torch_can_view(array):
    """Whether torch can share ``array``'s memory: it warns on read-only arrays
    and cannot view negative strides (``X[::-1]``)."""
    return array.flags.writeable and min(array.strides, default=0) >= 0


def _value_range(X):
    if not torch_can_view(X):  # numpy reads it twice instead
        return float(X.min()), float(X.max())
    low, high = torch.aminmax(torch.from_numpy(X))
    return low.item(), high.item()


# Parameters that build the module and its optimizer: fixed by the first training
# call. A changed optimizer would start afresh, its state lost.
STRUCTURE_PARAMS = (
    "latent_dim",
    "likelihood",
    "architecture",
    "hidden_dims",
    "image_shape",
    "encoder",
    "decoder",
    "device",
    "optimizer",
)


def check_structure(params, fitted):
    """Raise a ValueError if a parameter that built the model has changed.

    ``params`` are the estimator's current parameters, ``fitted`` those of
    ``STRUCTURE_PARAMS`` when the module and its optimizer were built.
    """
    for name, was in fitted.items():
        value = params[name]
        if not _unchanged(value, was):
            raise ValueError(
                f"{name}={value!r} differs from the {name}={was!r} the model "
                "was built with; partial_fit cannot change it. Set it back, or "
                "call fit to build a new model."
            )


def _unchanged(value, was):
    """Whether a parameter still holds what it held (modules and classes: the
    same object)."""
    if isinstance(value, nn.Module | type) or isinstance(was, nn.Module | type):
        return value is was
    return bool(
        np.array_equal(np.asarray(value, dtype=object), np.asarray(was, dtype=object))
    )


def check_monitors(callbacks):
    """Raise a ValueError if a callback watches validation scores, which a call
    without held-out rows never records (skorch would raise a KeyError)."""
    for name, callback in callbacks:
        monitor = getattr(callback, "monitor", None)
        if isinstance(monitor, str) and monitor.startswith("valid_"):
            raise ValueError(
                f"The callback {name!r} ({type(callback).__name__}) monitors "
                f"{monitor!r}, but no rows are held out for validation: set "
                "validation_fraction (e.g. 0.1), or have it monitor 'train_loss'."
            )


def check_binarize(binarize, likelihood):
    """Raise a ValueError when ``binarize`` is asked of a non-Bernoulli model."""
    if binarize and likelihood != "bernoulli":
        raise ValueError(
            "binarize=True draws 0/1 values for a Bernoulli model; it needs "
            f"likelihood='bernoulli', got likelihood={likelihood!r}."
        )
