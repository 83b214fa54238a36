"""``skvae.save`` and ``skvae.load``: model files that loading never executes.

A model file is a zip of a JSON config (format, versions, each model's class,
parameters and learned values, checksums) and one safetensors file of tensors;
the scikit-learn steps of a pipeline are ``skops.io`` files, loaded only when
skops trusts every type in them. Loading checks the member names, checksums,
class allow-list, parameters and every tensor's name, shape and dtype before
any tensor reaches a module.
"""

import contextlib
import hashlib
import json
import os
import re
import tempfile
import warnings
import zipfile
import zlib

import numpy as np
import safetensors
import safetensors.torch
import sklearn
import torch
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

from ._ae import AETransformer
from ._outlier import AutoencoderOutlierDetector
from ._serial import Tensors, from_json, read_dict, to_json
from ._state import check_saveable_networks
from ._vae import VAETransformer
from ._validation import check_memory, resolve_device
from ._version import __version__
from .exceptions import InconsistentVersionWarning, ModelFileError

FORMAT, FORMAT_VERSION = "skvae-model", 1
CONFIG, TENSORS = "skvae-model.json", "tensors.safetensors"
_OBJECT = re.compile(r"objects/[0-9]{1,6}\.skops")
# A config beyond this is not one skvae wrote (a digits model's is 30 KB).
_MAX_CONFIG_BYTES = 64 * 2**20
# The classes a file may name, and so the only ones loading builds.
CLASSES = {
    cls.__name__: cls
    for cls in (AETransformer, AutoencoderOutlierDetector, VAETransformer)
}


def save(estimator, path):
    """Save a skvae model to ``path`` as a zip of JSON and safetensors, no pickle.

    Saves :class:`VAETransformer`, :class:`AETransformer` and
    :class:`AutoencoderOutlierDetector` (fitted or not), and pipelines of them;
    the scikit-learn steps of a pipeline are saved with ``skops.io`` when skops
    trusts all their types. The file is written beside ``path`` and renamed, so
    ``path`` is never half-written. Loading it with :func:`load` runs no code
    from it.

    Parameters
    ----------
    estimator : estimator object
        The model to save.
    path : str or path-like
        Where to write it; the convention is a ``.skvae`` suffix.

    Raises
    ------
    ValueError
        For a model the format cannot hold, naming the part: custom
        ``encoder``/``decoder`` modules and ``callbacks`` (use pickle for those),
        or a pipeline step skops does not trust.

    See Also
    --------
    load : Load the model back.

    Examples
    --------
    >>> import numpy as np, skvae, tempfile, os
    >>> X = np.random.RandomState(0).normal(size=(50, 3))
    >>> model = skvae.VAETransformer(max_epochs=2, random_state=0).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skvae")
    >>> skvae.save(model, path)
    >>> loaded = skvae.load(path)
    >>> bool((loaded.transform(X) == model.transform(X)).all())
    True
    """
    write_model(estimator, path)


def write_model(estimator, path, *, notes=None):
    """:func:`save`, with ``notes``: JSON values kept beside the model (the CLI's
    column names)."""
    if not isinstance(estimator, (*CLASSES.values(), Pipeline)):
        raise TypeError(
            "skvae.save saves VAETransformer, AETransformer, "
            "AutoencoderOutlierDetector and pipelines of them; got a "
            f"{type(estimator).__name__}."
        )
    store = _Store()
    model = store.encode(estimator, type(estimator).__name__)
    members = {TENSORS: safetensors.torch.save(store.tensors.tensors)}
    members.update(store.objects)
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": _versions(skops=bool(store.objects)),
        "checksums": {name: _sha256(data) for name, data in members.items()},
        "model": model,
        "notes": to_json(notes or {}, "notes"),
    }
    text = json.dumps(config, indent=1, allow_nan=False).encode()
    _write_atomically(os.fspath(path), {CONFIG: text, **members})


def _write_atomically(path, members):
    # Beside the target, so the rename stays on one file system and is atomic.
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".skvae-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file, zipfile.ZipFile(file, "w") as archive:
            for name, data in members.items():
                # JSON compresses well; tensors and skops' own zips do not.
                method = zipfile.ZIP_DEFLATED if name == CONFIG else zipfile.ZIP_STORED
                archive.writestr(name, data, compress_type=method)
        os.replace(temporary, path)
    except BaseException:  # Ctrl-C too: no temporary is left behind
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def load(path, *, device=None):
    """Load a model saved by :func:`save`, checking it before building anything.

    Nothing in the file is executed: the config is JSON, the tensors are
    safetensors, and scikit-learn steps are loaded by skops only when it trusts
    every type in them. The config's class must be one of skvae's, its
    parameters must pass the estimator's checks, and every tensor must match the
    rebuilt module's names, shapes and dtypes, before any is loaded.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save` (or ``skvae anomaly fit``).
    device : str or None, default=None
        Where to put the fitted models, which also becomes their ``device``
        parameter. ``None`` keeps the device they were saved from; a model
        saved from CUDA on a machine without CUDA loads on the CPU, with a
        warning.

    Returns
    -------
    estimator : estimator object
        The model, fitted as it was saved: ``transform``, ``score_samples``,
        ``predict`` and ``sample`` give the same numbers. Training it further
        continues with the saved optimizer and generator states; per-batch
        records of ``history_`` are not saved, its per-epoch rows are.

    Raises
    ------
    skvae.exceptions.ModelFileError
        A ValueError for a file that is not a model file (a pickle, say), is
        damaged or forged, or was written by a newer skvae.

    Warns
    -----
    skvae.exceptions.InconsistentVersionWarning
        When the file was written with other versions of skvae, torch,
        scikit-learn, numpy or skops.

    See Also
    --------
    save : Write a model file.

    Examples
    --------
    >>> import numpy as np, skvae, tempfile, os
    >>> X = np.random.RandomState(0).normal(size=(50, 3))
    >>> model = skvae.AETransformer(max_epochs=2, random_state=0).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skvae")
    >>> skvae.save(model, path)
    >>> skvae.load(path, device="cpu").device_
    'cpu'
    """
    return read_model(path, device=device)[0]


def read_model(path, *, device=None):
    """:func:`load`, and the notes saved with the model."""
    if device is not None:
        resolve_device(device)  # a clear error before the file is read
    path = os.fspath(path)
    with open(path, "rb") as file:
        config, members = _read_archive(path, file, members=True)
    try:
        tensors = safetensors.torch.load(members.pop(TENSORS))
    except (safetensors.SafetensorError, ValueError, TypeError) as exc:
        raise ModelFileError(f"{path}: its tensors are damaged ({exc}).") from None
    _check_versions(config["versions"])
    store = _Store(tensors, members, device)
    try:
        model = store.decode(config["model"], "model")
        store.tensors.check_all_taken()
        notes = from_json(config["notes"], "notes")
    except ModelFileError as exc:
        raise ModelFileError(f"{path} holds a damaged or forged model: {exc}") from None
    except (ValueError, TypeError) as exc:  # the estimators' own parameter checks
        raise ModelFileError(f"{path} holds a damaged or forged model: {exc}") from None
    return model, notes


def read_config(path):
    """The checked JSON config of the model file at ``path``; no tensor is read."""
    path = os.fspath(path)
    with open(path, "rb") as file:
        return _read_archive(path, file, members=False)[0]


def _read_archive(path, file, *, members):
    """The config and (when ``members``) the checked bytes of the other members."""
    start = file.read(4)
    file.seek(0)
    if start[:1] == b"\x80":  # pickle protocols 2 and later begin so
        raise ModelFileError(
            f"{path} is a pickle, not a skvae model file. Loading a pickle can run "
            "any code in it: unpickle it only if you trust its source, then "
            "skvae.save it."
        )
    try:
        archive = zipfile.ZipFile(file)
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        kind = "damaged or truncated" if start == b"PK\x03\x04" else "not a zip archive"
        raise ModelFileError(f"{path} is not a skvae model file: {kind}.") from None
    with archive:
        names = [info.filename for info in infos]
        for name in names:  # before any member is read
            if name != CONFIG and name != TENSORS and not _OBJECT.fullmatch(name):
                pickle = name.endswith((".pkl", ".pickle")) or "data.pkl" in name
                what = "a pickle" if pickle else "a member skvae never writes"
                raise ModelFileError(
                    f"{path} is not a skvae model file: it holds {what} ({name!r}), "
                    "which is refused without being read."
                )
        if len(set(names)) != len(names):
            raise ModelFileError(f"{path} is damaged: two of its members share a name.")
        if CONFIG not in names:
            raise ModelFileError(f"{path} is not a skvae model file: it has no config.")
        config = _parse_config(path, _read_member(path, archive, CONFIG))
        expected = {CONFIG, *config["checksums"]}
        if set(names) != expected:
            missing = sorted(expected - set(names)) or sorted(set(names) - expected)
            raise ModelFileError(f"{path} is damaged: its members differ at {missing}.")
        if not members:
            return config, None
        check_memory(
            sum(info.file_size for info in infos),
            "cpu",
            f"Loading {path}",
            "Load it on a machine with more memory.",
        )
        data = {}
        for name, digest in config["checksums"].items():
            data[name] = _read_member(path, archive, name)
            if _sha256(data[name]) != digest:
                raise ModelFileError(f"{path} is damaged: {name} fails its checksum.")
        return config, data


def _read_member(path, archive, name):
    try:
        info = archive.getinfo(name)
        if name == CONFIG and info.file_size > _MAX_CONFIG_BYTES:
            raise ModelFileError(f"{path} is not a skvae model file: huge config.")
        return archive.read(info)
    # zlib.error: a damaged deflated member (the config) fails before its CRC.
    except (
        zipfile.BadZipFile,
        zlib.error,
        OSError,
        EOFError,
        ValueError,
        RuntimeError,
    ) as exc:
        if isinstance(exc, ModelFileError):
            raise
        raise ModelFileError(
            f"{path} is damaged: {name} cannot be read ({exc})."
        ) from None


def _parse_config(path, text):
    try:
        config = json.loads(text)
    except (ValueError, RecursionError):
        raise ModelFileError(f"{path} is damaged: its config is not JSON.") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a skvae model file.")
    version = config.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"{path} is damaged: its format version is {version!r}.")
    if version > FORMAT_VERSION:
        saved = config.get("versions", {}).get("skvae", "a newer version")
        raise ModelFileError(
            f"{path} was written by skvae {saved} in format {version}; skvae "
            f"{__version__} reads format {FORMAT_VERSION} only. Upgrade skvae."
        )
    keys = ("format", "format_version", "versions", "checksums", "model", "notes")
    read_dict(config, path, keys)
    checksums = config["checksums"]
    valid = isinstance(checksums, dict) and TENSORS in checksums
    valid = valid and all(
        (name == TENSORS or _OBJECT.fullmatch(name))
        and isinstance(digest, str)
        and re.fullmatch("[0-9a-f]{64}", digest)
        for name, digest in checksums.items()
    )
    versions = config["versions"]
    if not valid or not isinstance(versions, dict):
        raise ModelFileError(
            f"{path} is damaged: its checksums or versions are not valid."
        )
    return config


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _versions(*, skops):
    versions = {
        "skvae": __version__,
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
    }
    if skops:
        import skops as module

        versions["skops"] = module.__version__
    return versions


def _check_versions(saved):
    """Warn of the first library whose version differs (torch's build tag aside)."""
    current = _versions(skops="skops" in saved)
    for library, version in current.items():
        was = saved.get(library)
        if str(was).split("+")[0] != str(version).split("+")[0]:
            warnings.warn(
                InconsistentVersionWarning(
                    library=library, saved_version=was, current_version=version
                ),
                stacklevel=3,
            )
            return


class _Store:
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
        plain = {name: v for name, v in params.items() if name not in estimators}
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
