"""What a fitted estimator keeps in a model file (``skvae.save``), and how it is
put back.

Each mixin turns its estimator's learned state into JSON values and named
tensors, and restores it from them after checking every value; the file
container is ``_persist``'s.
"""

import warnings

import numpy as np
import torch
from skorch.history import History

from ._columns import columns_state, read_columns
from ._device import resolve_device
from ._serial import (
    ModelFileError,
    float64_spec,
    from_json,
    read_dict,
    read_int,
    read_names,
    spec_of,
    to_json,
)
from ._training import Seeds
from ._validation import MAX_WIDTH, STRUCTURE_PARAMS

_HISTORY_VALUES = (bool, int, float, str, type(None))


def check_saveable_networks(estimator, where):
    """Refuse the user's own encoder and decoder: their code is not in the file."""
    structure = getattr(estimator, "_structure_", {})
    if estimator.encoder is None and structure.get("encoder") is None:
        return
    raise ValueError(
        f"{where} has its own encoder/decoder modules, which skvae's model files "
        "cannot hold: rebuilding a torch module from a file means running its "
        "code. Save this model with pickle or joblib, and load such files only "
        "from sources you trust (see the README's 'Saving models')."
    )


class SavedAutoencoder:
    """Mixin of the autoencoders: their module, optimizer, generators and statistics.

    A subclass lists in ``_statistics`` what it learns beyond its module, each
    with the number of latent dimensions in its shape (0: an int from 0 to
    ``latent_dim``).
    """

    _statistics: dict = {}

    def _saved_state(self, store):
        """The fitted state as JSON values; its tensors go to ``store.tensors``."""
        # First: a class of the user's is refused before any of its code runs.
        structure = to_json(self._structure_, f"{type(self).__name__}'s structure")
        tensors = store.tensors
        prefix = tensors.prefix()
        net = self.net_
        tensors.add(prefix + "module.", self.module_.state_dict())
        tensors.add(prefix + "optimizer.", _optimizer_tensors(net.optimizer_))
        generators = _generators(net)
        tensors.add(
            prefix + "generator.",
            {
                name: generator.get_state()  # a uint8 tensor, on the CPU
                for name, generator in generators.items()
            },
        )
        arrays = {
            name: torch.from_numpy(np.asarray(getattr(self, name), dtype=np.float64))
            for name, dims in self._statistics.items()
            if dims
        }
        tensors.add(prefix + "statistics.", arrays)
        scheduler = dict(net.callbacks_).get("lr_scheduler")
        columns = getattr(self, "_columns_", None)
        if columns is not None:
            columns = columns_state(
                columns,
                lambda table: tensors.add(
                    prefix + "columns.", {"quantiles": torch.from_numpy(table)}
                ),
            )
        return {
            "columns": columns,
            "tensors": prefix,
            "n_features_in_": self.n_features_in_,
            "feature_names_in_": _names(self),
            "structure": structure,
            "seeds": list(self._seeds_),
            "device": self.device_,
            "generators": {name: str(g.device) for name, g in generators.items()},
            "period": getattr(scheduler, "T_max", None),
            "statistics": {
                name: int(getattr(self, name))
                for name, dims in self._statistics.items()
                if not dims
            },
            "history": [
                to_json({k: v for k, v in row.items() if k != "batches"}, "history")
                for row in net.history
            ],
        }

    def _restore_state(self, state, store, device):
        """Put back the state :meth:`_saved_state` gave; ``self`` has its
        parameters. ``device``: :func:`skvae.load`'s (None: the saved one)."""
        keys = ("tensors", "n_features_in_", "feature_names_in_", "structure")
        keys += ("seeds", "device", "generators", "period", "statistics", "history")
        # Files from before categorical columns have no "columns".
        keys += ("columns",) * ("columns" in state if isinstance(state, dict) else 0)
        state = read_dict(state, "fitted", keys)
        n_features = read_int(state["n_features_in_"], "n_features_in_", 1, MAX_WIDTH)
        names = state["feature_names_in_"]
        structure = from_json(state["structure"], "structure")
        if isinstance(structure, dict):  # files from before the parameter: Adam's
            structure.setdefault("optimizer", "adam")
        structure = read_dict(structure, "structure", STRUCTURE_PARAMS)
        # The parameters the module was built with pass the estimator's checks.
        type(self)(**{**self.get_params(), **structure})._validate_params()
        seeds = state["seeds"]
        if not isinstance(seeds, list) or len(seeds) != len(Seeds._fields):
            raise ModelFileError("seeds is not a list of the fit's seeds.")
        seeds = Seeds(*(read_int(seed, "seeds", 0, 2**32 - 1) for seed in seeds))
        period = state["period"]
        period = 1 if period is None else read_int(period, "period", 1)
        prefix = state["tensors"]
        if not isinstance(prefix, str):
            raise ModelFileError("fitted.tensors is not a name prefix.")

        target = self._load_device(state["device"], device)
        if names is not None:
            self.feature_names_in_ = read_names(names, "feature_names_in_", n_features)
        self.n_features_in_ = n_features
        if target != state["device"]:
            structure["device"] = self.device
        self._structure_ = structure
        self._seeds_ = seeds
        self.device_ = target
        latent_dim = structure["latent_dim"]
        tensors = store.tensors
        self._columns_ = None
        if state.get("columns") is not None:
            self._columns_ = read_columns(
                state["columns"],
                lambda shape: tensors.take(
                    prefix + "columns.", {"quantiles": float64_spec(shape)}, "columns"
                )["quantiles"],
                n_features,
                ModelFileError,
            )
        self._restore_statistics(state["statistics"], tensors, prefix, latent_dim)
        width = n_features
        if self._columns_ is not None:
            width = self._columns_.n_numeric + sum(self._columns_.category_sizes)
        module = self._restored_module(tensors, prefix + "module.", width)
        self.net_ = self._make_net(module.to(target), period)
        optimizer = self.net_.optimizer_
        saved = _optimizer_state(optimizer, tensors, prefix + "optimizer.")
        groups = optimizer.state_dict()["param_groups"]
        optimizer.load_state_dict({"state": saved, "param_groups": groups})
        _restore_generators(
            self.net_, state["generators"], tensors, prefix + "generator."
        )
        self.net_.history = _history(state["history"])

    def _load_device(self, saved, requested):
        """The device to load on, setting the ``device`` parameter to match.

        ``requested`` (load's ``device=``) wins; else the saved device, or the
        CPU, with a warning, where that device is missing.
        """
        if not isinstance(saved, str):
            raise ModelFileError("device is not a device name.")
        if requested is not None:
            self.device = requested
            return resolve_device(requested)
        try:
            return resolve_device(saved)
        except ValueError:
            pass
        if _device_type(saved) != "cuda":
            raise ModelFileError(f"device is {saved!r}, not a torch device.")
        warnings.warn(
            f"The model was saved on {saved!r}, which this machine lacks: it is "
            "loaded on the CPU. Pass device= to skvae.load to choose.",
            UserWarning,
            stacklevel=5,
        )
        if self.device != "auto":
            self.device = "cpu"
        return "cpu"

    def _restored_module(self, tensors, prefix, n_features):
        """The module built empty (on the meta device), then given the file's
        tensors once they match its own names, shapes and dtypes."""
        with torch.device("meta"):
            module = self._make_module(n_features)
        weights = tensors.take(prefix, spec_of(module.state_dict()), "module")
        module.load_state_dict(weights, strict=True, assign=True)
        return module.eval()

    def _restore_statistics(self, values, tensors, prefix, latent_dim):
        scalars = [name for name, dims in self._statistics.items() if not dims]
        values = read_dict(values, "statistics", scalars)
        for name in scalars:
            setattr(self, name, read_int(values[name], name, 0, latent_dim))
        spec = {
            name: float64_spec((latent_dim,) * dims)
            for name, dims in self._statistics.items()
            if dims
        }
        arrays = tensors.take(prefix + "statistics.", spec, "statistics")
        for name, tensor in arrays.items():
            array = tensor.numpy().copy()
            if not np.isfinite(array).all():
                raise ModelFileError(f"{name} holds values that are not finite.")
            setattr(self, name, array)


def _names(estimator):
    names = getattr(estimator, "feature_names_in_", None)
    return None if names is None else [str(name) for name in names]


def _optimizer_tensors(optimizer):
    """The state of the fitted ``optimizer``, by ``"<weight index>.<name>"``.

    Entries that are None (SGD's momentum buffer without momentum, in some torch
    versions) are left out: torch's optimizers read a missing entry as None. A
    state that loading could not check is refused: values other than tensors
    (LBFGS's), or entries other than those one step of a fresh copy keeps.
    """
    name = _class_name(optimizer)
    tensors = {}
    for index, per_weight in optimizer.state_dict()["state"].items():
        for key, value in per_weight.items():
            if value is not None and not isinstance(value, torch.Tensor):
                raise ValueError(
                    f"The optimizer {name} keeps its {key!r} as an object of "
                    f"type {type(value).__name__}, which skvae's model files "
                    "cannot hold; save this model with pickle or joblib."
                )
            if value is not None:
                tensors[f"{index}.{key}"] = value
    if set(tensors) != set(_optimizer_spec(optimizer)):
        raise ValueError(
            f"The state of the optimizer {name} differs from what one step of a "
            "fresh copy keeps (a weight that got no gradient?), which loading "
            "would refuse; save this model with pickle or joblib."
        )
    return tensors


def _optimizer_spec(optimizer):
    """The (shape, dtype) of each tensor ``optimizer`` keeps once it has stepped,
    by ``"<weight index>.<name>"``.

    Found as the module's are: a fresh copy of the optimizer, with the same
    settings, steps once over empty (meta) weights, which holds no data.
    """
    groups = []
    for group in optimizer.param_groups:
        weights = [
            torch.empty_like(w, device="meta").requires_grad_() for w in group["params"]
        ]
        for weight in weights:
            weight.grad = torch.empty_like(weight)
        # The fused kernels run on real devices only; the plain ones keep the
        # same state.
        plain = {"fused": None} if group.get("fused") else {}
        groups.append({**group, **plain, "params": weights})
    try:
        fresh = type(optimizer)(groups)
        fresh.step()
    except Exception as exc:  # torch's optimizers fail on meta tensors in many ways
        raise ValueError(
            f"The state of the optimizer {_class_name(optimizer)} cannot be "
            f"checked: a step of a fresh copy on empty weights failed ({exc}). "
            "Save such models with pickle or joblib."
        ) from None
    return {
        f"{index}.{key}": (tuple(value.shape), value.dtype)
        for index, per_weight in fresh.state_dict()["state"].items()
        for key, value in per_weight.items()
        if isinstance(value, torch.Tensor)
    }


def _optimizer_state(optimizer, tensors, prefix):
    """The file's state for the fresh ``optimizer``, by weight index, once its
    tensors have the names, shapes and dtypes of :func:`_optimizer_spec`.

    A scalar (a step count) may be float32 or float64, which torch converts.
    """
    found = tensors.under(prefix)
    spec = {}
    for name, (shape, dtype) in _optimizer_spec(optimizer).items():
        saved = found.get(name)
        scalar = shape == () and dtype.is_floating_point and saved is not None
        if scalar and saved.dtype in (torch.float32, torch.float64):
            dtype = saved.dtype
        spec[name] = (shape, dtype)
    state = {}
    for name, tensor in tensors.take(prefix, spec, "optimizer").items():
        index, key = name.split(".", 1)
        state.setdefault(int(index), {})[key] = tensor
    return state


def _class_name(obj):
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _generators(net):
    return {
        name: value
        for name, value in sorted(vars(net).items())
        if isinstance(value, torch.Generator)
    }


def _restore_generators(net, devices, tensors, prefix):
    """Give the rebuilt net's generators (seeded as at fit) the file's states.

    A generator saved on another kind of device (CUDA, loaded on the CPU) keeps
    the fresh stream from its seed: their states differ in kind.
    """
    generators = _generators(net)
    devices = read_dict(devices, "generators", generators)
    spec, same = {}, {}
    for name, generator in generators.items():
        if _device_type(devices[name]) == generator.device.type:
            same[name] = generator
            spec[name] = (tuple(generator.get_state().shape), torch.uint8)
        else:
            saved = tensors.under(prefix).get(name)
            spec[name] = (() if saved is None else tuple(saved.shape), torch.uint8)
    states = tensors.take(prefix, spec, "generator")
    for name, generator in same.items():
        try:
            generator.set_state(states[name])
        except RuntimeError:
            raise ModelFileError(f"generator {name!r} has an invalid state.") from None


def _device_type(name):
    """The kind of device ``name`` names ("cpu", "cuda", ...), or a ModelFileError."""
    try:
        return torch.device(name).type
    except (RuntimeError, TypeError):
        raise ModelFileError(f"{name!r} is not a torch device.") from None


def _history(rows):
    """skorch's History of the file's per-epoch rows (batches are not saved)."""
    if not isinstance(rows, list):
        raise ModelFileError("history is not a list of epochs.")
    epochs = []
    for row in rows:
        row = from_json(row, "history")
        if not isinstance(row, dict) or not all(
            isinstance(value, _HISTORY_VALUES) for value in row.values()
        ):
            raise ModelFileError("history holds an epoch that is not plain values.")
        epochs.append(row)
    return History(epochs)
