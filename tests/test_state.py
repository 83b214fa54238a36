"""What a fitted model keeps in its file (``skvae.save``), and the checks it is
put back with."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal
from sklearn.base import clone

from skvae import AETransformer, AutoencoderOutlierDetector, VAETransformer, load, save
from skvae._state import _generators
from skvae.exceptions import ModelFileError
from tests.conftest import (
    FAST,
    ONE_EPOCH,
    HeavyBall,
    assert_same_state,
    config_edit,
    fitted_state,
    grey_rows,
    mlp_decoder,
    mlp_encoder,
    normal_rows,
    rewrite_model_file,
    tensor_edit,
)

X = np.random.RandomState(0).normal(size=(60, 4))
FORGED = "holds a damaged or forged model: "


def _round_trip(model, tmp_path):
    """``model`` saved and loaded back."""
    save(model, tmp_path / "model.skvae")
    return load(tmp_path / "model.skvae")


def _saved(model, tmp_path_factory):
    """The bytes of the file of ``model`` fitted to X."""
    path = tmp_path_factory.mktemp("saved") / "model.skvae"
    save(model.fit(X), path)
    return path.read_bytes()


@pytest.fixture(scope="module")
def vae_file(tmp_path_factory):
    """The bytes of the file of a VAE fitted to X (latent_dim=2)."""
    return _saved(VAETransformer(**FAST), tmp_path_factory)


@pytest.fixture(scope="module")
def detector_file(tmp_path_factory):
    """The bytes of the file of a detector of a VAE, fitted to X."""
    return _saved(AutoencoderOutlierDetector(VAETransformer(**FAST)), tmp_path_factory)


def _copy(data, tmp_path):
    """A model file of the bytes ``data`` in ``tmp_path``."""
    path = tmp_path / "model.skvae"
    path.write_bytes(data)
    return path


# Models whose training draws from every random stream: shuffling, binarising
# and (the VAE) noise.
_BINARISED = [
    pytest.param(
        VAETransformer(**FAST, likelihood="bernoulli", binarize=True), id="vae"
    ),
    pytest.param(AETransformer(**FAST, likelihood="bernoulli", binarize=True), id="ae"),
]


def _assert_same_optimizer(loaded, model):
    """The two models' optimizers are of one class, with equal settings and state."""
    assert type(loaded.net_.optimizer_) is type(model.net_.optimizer_)
    optimizer = model.net_.optimizer_.state_dict()
    restored = loaded.net_.optimizer_.state_dict()
    assert restored["param_groups"] == optimizer["param_groups"]
    assert restored["state"].keys() == optimizer["state"].keys()
    for index, state in optimizer["state"].items():
        assert restored["state"][index].keys() == state.keys()
        for key, value in state.items():
            assert torch.equal(restored["state"][index][key], value), (index, key)


@pytest.mark.parametrize("model", _BINARISED)
def test_the_loaded_state_is_the_fitted_state(model, tmp_path):
    """Weights, history, fitted attributes, Adam's state and the generators'
    states come back as they were."""
    model = clone(model).fit(grey_rows(60, 4))
    loaded = _round_trip(model, tmp_path)
    assert_same_state(fitted_state(loaded), fitted_state(model))
    assert loaded.history_[:, "train_loss"] == model.history_[:, "train_loss"]
    _assert_same_optimizer(loaded, model)
    generators = _generators(model.net_)
    assert len(generators) == (3 if isinstance(model, VAETransformer) else 2)
    for name, generator in _generators(loaded.net_).items():
        assert torch.equal(generator.get_state(), generators[name].get_state()), name


@pytest.mark.parametrize(
    "model",
    [
        *_BINARISED,
        pytest.param(VAETransformer(**FAST, lr_schedule="cosine"), id="cosine"),
        pytest.param(
            VAETransformer(**FAST, early_stopping=True, validation_fraction=0.25),
            id="early-stopping",
        ),
    ],
)
def test_training_on_after_loading_is_training_on_without(model, tmp_path):
    """partial_fit of the loaded model gives the model partial_fit gives without
    the round trip: the optimizer and generator states are saved."""
    rows = grey_rows(60, 4)
    model = clone(model).fit(rows)
    loaded = _round_trip(model, tmp_path)
    for _ in range(2):
        model.partial_fit(rows)
        loaded.partial_fit(rows)
    assert_same_state(fitted_state(loaded), fitted_state(model))


@pytest.mark.parametrize("Estimator", [VAETransformer, AETransformer])
@pytest.mark.parametrize(
    "optimizer",
    ["adam", "sgd", "rmsprop", torch.optim.AdamW],
    ids=["adam", "sgd", "rmsprop", "AdamW"],
)
def test_each_optimizer_comes_back_and_trains_on_as_without(
    Estimator, optimizer, tmp_path
):
    """The optimizer parameter, the net's optimizer and its state come back, and
    training on after loading is training on without the round trip."""
    model = Estimator(**FAST, optimizer=optimizer, lr=0.01).fit(X)
    loaded = _round_trip(model, tmp_path)
    assert loaded.optimizer == optimizer
    _assert_same_optimizer(loaded, model)
    for _ in range(2):
        model.partial_fit(X)
        loaded.partial_fit(X)
    assert_same_state(fitted_state(loaded), fitted_state(model))
    _assert_same_optimizer(loaded, model)


def test_none_entries_of_the_optimizer_state_are_left_out(tmp_path):
    """SGD's momentum buffers are None without momentum (in some torch versions):
    none is saved, and the loaded model trains on as the saved one."""
    model = VAETransformer(**FAST, optimizer="sgd").fit(X)
    for weight in model.module_.parameters():
        model.net_.optimizer_.state[weight]["momentum_buffer"] = None
    loaded = _round_trip(model, tmp_path)
    for _ in range(2):
        model.partial_fit(X)
        loaded.partial_fit(X)
    assert_same_state(fitted_state(loaded), fitted_state(model))


def test_a_file_from_before_the_optimizer_parameter_loads_with_adam(vae_file, tmp_path):
    """A file without the optimizer (written before the parameter, with Adam)
    loads with Adam, and trains on as the saved model."""
    path = _copy(vae_file, tmp_path)
    model = load(path)

    def without_optimizer(config, tensors, members):
        del config["model"]["params"]["optimizer"]
        del config["model"]["fitted"]["structure"]["optimizer"]

    rewrite_model_file(path, without_optimizer)
    loaded = load(path)
    assert loaded.optimizer == "adam"
    _assert_same_optimizer(loaded, model)
    assert_same_state(
        fitted_state(loaded.partial_fit(X)), fitted_state(model.partial_fit(X))
    )


def test_a_float64_step_count_loads(vae_file, tmp_path):
    """Adam's step count may be saved as float64 (torch's own choice on some
    devices): the model loads and trains as with float32."""
    path = _copy(vae_file, tmp_path)
    model = load(path)

    def float64_steps(config, tensors, members):
        for name in tensors:
            if name.endswith(".step"):
                tensors[name] = tensors[name].double()

    rewrite_model_file(path, float64_steps)
    loaded = load(path)
    assert_same_state(
        fitted_state(loaded.partial_fit(X)), fitted_state(model.partial_fit(X))
    )


@pytest.mark.parametrize(
    "edit, message",
    [
        (config_edit("model.fitted", []), r"fitted holds list; expected"),
        (config_edit("model.fitted.tensors", 0), "fitted.tensors is not a name prefix"),
        (
            config_edit("model.fitted.n_features_in_", 0),
            "n_features_in_ is 0, not an int",
        ),
        (config_edit("model.fitted.n_features_in_", True), "n_features_in_ is True"),
        (
            config_edit("model.fitted.n_features_in_", 2**25),
            "n_features_in_ is 33554432",
        ),
        (
            config_edit("model.fitted.feature_names_in_", ["a"]),
            "feature_names_in_ is not a list of 4 column names",
        ),
        (
            config_edit("model.fitted.feature_names_in_", [1, 2, 3, 4]),
            "feature_names_in_ is not a list of 4 column names",
        ),
        (
            config_edit("model.fitted.structure.latent_dim", 0),
            "The 'latent_dim' parameter",
        ),
        (
            config_edit("model.fitted.structure.latent_dim", 3),
            r"the tensor 'kl_per_dim_' is \(2,\) torch.float64; the model needs \(3,\)",
        ),
        (config_edit("model.fitted.structure.evil", 1), r"structure holds \[.*'evil'"),
        (
            config_edit(
                "model.fitted.structure.optimizer", {"__torch_optim__": "os.system"}
            ),
            r"structure\['optimizer'\] names the optimizer 'os.system', which is no "
            "optimizer class of torch.optim",
        ),
        (
            config_edit(
                "model.fitted.structure.optimizer",
                {"__torch_optim__": "torch.optim.Optimizer"},
            ),
            "The 'optimizer' parameter",
        ),
        (
            config_edit("model.fitted.structure.optimizer", "sgd"),
            "optimizer: the tensor '0.exp_avg' is not its own",
        ),
        (
            config_edit("model.fitted.structure.optimizer", "rmsprop"),
            "optimizer: the tensor '0.square_avg' is missing",
        ),
        (
            config_edit("model.fitted.structure.encoder", {"__reduce__": "os.system"}),
            r"structure\['encoder'\] holds .*, which skvae never writes",
        ),
        (
            config_edit("model.fitted.seeds", [1]),
            "seeds is not a list of the fit's seeds",
        ),
        (config_edit("model.fitted.seeds", [-1] * 7), "seeds is -1, not an int"),
        (config_edit("model.fitted.device", 5), "device is not a device name"),
        (config_edit("model.fitted.device", "tpu"), "'tpu' is not a torch device"),
        (
            config_edit("model.fitted.generators", {}),
            r"generators holds \[\]; expected",
        ),
        (
            config_edit("model.fitted.generators.noise_generator", "tpu"),
            "'tpu' is not a torch device",
        ),
        (config_edit("model.fitted.period", 0), "period is 0, not an int"),
        (
            config_edit("model.fitted.statistics", {"n_active_units_": 3}),
            r"n_active_units_ is 3, not an int in \[0, 2\]",
        ),
        (config_edit("model.fitted.statistics", {}), r"statistics holds \[\]"),
        (config_edit("model.fitted.history", {}), "history is not a list of epochs"),
        (
            config_edit("model.fitted.history", [{"epoch": [1]}]),
            "history holds an epoch that is not plain values",
        ),
        (
            config_edit("model.fitted.history", [{"__reduce__": 1}]),
            "history holds .*, which skvae never writes",
        ),
        (
            tensor_edit(
                "0/statistics.kl_per_dim_", torch.tensor([np.nan, 0.0]).double()
            ),
            "kl_per_dim_ holds values that are not finite",
        ),
        (
            tensor_edit("0/statistics.kl_per_dim_", torch.zeros(2)),
            r"statistics: the tensor 'kl_per_dim_' is \(2,\) torch.float32; the "
            r"model needs \(2,\) torch.float64",
        ),
        (
            tensor_edit("0/optimizer.0.exp_avg", None),
            "optimizer: the tensor '0.exp_avg' is missing",
        ),
        (
            tensor_edit("0/optimizer.0.step", torch.tensor(2)),
            r"optimizer: the tensor '0.step' is \(\) torch.int64; the model needs "
            r"\(\) torch.float32",
        ),
        (
            tensor_edit("0/optimizer.99.step", torch.tensor(2.0)),
            "optimizer: the tensor '99.step' is not its own",
        ),
        (
            tensor_edit(
                "0/generator.noise_generator", torch.zeros(16, dtype=torch.uint8)
            ),
            r"generator: the tensor 'noise_generator' is \(16,\) torch.uint8",
        ),
        (
            tensor_edit(
                "0/generator.noise_generator", torch.ones(5056, dtype=torch.uint8)
            ),
            "generator 'noise_generator' has an invalid state",
        ),
    ],
)
def test_a_forged_fitted_state_is_refused_naming_the_problem(
    vae_file, tmp_path, edit, message
):
    """A learned value or tensor changed (checksums made to match) gives a
    ModelFileError that names it."""
    path = _copy(vae_file, tmp_path)
    rewrite_model_file(path, edit)
    with pytest.raises(ModelFileError, match=FORGED + ".*" + message):
        load(path)


def test_the_detector_keeps_its_threshold_and_error_scale(tmp_path):
    """offset_, score_by_ and error_scale_ come back exactly."""
    detector = AutoencoderOutlierDetector(AETransformer(**FAST), score_by="likelihood")
    loaded = _round_trip(detector.fit(X), tmp_path)
    assert loaded.offset_ == detector.offset_
    assert loaded.score_by_ == "likelihood"
    assert_array_equal(loaded.error_scale_, detector.error_scale_, strict=True)


@pytest.mark.parametrize(
    "edit, message",
    [
        (config_edit("model.fitted.offset_", "low"), "offset_ is 'low', not a number"),
        (
            config_edit("model.fitted.offset_", {"__float__": "inf"}),
            "offset_ is inf, not a finite number",
        ),
        (
            config_edit("model.fitted.score_by_", "evil"),
            "score_by_ is 'evil', not one of",
        ),
        (
            config_edit("model.fitted.error_scale_", 3),
            "error_scale_ is not a name prefix",
        ),
        (
            config_edit("model.fitted.estimator_.fitted", None),
            "estimator_ is not fitted",
        ),
        (
            config_edit("model.fitted.estimator_.class", "os.system"),
            "estimator_ names the class 'os.system'",
        ),
        (
            tensor_edit("0/error_scale_", -torch.ones(4).double()),
            "error_scale_ holds values that are not positive",
        ),
        (
            tensor_edit("0/error_scale_", torch.ones(4)),
            r"error_scale_: the tensor 'error_scale_' is \(4,\) torch.float32",
        ),
    ],
)
def test_a_forged_detector_is_refused_naming_the_problem(
    detector_file, tmp_path, edit, message
):
    """A detector's changed threshold, score or error scale is refused."""
    path = _copy(detector_file, tmp_path)
    rewrite_model_file(path, edit)
    with pytest.raises(ModelFileError, match=FORGED + ".*" + message):
        load(path)


def test_a_model_fitted_with_its_own_optimizer_is_refused_after_set_params(tmp_path):
    """The fitted optimizer, not the parameter, decides: a model fitted with an
    optimizer class outside torch.optim is refused even with the parameter set
    back to "adam"."""
    model = VAETransformer(**FAST, optimizer=HeavyBall).fit(X)
    model.set_params(optimizer="adam")
    message = "is the optimizer class tests.conftest.HeavyBall, .* with pickle"
    with pytest.raises(ValueError, match=message):
        save(model, tmp_path / "model.skvae")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "optimizer, message",
    [
        (torch.optim.ASGD, "cannot be checked: a step of a fresh copy"),
        (torch.optim.LBFGS, "keeps its 'func_evals' as an object of type int"),
    ],
    ids=["ASGD", "LBFGS"],
)
def test_an_optimizer_state_loading_could_not_check_is_refused(
    optimizer, message, tmp_path
):
    """torch.optim classes whose state loading cannot check are refused at save,
    saying to use pickle; no file is written."""
    model = VAETransformer(**FAST, optimizer=optimizer).fit(X)
    with pytest.raises(ValueError, match=message + ".*pickle"):
        save(model, tmp_path / "model.skvae")
    assert list(tmp_path.iterdir()) == []


def test_a_model_fitted_with_its_own_modules_is_refused_after_set_params(tmp_path):
    """The fitted modules, not the parameters, decide: a model fitted with its
    own encoder and decoder is refused even with the parameters set to None."""
    model = VAETransformer(**ONE_EPOCH, encoder=mlp_encoder(), decoder=mlp_decoder())
    model.fit(normal_rows(20, 6)).set_params(encoder=None, decoder=None)
    with pytest.raises(ValueError, match="has its own encoder/decoder modules"):
        save(model, tmp_path / "model.skvae")
    assert list(tmp_path.iterdir()) == []
