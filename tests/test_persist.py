"""skvae.save and skvae.load: round trips, and the files loading refuses unread."""

import os
import pickle
import re
import struct
import warnings
import zipfile
import zlib

import numpy as np
import pandas as pd
import pytest
import skops.io
import torch
from numpy.testing import assert_array_equal
from sklearn.base import BaseEstimator, clone
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import PrintLog

from skvae import AETransformer, AutoencoderOutlierDetector, VAETransformer, load, save
from skvae._persist import CONFIG, TENSORS
from skvae.exceptions import InconsistentVersionWarning, ModelFileError
from tests.conftest import (
    CONV,
    FAST,
    HeavyBall,
    config_edit,
    grey_rows,
    images,
    member_edit,
    mlp_decoder,
    mlp_encoder,
    rewrite_model_file,
    tensor_edit,
    write_zip,
)

X = np.random.RandomState(0).normal(size=(60, 4))
# The first weight of a VAE fitted to X: 8 hidden units by 4 features.
WEIGHT = "0/module.encoder.layers.0.weight"
FORGED = "holds a damaged or forged model: "


def _scaled_vae():
    """A pipeline of a scaler (a skops member) and a VAE."""
    return Pipeline([("scale", StandardScaler()), ("vae", VAETransformer(**FAST))])


def _models():
    """Each kind of model a file holds, with rows it fits, as pytest params."""
    return [
        pytest.param((VAETransformer(**FAST), X), id="vae"),
        pytest.param(
            (
                VAETransformer(**FAST, likelihood="bernoulli", binarize=True),
                grey_rows(60, 4),
            ),
            id="vae-bernoulli",
        ),
        pytest.param((VAETransformer(**CONV), images()), id="vae-conv"),
        pytest.param((AETransformer(**FAST), X), id="ae"),
        pytest.param(
            (AETransformer(**FAST, optimizer=torch.optim.AdamW), X), id="ae-adamw"
        ),
        pytest.param((_scaled_vae(), X), id="pipeline"),
        pytest.param(
            (AutoencoderOutlierDetector(VAETransformer(**FAST), random_state=0), X),
            id="detector-vae",
        ),
        pytest.param(
            (
                AutoencoderOutlierDetector(
                    AETransformer(**FAST), score_by="reconstruction", scale_errors=True
                ),
                X,
            ),
            id="detector-ae",
        ),
        pytest.param(
            (AutoencoderOutlierDetector(_scaled_vae()), X), id="detector-pipe"
        ),
        pytest.param(
            (AutoencoderOutlierDetector(PCA(2), contamination=0.1), X),
            id="detector-pca",
        ),
    ]


def _outputs(model, rows):
    """What each of the model's methods gives on ``rows`` (``sample``: 5 draws)."""
    calls = {
        "transform": lambda: model.transform(rows),
        "inverse_transform": lambda: model.inverse_transform(model.transform(rows)),
        "score_samples": lambda: model.score_samples(rows),
        "decision_function": lambda: model.decision_function(rows),
        "predict": lambda: model.predict(rows),
        "reconstruction_error": lambda: model.reconstruction_error(rows),
        "sample": lambda: model.sample(5, random_state=0),
    }
    return {name: call() for name, call in calls.items() if hasattr(model, name)}


def _params(obj):
    """``obj``'s parameters, with nested estimators as their class and parameters."""
    if isinstance(obj, BaseEstimator):
        return type(obj), _params(obj.get_params(deep=False))
    if isinstance(obj, dict):
        return {key: _params(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj), [_params(item) for item in obj]
    return obj


def _checksum(name, digest):
    """An edit of a model file setting the checksum its config lists for ``name``."""

    def edit(config, tensors, members):
        config["checksums"][name] = digest

    return edit


def _saved_on_cuda(device_param):
    """An edit making a VAE's file one saved on CUDA: its devices say so and its
    generators hold CUDA states (a seed and an offset, 16 bytes)."""

    def edit(config, tensors, members):
        fitted = config["model"]["fitted"]
        config["model"]["params"]["device"] = device_param
        fitted["structure"]["device"] = device_param
        fitted["device"] = "cuda"
        for name in fitted["generators"]:
            fitted["generators"][name] = "cuda"
            tensors[f"0/generator.{name}"] = torch.zeros(16, dtype=torch.uint8)

    return edit


class _Payload:
    """Unpickled, it makes the folder ``path``: the proof that a pickle ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return os.mkdir, (self.path,)


class _SubclassedVAE(VAETransformer):
    """A VAE of a test module: a model file holds no code, so none of its own."""


def _double(X):
    """A function of a test module: a type skops.io does not trust."""
    return 2 * X


@pytest.fixture(scope="module", params=_models())
def round_trip(request, tmp_path_factory):
    """A fitted model of each kind, the model loaded from its file, and its rows."""
    model, rows = request.param
    model = clone(model).fit(rows)
    path = tmp_path_factory.mktemp("round_trip") / "model.skvae"
    save(model, path)
    return model, load(path), rows


@pytest.fixture(scope="module")
def vae():
    """A VAE fitted to X; tests must not train it further."""
    return VAETransformer(**FAST).fit(X)


@pytest.fixture(scope="module")
def saved(vae, tmp_path_factory):
    """The bytes of the file of ``vae`` and of a fitted scaler-and-VAE pipeline."""
    folder = tmp_path_factory.mktemp("saved")
    save(vae, folder / "vae.skvae")
    save(_scaled_vae().fit(X), folder / "pipeline.skvae")
    return {
        name: (folder / f"{name}.skvae").read_bytes() for name in ("vae", "pipeline")
    }


@pytest.fixture
def vae_path(saved, tmp_path):
    """A fresh copy of the file of ``vae``."""
    path = tmp_path / "model.skvae"
    path.write_bytes(saved["vae"])
    return path


@pytest.fixture
def pipeline_path(saved, tmp_path):
    """A fresh copy of the file of a fitted scaler-and-VAE pipeline."""
    path = tmp_path / "model.skvae"
    path.write_bytes(saved["pipeline"])
    return path


@pytest.fixture
def opened(monkeypatch):
    """The names of the zip members opened (and so read) from now on."""
    names = []
    original = zipfile.ZipFile.open

    def recording(self, name, *args, **kwargs):
        names.append(getattr(name, "filename", name))
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", recording)
    return names


# -- round trips ------------------------------------------------------------------


def test_round_trip_gives_identical_outputs(round_trip):
    """Every output of the loaded model equals the saved one's, bit for bit."""
    model, loaded, rows = round_trip
    expected, got = _outputs(model, rows), _outputs(loaded, rows)
    assert got.keys() == expected.keys() >= {"score_samples"}
    for name, output in expected.items():
        assert_array_equal(got[name], output, err_msg=name, strict=True)


def test_round_trip_keeps_parameters(round_trip):
    """The loaded model, and the fitted one inside a detector, have the same
    classes and parameters as the saved ones."""
    model, loaded, _ = round_trip
    assert _params(loaded) == _params(model)
    if hasattr(model, "estimator_"):
        assert _params(loaded.estimator_) == _params(model.estimator_)


@pytest.mark.parametrize(
    "model",
    [
        VAETransformer(**FAST),
        _scaled_vae(),
        AutoencoderOutlierDetector(AETransformer(**FAST)),
    ],
    ids=["vae", "pipeline", "detector"],
)
def test_round_trip_keeps_feature_names(model, tmp_path):
    """A model fitted on a DataFrame keeps its column names and checks them."""
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = clone(model).fit(frame)
    save(model, tmp_path / "model.skvae")
    loaded = load(tmp_path / "model.skvae")
    assert_array_equal(loaded.feature_names_in_, model.feature_names_in_, strict=True)
    assert list(loaded.feature_names_in_) == ["a", "b", "c", "d"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "fitted without feature names"
        assert_array_equal(loaded.score_samples(frame), model.score_samples(frame))
    with pytest.raises(ValueError, match="feature names should match"):
        loaded.score_samples(frame.rename(columns={"a": "z"}))


@pytest.mark.parametrize(
    "model",
    [
        VAETransformer(**FAST),
        AETransformer(**FAST, latent_dim=3),
        _scaled_vae(),
        AutoencoderOutlierDetector(VAETransformer(**FAST), contamination=0.1),
    ],
    ids=["vae", "ae", "pipeline", "detector"],
)
def test_an_unfitted_model_loads_unfitted_and_fits_as_the_original(model, tmp_path):
    """An unfitted model comes back unfitted, with its parameters, and fits to
    the same model as the original."""
    save(model, tmp_path / "model.skvae")
    loaded = load(tmp_path / "model.skvae")
    with pytest.raises(NotFittedError):
        check_is_fitted(loaded)
    assert _params(loaded) == _params(model)
    expected = clone(model).fit(X).score_samples(X)
    assert_array_equal(loaded.fit(X).score_samples(X), expected, strict=True)


def test_loading_reads_the_config_then_the_checksummed_members(vae_path, opened):
    """The config is read first; then the members it lists, and no other."""
    load(vae_path)
    assert opened == [CONFIG, TENSORS]


# -- damaged and forged files -------------------------------------------------------


@pytest.mark.parametrize(
    "edit, message",
    [
        (config_edit("model.params.latent_dim", 0), r"The 'latent_dim' parameter"),
        (config_edit("model.params.latent_dim", "two"), r"The 'latent_dim' parameter"),
        (config_edit("model.params.evil", 1), r"unknown parameters \['evil'\]"),
        (
            config_edit("model.params.hidden_dims", {"__reduce__": "os.system"}),
            r"hidden_dims'\] holds .*, which skvae never writes",
        ),
        (config_edit("model.params.optimizer", "adamw"), "The 'optimizer' parameter"),
        (
            config_edit(
                "model.params.optimizer",
                {"__torch_optim__": "torch.optim.lr_scheduler.LambdaLR"},
            ),
            r"parameters\['optimizer'\] names the optimizer "
            "'torch.optim.lr_scheduler.LambdaLR', which is no optimizer class",
        ),
        (config_edit("model.class", "os.system"), "names the class 'os.system'"),
        (
            config_edit("model.class", "Pipeline"),
            "names the class 'Pipeline'; skvae loads only AETransformer, "
            "AutoencoderOutlierDetector, VAETransformer",
        ),
        (config_edit("model.kind", "pickle"), "model is not a model skvae writes"),
        (
            config_edit("model.fitted.n_features_in_", -1),
            "n_features_in_ is -1, not an int",
        ),
        (
            tensor_edit("0/module.evil", torch.zeros(1)),
            "the tensor 'evil' is not its own",
        ),
        (
            tensor_edit("1/module.evil", torch.zeros(1)),
            "the tensor '1/module.evil' belongs to no model",
        ),
        (tensor_edit(WEIGHT, None), "the tensor 'encoder.layers.0.weight' is missing"),
        (
            tensor_edit(WEIGHT, torch.zeros(8, 5)),
            r"'encoder.layers.0.weight' is \(8, 5\) torch.float32; the model needs "
            r"\(8, 4\) torch.float32",
        ),
        (
            tensor_edit(WEIGHT, torch.zeros(8, 4, dtype=torch.float64)),
            r"'encoder.layers.0.weight' is \(8, 4\) torch.float64; the model needs "
            r"\(8, 4\) torch.float32",
        ),
    ],
)
def test_a_forged_model_is_refused_naming_the_problem(vae_path, edit, message):
    """A changed config or tensor, with checksums to match, gives a
    ModelFileError that names it."""
    rewrite_model_file(vae_path, edit)
    with pytest.raises(ModelFileError, match=FORGED + ".*" + message):
        load(vae_path)


@pytest.mark.parametrize(
    "edit, message",
    [
        (member_edit(TENSORS, b"not tensors"), "its tensors are damaged"),
        (
            config_edit("model.steps.1.1.class", "Pipeline"),
            r"model.steps\['vae'\] names the class 'Pipeline'",
        ),
        (
            config_edit("model.steps.1.1", {"kind": "value", "value": "os.system"}),
            r"model.steps\['vae'\] is 'os.system', not a step",
        ),
        (
            config_edit("model.steps.0.1.member", "objects/7.skops"),
            r"model.steps\['scale'\]: its member 'objects/7.skops' is missing",
        ),
        (
            config_edit("model.params.steps", []),
            "model has parameters that are not a dict",
        ),
        (
            member_edit("objects/0.skops", b"not skops"),
            r"model.steps\['scale'\] cannot be read by skops.io",
        ),
        (
            member_edit("objects/0.skops", skops.io.dumps(np.arange(3))),
            r"model.steps\['scale'\] is a ndarray, no estimator",
        ),
    ],
)
def test_a_forged_pipeline_is_refused_naming_the_problem(pipeline_path, edit, message):
    """A pipeline file's changed steps or members give a ModelFileError."""
    rewrite_model_file(pipeline_path, edit)
    with pytest.raises(ModelFileError, match=message):
        load(pipeline_path)


def test_a_skops_member_of_untrusted_types_is_refused_unloaded(
    pipeline_path, monkeypatch
):
    """A step forged to hold a type skops does not trust is never loaded."""
    rewrite_model_file(
        pipeline_path,
        member_edit("objects/0.skops", skops.io.dumps(FunctionTransformer(_double))),
    )
    loaded = []
    monkeypatch.setattr(skops.io, "loads", lambda *args, **kwargs: loaded.append(args))
    with pytest.raises(
        ModelFileError,
        match=r"model.steps\['scale'\] holds types skops.io does not trust: "
        r"tests.test_persist._double; they are not loaded",
    ):
        load(pipeline_path)
    assert loaded == []


def test_changed_tensor_bytes_fail_their_checksum(vae_path, vae):
    """A tensor changed without its checksum is refused as damaged."""
    changed = vae.module_.state_dict()["encoder.layers.0.weight"] + 1
    rewrite_model_file(vae_path, tensor_edit(WEIGHT, changed), checksums=False)
    with pytest.raises(ModelFileError, match="tensors.safetensors fails its checksum"):
        load(vae_path)


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            _checksum("objects/0.skops", "0" * 64),
            r"its members differ at \['objects/0.skops'\]",
        ),
        (_checksum(TENSORS, "f00"), "its checksums or versions"),
    ],
    ids=["member-missing", "not-a-digest"],
)
def test_checksums_that_do_not_list_the_members_are_refused(vae_path, edit, message):
    """A config whose checksums name a missing member, or are no digests, is
    refused as damaged."""
    rewrite_model_file(vae_path, edit, checksums=False)
    with pytest.raises(ModelFileError, match="is damaged: " + message):
        load(vae_path)


@pytest.mark.parametrize("kept", [0.5, 0.99])
def test_a_truncated_file_is_refused(vae_path, kept):
    """A file cut short (a partial download) is refused as truncated."""
    data = vae_path.read_bytes()
    vae_path.write_bytes(data[: int(kept * len(data))])
    with pytest.raises(ModelFileError, match="damaged or truncated"):
        load(vae_path)


def test_a_damaged_config_is_refused(vae_path):
    """A byte flipped in the compressed config gives a ModelFileError, not
    zlib's error."""
    with zipfile.ZipFile(vae_path) as archive:
        start = archive.getinfo(CONFIG).header_offset
    data = bytearray(vae_path.read_bytes())
    # The deflated bytes follow the 30-byte local header, the name and the extra.
    name, extra = struct.unpack("<HH", data[start + 26 : start + 30])
    data[start + 30 + name + extra + 10] ^= 0xFF
    vae_path.write_bytes(bytes(data))
    with zipfile.ZipFile(vae_path) as archive, pytest.raises(zlib.error):
        archive.read(CONFIG)  # the damage this test is about
    with pytest.raises(ModelFileError, match="is damaged: skvae-model.json cannot be"):
        load(vae_path)


def test_members_of_one_name_are_refused(vae_path):
    """A zip holding two configs is refused before either is read."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate
        with zipfile.ZipFile(vae_path, "a") as archive:
            archive.writestr(CONFIG, b"{}")
    with pytest.raises(ModelFileError, match="two of its members share a name"):
        load(vae_path)


# -- pickles ------------------------------------------------------------------------


def test_the_payload_runs_when_unpickled(tmp_path):
    """The payload of the refusal tests is live: unpickling it makes its marker."""
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(_Payload(marker)))
    assert marker.is_dir()


@pytest.mark.parametrize("name", ["data.pkl", "archive/data.pkl", "model.pickle"])
def test_a_pickle_member_is_refused_unread(vae_path, tmp_path, opened, name):
    """A model file with a pickle among its members is refused; no member is read."""
    marker = tmp_path / "ran"
    rewrite_model_file(vae_path, member_edit(name, pickle.dumps(_Payload(marker))))
    opened.clear()
    with pytest.raises(
        ModelFileError,
        match=re.escape(f"holds a pickle ({name!r}), which is refused without being"),
    ):
        load(vae_path)
    assert opened == []
    assert not marker.exists()


@pytest.mark.parametrize(
    "name", ["notes.txt", "objects/0.pkl.skops", "objects/../../x.skops"]
)
def test_a_member_skvae_never_writes_is_refused_unread(vae_path, opened, name):
    """Any member name but the config, tensors and skops objects is refused."""
    rewrite_model_file(vae_path, member_edit(name, b"data"))
    opened.clear()
    with pytest.raises(ModelFileError, match="holds a member skvae never writes"):
        load(vae_path)
    assert opened == []


def test_a_torch_save_file_is_refused_unread(tmp_path, opened):
    """torch.save's zip holds a pickle: it is refused and nothing in it runs."""
    path, marker = tmp_path / "model.skvae", tmp_path / "ran"
    torch.save(_Payload(marker), path)
    opened.clear()
    with pytest.raises(ModelFileError, match=r"holds a pickle \('[^']*data.pkl'\)"):
        load(path)
    assert opened == []
    assert not marker.exists()


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_pickle_file_is_refused_unread(vae, tmp_path, protocol):
    """A pickled model is refused without being unpickled, whatever its protocol:
    protocols 2 and later are named as pickles, earlier ones are no zip."""
    path, marker = tmp_path / "model.pkl", tmp_path / "ran"
    payload = _Payload(marker) if protocol < 2 else [_Payload(marker), vae]
    path.write_bytes(pickle.dumps(payload, protocol=protocol))
    message = "is a pickle, not a skvae" if protocol >= 2 else "not a zip archive"
    with pytest.raises(ModelFileError, match=message):
        load(path)
    assert not marker.exists()


# -- not model files ----------------------------------------------------------------


@pytest.mark.parametrize(
    "members, message",
    [
        ({"readme.txt": b"hello"}, "holds a member skvae never writes"),
        ({}, "it has no config"),
        ({TENSORS: b""}, "it has no config"),
        ({CONFIG: b"not JSON"}, "its config is not JSON"),
        ({CONFIG: b"[]"}, r"\.skvae is not a skvae model file\.$"),
        ({CONFIG: b'{"format": "other"}'}, r"\.skvae is not a skvae model file\.$"),
    ],
    ids=["other-member", "empty", "no-config", "no-json", "a-list", "other-format"],
)
def test_a_zip_that_is_no_model_file_is_refused(tmp_path, members, message):
    """A zip that is not a skvae model file says what it lacks."""
    write_zip(tmp_path / "model.skvae", members)
    with pytest.raises(ModelFileError, match=message):
        load(tmp_path / "model.skvae")


@pytest.mark.parametrize(
    "content", [b"", b"hello, world", b'{"format": "skvae-model"}', b"PK\x03\x04"]
)
def test_a_file_that_is_no_zip_is_refused(tmp_path, content):
    """An empty file or one of other bytes is refused as no model file."""
    (tmp_path / "model.skvae").write_bytes(content)
    with pytest.raises(ModelFileError, match="is not a skvae model file: "):
        load(tmp_path / "model.skvae")


# -- versions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "library, version",
    [("skvae", "0.0.1"), ("torch", "1.0.0"), ("scikit-learn", "0.24"), ("numpy", "1")],
)
def test_other_versions_warn_and_load(vae_path, vae, library, version):
    """A file written with another version of a library warns, naming it, and
    loads."""
    rewrite_model_file(vae_path, config_edit(f"versions.{library}", version))
    with pytest.warns(InconsistentVersionWarning, match=f"with {library} {version}"):
        loaded = load(vae_path)
    assert_array_equal(loaded.transform(X), vae.transform(X), strict=True)


def test_another_torch_build_of_the_version_does_not_warn(vae_path):
    """torch's build tag (+cpu, +cu121) is no other version."""
    build = torch.__version__.split("+")[0] + "+cu121"
    rewrite_model_file(vae_path, config_edit("versions.torch", build))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load(vae_path)


def test_a_newer_format_says_to_upgrade(vae_path):
    """A file in a later format, whatever it holds besides, asks for a newer skvae."""

    def newer(config, tensors, members):
        config.update(format_version=2, new_field=[], model=None)
        config["versions"]["skvae"] = "9.0"

    rewrite_model_file(vae_path, newer)
    with pytest.raises(
        ModelFileError, match=r"written by skvae 9.0 in format 2.*Upgrade skvae\."
    ):
        load(vae_path)


@pytest.mark.parametrize("version", [0, "1", True, None, 1.0])
def test_a_format_version_that_is_no_version_is_refused(vae_path, version):
    """A format version that is not a positive int is refused as damage."""
    rewrite_model_file(vae_path, config_edit("format_version", version))
    with pytest.raises(ModelFileError, match="its format version is"):
        load(vae_path)


@pytest.mark.parametrize(
    "edit",
    [
        lambda config, tensors, members: config.pop("notes"),
        config_edit("evil", 1),
    ],
    ids=["missing", "extra"],
)
def test_a_config_with_other_keys_is_refused(vae_path, edit):
    """A config without a key skvae writes, or with one it does not, is refused."""
    rewrite_model_file(vae_path, edit)
    with pytest.raises(ModelFileError, match=r"expected \['checksums', 'format'"):
        load(vae_path)


# -- devices ------------------------------------------------------------------------


@pytest.mark.parametrize("param, expected", [("cuda", "cpu"), ("auto", "auto")])
def test_a_cuda_model_loads_on_the_cpu_without_cuda(
    vae_path, vae, monkeypatch, param, expected
):
    """A model saved on CUDA loads on a machine without it on the CPU, with a
    warning; it predicts as before, and trains on."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    rewrite_model_file(vae_path, _saved_on_cuda(param))
    with pytest.warns(UserWarning, match="saved on 'cuda'.*loaded on the CPU"):
        loaded = load(vae_path)
    assert (loaded.device, loaded.device_) == (expected, "cpu")
    for name, output in _outputs(vae, X).items():
        assert_array_equal(_outputs(loaded, X)[name], output, strict=True)
    assert len(loaded.partial_fit(X).history_) == 3


def test_load_device_moves_a_cuda_model_without_a_warning(vae_path, monkeypatch):
    """device="cpu" loads a CUDA model on the CPU as asked, so without warning."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    rewrite_model_file(vae_path, _saved_on_cuda("cuda"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = load(vae_path, device="cpu")
    assert (loaded.device, loaded.device_) == ("cpu", "cpu")


def test_load_device_sets_every_device_parameter(tmp_path):
    """device= is the device parameter of every autoencoder loaded, fitted or not."""
    detector = AutoencoderOutlierDetector(_scaled_vae()).fit(X)
    save(detector, tmp_path / "model.skvae")
    loaded = load(tmp_path / "model.skvae", device="cpu")
    fitted = loaded.estimator_[-1]
    assert (fitted.device, fitted.device_) == ("cpu", "cpu")
    assert loaded.estimator[-1].device == "cpu"
    assert detector.estimator_[-1].device == "auto"


@pytest.mark.parametrize(
    "device, message",
    [
        ("tpu", "is not a torch device"),
        ("cuda", "CUDA is not available"),
        ("meta", "holds no data"),
    ],
)
def test_a_bad_device_is_refused_before_the_file_is_read(
    tmp_path, monkeypatch, device, message
):
    """A bad device= is a ValueError, raised before the (missing) file is opened."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=message):
        load(tmp_path / "missing.skvae", device=device)


# -- saving -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model, message",
    [
        (
            VAETransformer(encoder=mlp_encoder(4), decoder=mlp_decoder(4)),
            "VAETransformer has its own encoder/decoder modules.*with pickle",
        ),
        (
            AutoencoderOutlierDetector(
                AETransformer(encoder=mlp_encoder(4), decoder=mlp_decoder(4))
            ),
            "AutoencoderOutlierDetector.estimator has its own encoder/decoder",
        ),
        (
            VAETransformer(callbacks=[PrintLog()]),
            "VAETransformer has callbacks.*or use pickle",
        ),
        (
            VAETransformer(random_state=np.random.default_rng(0)),
            r"parameters\['random_state'\] is a Generator.*or use pickle",
        ),
        (
            VAETransformer(optimizer=HeavyBall),
            r"parameters\['optimizer'\] is the optimizer class "
            "tests.conftest.HeavyBall.*with pickle",
        ),
        (
            _SubclassedVAE(),
            "skops.io does not trust by default: tests.test_persist._SubclassedVAE",
        ),
    ],
    ids=[
        "modules",
        "nested-modules",
        "callbacks",
        "generator",
        "optimizer",
        "subclass",
    ],
)
def test_save_refuses_what_a_model_file_cannot_hold(model, message, tmp_path):
    """A model with code or objects the format cannot hold is a ValueError that
    names the part, and no file is written."""
    with pytest.raises(ValueError, match=message):
        save(model, tmp_path / "model.skvae")
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_a_step_skops_does_not_trust(tmp_path):
    """A pipeline step holding types skops.io does not trust is refused, naming
    the types skops names."""
    step = FunctionTransformer(_double)
    untrusted = skops.io.get_untrusted_types(data=skops.io.dumps(step))
    assert untrusted == ["tests.test_persist._double"]
    model = Pipeline([("double", step), ("vae", VAETransformer())])
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Pipeline.steps['double'] (FunctionTransformer) holds types skops.io "
            "does not trust by default: tests.test_persist._double."
        ),
    ):
        save(model, tmp_path / "model.skvae")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("model", [PCA(), StandardScaler(), [VAETransformer()]])
def test_save_refuses_what_is_no_skvae_model(model, tmp_path):
    """Saving anything but skvae's estimators and pipelines is a TypeError."""
    with pytest.raises(TypeError, match="skvae.save saves VAETransformer"):
        save(model, tmp_path / "model.skvae")
    assert list(tmp_path.iterdir()) == []


def test_save_overwrites_a_model_file(vae, tmp_path):
    """Saving over a model file replaces it and leaves no temporary."""
    path = tmp_path / "model.skvae"
    save(vae, path)
    save(AETransformer(**FAST), path)
    assert type(load(path)) is AETransformer
    assert [p.name for p in tmp_path.iterdir()] == ["model.skvae"]


@pytest.mark.parametrize("existing", [True, False])
def test_a_failed_write_leaves_no_temporary_and_the_old_file(
    vae, tmp_path, monkeypatch, existing
):
    """A write that fails midway (a full disk) removes its temporary and leaves
    a file already at the path as it was."""
    path = tmp_path / "model.skvae"
    if existing:
        save(AETransformer(**FAST), path)
    before = sorted(p.read_bytes() for p in tmp_path.iterdir())

    def full(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", full)
    with pytest.raises(OSError, match="No space left"):
        save(vae, path)
    assert sorted(p.read_bytes() for p in tmp_path.iterdir()) == before


def test_a_pipeline_cache_folder_is_refused_either_way(tmp_path):
    """memory= would have joblib unpickle that folder's files: saving one is a
    ValueError, and a file naming one is refused."""
    X = np.random.RandomState(0).normal(size=(40, 3))
    pipe = Pipeline(
        [("scale", StandardScaler()), ("vae", VAETransformer(max_epochs=1))]
    )
    path = tmp_path / "model.skvae"
    with pytest.raises(ValueError, match="caches in memory="):
        save(pipe.set_params(memory=str(tmp_path)).fit(X), path)
    save(pipe.set_params(memory=None), path)
    rewrite_model_file(path, config_edit("model.params.memory", str(tmp_path)))
    with pytest.raises(ModelFileError, match="names a cache folder"):
        load(path)
