"""Plain values and tensors of a saved model, and the checks they pass on loading.

Values go to JSON, which cannot say "tuple" or "infinity": those are tagged
objects (``{"__tuple__": [...]}``, ``{"__float__": "inf"}``), as are torch.optim's
optimizer classes, by name (``{"__torch_optim__": "torch.optim.AdamW"}``: loading
looks the name up in ``torch.optim`` and imports nothing). Reading a file never
trusts it: every value read back is checked for its type and range, and every
tensor against the name, shape and dtype the rebuilt model expects.
"""

import math
from numbers import Integral, Real

import numpy as np
import torch

from .exceptions import ModelFileError

_TUPLE, _FLOAT, _RANDOM_STATE = "__tuple__", "__float__", "__random_state__"
_OPTIMIZER, _TORCH_OPTIM = "__torch_optim__", "torch.optim."
_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_MT_KEYS = 624  # the keys of a RandomState's Mersenne Twister


def to_json(value, where):
    """``value`` as JSON values, or a ValueError naming ``where`` it sits."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.bool_):  # scikit-learn's "boolean" takes numpy's
        return bool(value)
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        value = float(value)
        return value if math.isfinite(value) else {_FLOAT: repr(value)}
    if isinstance(value, tuple | list):
        items = [to_json(item, f"{where}[{i}]") for i, item in enumerate(value)]
        return {_TUPLE: items} if isinstance(value, tuple) else items
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        if any(key.startswith("__") for key in value):
            raise ValueError(f"{where}: keys starting with '__' cannot be saved.")
        return {key: to_json(item, f"{where}[{key!r}]") for key, item in value.items()}
    if isinstance(value, np.random.RandomState):
        kind, keys, pos, has_gauss, gauss = value.get_state()
        return {_RANDOM_STATE: [kind, keys.tolist(), pos, has_gauss, gauss]}
    if isinstance(value, type) and issubclass(value, torch.optim.Optimizer):
        return {_OPTIMIZER: _optimizer_name(value, where)}
    raise ValueError(
        f"{where} is a {type(value).__name__}, which skvae's model files cannot "
        "hold. Set it to a plain value (a number, string or tuple) before "
        "saving, or use pickle (see the README's 'Saving models')."
    )


def from_json(value, where):
    """The value :func:`to_json` made, checked for being one it could make."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, list):
        return [from_json(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if not isinstance(value, dict):
        raise ModelFileError(f"{where} holds {value!r}, which skvae never writes.")
    tags = [key for key in value if key.startswith("__")]
    if not tags:
        return {k: from_json(item, f"{where}[{k!r}]") for k, item in value.items()}
    tagged = value[tags[0]]
    if len(value) == 1 and tags[0] == _TUPLE and isinstance(tagged, list):
        return tuple(from_json(tagged, where))
    if len(value) == 1 and tags[0] == _FLOAT and tagged in _NON_FINITE:
        return _NON_FINITE[tagged]
    if len(value) == 1 and tags[0] == _RANDOM_STATE:
        return _random_state(tagged, where)
    if len(value) == 1 and tags[0] == _OPTIMIZER:
        return _optimizer_class(tagged, where)
    raise ModelFileError(f"{where} holds {value!r}, which skvae never writes.")


def _random_state(state, where):
    rng = np.random.RandomState()
    try:
        kind, keys, pos, has_gauss, gauss = state
        if len(keys) != _MT_KEYS or not all(
            isinstance(key, int) and 0 <= key < 2**32 for key in keys
        ):
            raise ValueError
        # numpy takes any position: one past the keys makes each draw read the
        # memory beyond them, until it crashes.
        if not isinstance(pos, int) or not 0 <= pos <= _MT_KEYS:
            raise ValueError
        rng.set_state((kind, np.array(keys, dtype=np.uint32), pos, has_gauss, gauss))
    except (TypeError, ValueError):
        raise ModelFileError(f"{where} is not a numpy RandomState's state.") from None
    return rng


def _optimizer_name(cls, where):
    """``"torch.optim.<name>"`` of a class of torch.optim's, or a ValueError."""
    if vars(torch.optim).get(cls.__name__) is not cls:
        raise ValueError(
            f"{where} is the optimizer class {cls.__module__}.{cls.__qualname__}, "
            "which skvae's model files cannot hold: they name torch.optim's own "
            "optimizers only, as rebuilding another class from a file means "
            "importing its code. Save this model with pickle or joblib, and load "
            "such files only from sources you trust (see the README's 'Saving "
            "models')."
        )
    return _TORCH_OPTIM + cls.__name__


def _optimizer_class(name, where):
    """The optimizer class of torch.optim that ``name`` names; nothing imported."""
    found = None
    if isinstance(name, str) and name.startswith(_TORCH_OPTIM):
        found = vars(torch.optim).get(name[len(_TORCH_OPTIM) :])
    if not (isinstance(found, type) and issubclass(found, torch.optim.Optimizer)):
        raise ModelFileError(
            f"{where} names the optimizer {name!r}, which is no optimizer class of "
            "torch.optim."
        )
    return found


_INT64_MAX = int(np.iinfo(np.int64).max)


def read_int(value, where, low=0, high=_INT64_MAX):
    """``value`` when it is an int from ``low`` to ``high``, else a ModelFileError."""
    integer = isinstance(value, int) and not isinstance(value, bool)
    if not integer or not low <= value <= high:
        raise ModelFileError(f"{where} is {value!r}, not an int in [{low}, {high}].")
    return value


def read_float(value, where):
    """``value`` when it is a finite float (or int), else a ModelFileError."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ModelFileError(f"{where} is {value!r}, not a number.")
    if not math.isfinite(value):
        raise ModelFileError(f"{where} is {value!r}, not a finite number.")
    return float(value)


def read_choice(value, where, choices):
    if value not in choices:
        raise ModelFileError(f"{where} is {value!r}, not one of {sorted(choices)}.")
    return value


def read_names(value, where, length):
    """``value`` as an object array of ``length`` strings, else a ModelFileError."""
    names = isinstance(value, list) and all(isinstance(name, str) for name in value)
    if not names or len(value) != length:
        raise ModelFileError(f"{where} is not a list of {length} column names.")
    return np.array(value, dtype=object)


def read_dict(value, where, keys):
    """``value`` when it is a dict with exactly the string ``keys``."""
    if not isinstance(value, dict) or set(value) != set(keys):
        found = sorted(value) if isinstance(value, dict) else type(value).__name__
        raise ModelFileError(f"{where} holds {found}; expected {sorted(keys)}.")
    return value


class Tensors:
    """The tensors of a model file, handed out by name prefix after checks.

    On saving, each fitted model adds its tensors under a prefix of its own; on
    loading, :meth:`take` gives a model its tensors once they match the
    specification its rebuilt (empty) module gives, and :meth:`check_all_taken`
    refuses tensors no model asked for.
    """

    def __init__(self, tensors=None):
        self.tensors = dict(tensors or {})
        self.taken = set()

    def prefix(self):
        """A prefix no model has used yet."""
        return f"{len({name.split('/')[0] for name in self.tensors})}/"

    def add(self, prefix, tensors):
        for name, tensor in tensors.items():
            self.tensors[prefix + name] = tensor.detach().cpu().contiguous()

    def under(self, prefix):
        """The tensors under ``prefix``, by their names after it; unchecked."""
        return {
            name[len(prefix) :]: tensor
            for name, tensor in self.tensors.items()
            if name.startswith(prefix)
        }

    def take(self, prefix, spec, where):
        """The tensors under ``prefix``, named as in ``spec`` (name -> (shape,
        dtype)), or a ModelFileError naming the first that differs."""
        found = self.under(prefix)
        missing, extra = sorted(set(spec) - set(found)), sorted(set(found) - set(spec))
        if missing:
            raise ModelFileError(f"{where}: the tensor {missing[0]!r} is missing.")
        if extra:
            raise ModelFileError(f"{where}: the tensor {extra[0]!r} is not its own.")
        for name, (shape, dtype) in spec.items():
            tensor = found[name]
            if tuple(tensor.shape) != tuple(shape) or tensor.dtype != dtype:
                raise ModelFileError(
                    f"{where}: the tensor {name!r} is {tuple(tensor.shape)} "
                    f"{tensor.dtype}; the model needs {tuple(shape)} {dtype}."
                )
        self.taken.update(prefix + name for name in found)
        return found

    def check_all_taken(self):
        extra = sorted(set(self.tensors) - self.taken)
        if extra:
            raise ModelFileError(f"the tensor {extra[0]!r} belongs to no model.")


def spec_of(tensors):
    """The (shape, dtype) of each of the named ``tensors``: what :meth:`Tensors.take`
    checks a file against."""
    return {name: (tuple(t.shape), t.dtype) for name, t in tensors.items()}


def float64_spec(shape):
    return (tuple(shape), torch.float64)
