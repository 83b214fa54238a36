"""The model tree of a model file: estimators as JSON nodes, tensors and skops files.

``_persist`` holds the file around it. Saving turns skvae's estimators into
nodes of class, parameters and learned state (their tensors go to one
safetensors store), a ``Pipeline`` into its steps, and other scikit-learn
objects into ``skops.io`` files; loading builds only the allow-listed classes,
and skops objects only when skops trusts every type in them.
"""

from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

from ._ae import AETransformer
from ._outlier import AutoencoderOutlierDetector
from ._serial import Tensors, from_json, read_dict, to_json
from ._state import check_saveable_networks
from ._vae import VAETransformer
from .exceptions import ModelFileError

# The classes a file may name, and so the only ones loading builds.
CLASSES = {
    cls.__name__: cls
    for cls in (AETransformer, AutoencoderOutlierDetector, VAETransformer)
}


class Store:
    """Turns a model tree into JSON nodes, tensors and skops members, and back.

    Nodes: ``{"kind": "skvae", "class", "params", "estimators", "fitted"}`` for
    skvae's estimators (``estimators``: parameters that are estimators, as
    nodes), ``{"kind": "pipeline", "steps", "params"}``, ``{"kind": "skops",
    "member"}`` for other scikit-learn objects and ``{"kind": "value"}`` for a
    pipeline's ``"passthrough"`` or None step.
    """

    def __init__(self, tensors=None, objects=None, device=None):
        self.tensors = Tensors(tensors)
        self.objects = dict(objects or {})
        self.device = device

    # -- saving -------------------------------------------------------------------

    def encode(self, obj, where):
        if type(obj) in CLASSES.values():
            return self._encode_skvae(obj, where)
        if type(obj) is Pipeline:
            steps = [
                [name, self.encode(step, f"{where}.steps[{name!r}]")]
                for name, step in obj.steps
            ]
            params = obj.get_params(deep=False)
            del params["steps"]
            if params.get("memory") is not None:
                # Loading it would have joblib unpickle whatever that folder holds.
                raise ValueError(
                    f"{where} caches in memory={params['memory']!r}, which skvae's "
                    "model files cannot hold; set memory=None before saving."
                )
            params = to_json(params, where)
            return {"kind": "pipeline", "steps": steps, "params": params}
        if obj is None or obj == "passthrough":
            return {"kind": "value", "value": obj}
        return self._encode_skops(obj, where)

    def _encode_skvae(self, estimator, where):
        params = estimator.get_params(deep=False)
        if "encoder" in params:
            check_saveable_networks(estimator, where)
            if params["callbacks"] is not None:
                raise ValueError(
                    f"{where} has callbacks, which skvae's model files cannot hold. "
                    "They only act in training: set_params(callbacks=None) before "
                    "saving, or use pickle."
                )
        estimators = {
            name: self.encode(value, f"{where}.{name}")
            for name, value in params.items()
            if isinstance(value, BaseEstimator)
        }
        # An accelerator is a handle on one launch's processes: the file leaves it
        # out, so loading gives accelerator=None (and older skvae reads the file).
        plain = {
            name: v
            for name, v in params.items()
            if name not in estimators and name != "accelerator"
        }
        fitted = getattr(estimator, "n_features_in_", None) is not None
        return {
            "kind": "skvae",
            "class": type(estimator).__name__,
            "params": to_json(plain, f"{where} parameters"),
            "estimators": estimators,
            "fitted": estimator._saved_state(self) if fitted else None,
        }

    def _encode_skops(self, obj, where):
        import skops.io

        try:
            data = skops.io.dumps(obj)
        except Exception as exc:  # skops refuses what it cannot save in many ways
            raise ValueError(
                f"{where} ({type(obj).__name__}) cannot be saved by skops.io: {exc}"
            ) from None
        untrusted = skops.io.get_untrusted_types(data=data)
        if untrusted:
            raise ValueError(
                f"{where} ({type(obj).__name__}) holds types skops.io does not trust "
                f"by default: {', '.join(untrusted)}. skvae's model files hold only "
                "types that load without trusting the file; use pickle for this "
                "model, or skops.io on its own with a reviewed trusted list."
            )
        name = f"objects/{len(self.objects)}.skops"
        self.objects[name] = data
        return {"kind": "skops", "member": name}

    # -- loading ------------------------------------------------------------------

    def decode(self, node, where):
        kind = node.get("kind") if isinstance(node, dict) else None
        if kind == "skvae":
            return self._decode_skvae(node, where)
        if kind == "pipeline":
            node = read_dict(node, where, ("kind", "steps", "params"))
            steps = node["steps"]
            if not isinstance(steps, list) or not all(
                isinstance(step, list) and len(step) == 2 and isinstance(step[0], str)
                for step in steps
            ):
                raise ModelFileError(f"{where} has steps that are not (name, step).")
            params = from_json(node["params"], where)
            if not isinstance(params, dict) or "steps" in params:
                raise ModelFileError(f"{where} has parameters that are not a dict.")
            if params.get("memory") is not None:
                raise ModelFileError(f"{where} names a cache folder; none is saved.")
            decoded = [
                (name, self.decode(step, f"{where}.steps[{name!r}]"))
                for name, step in steps
            ]
            pipeline = Pipeline(decoded, **params)
            pipeline._validate_params()
            return pipeline
        if kind == "value":
            node = read_dict(node, where, ("kind", "value"))
            if node["value"] not in (None, "passthrough"):
                raise ModelFileError(f"{where} is {node['value']!r}, not a step.")
            return node["value"]
        if kind == "skops":
            return self._decode_skops(read_dict(node, where, ("kind", "member")), where)
        raise ModelFileError(f"{where} is not a model skvae writes.")

    def _decode_skvae(self, node, where):
        keys = ("kind", "class", "params", "estimators", "fitted")
        node = read_dict(node, where, keys)
        cls = CLASSES.get(node["class"]) if isinstance(node["class"], str) else None
        if cls is None:
            raise ModelFileError(
                f"{where} names the class {node['class']!r}; skvae loads only "
                f"{', '.join(sorted(CLASSES))}."
            )
        params = from_json(node["params"], f"{where} parameters")
        estimators = node["estimators"]
        if not isinstance(params, dict) or not isinstance(estimators, dict):
            raise ModelFileError(f"{where} has parameters that are not a dict.")
        params.update(
            {
                name: self.decode(value, f"{where}.{name}")
                for name, value in estimators.items()
            }
        )
        unknown = sorted(set(params) - set(cls._get_param_names()))
        if unknown:
            raise ModelFileError(f"{where} has unknown parameters {unknown}.")
        estimator = cls(**params)  # a parameter a file lacks keeps its default
        if self.device is not None and "device" in params:
            estimator.device = self.device
        estimator._validate_params()
        if node["fitted"] is not None:
            estimator._restore_state(node["fitted"], self, self.device)
        return estimator

    def _decode_skops(self, node, where):
        import skops.io

        data = self.objects.get(node["member"])
        if data is None:
            raise ModelFileError(f"{where}: its member {node['member']!r} is missing.")
        try:
            untrusted = skops.io.get_untrusted_types(data=data)
            obj = None if untrusted else skops.io.loads(data)
        except Exception as exc:  # skops fails on damaged files in many ways
            raise ModelFileError(f"{where} cannot be read by skops.io: {exc}") from None
        if untrusted:
            raise ModelFileError(
                f"{where} holds types skops.io does not trust: {', '.join(untrusted)}"
                "; they are not loaded."
            )
        if not isinstance(obj, BaseEstimator):
            raise ModelFileError(f"{where} is a {type(obj).__name__}, no estimator.")
        return obj
