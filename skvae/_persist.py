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
from sklearn.pipeline import Pipeline

from ._device import check_memory, resolve_device
from ._model_tree import CLASSES, Store
from ._serial import from_json, read_dict, to_json
from ._version import __version__
from .exceptions import InconsistentVersionWarning, ModelFileError

FORMAT, FORMAT_VERSION = "skvae-model", 1
CONFIG, TENSORS = "skvae-model.json", "tensors.safetensors"
_OBJECT = re.compile(r"objects/[0-9]{1,6}\.skops")
# A config beyond this is not one skvae wrote (a digits model's is 30 KB).
_MAX_CONFIG_BYTES = 64 * 2**20


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
    store = Store()
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
    store = Store(tensors, members, device)
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
