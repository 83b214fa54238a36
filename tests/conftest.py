"""What the test modules share: fast settings, data makers, checks and fixtures.

Test modules import the settings and helpers by name (``from tests.conftest
import FAST``); the fixtures (one torch thread, IDX files, tiny MNIST) reach them
as pytest fixtures.
"""

import gzip
import json
import math
import zipfile
from hashlib import sha256

import numpy as np
import pytest
import safetensors.torch
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted
from torch import nn

from skvae import AETransformer, VAETransformer
from skvae._persist import CONFIG, TENSORS
from skvae.datasets import _mnist

ESTIMATORS = [VAETransformer, AETransformer]

# A small seeded network; tests that set max_epochs themselves start from this.
SMALL = {"hidden_dims": (8,), "random_state": 0}
# Two epochs of it: what most tests train.
FAST = {**SMALL, "max_epochs": 2}
# A wider network trained an epoch longer: the settings the tests of fitted outputs
# (repeatability, scores, persistence) were written with.
WIDE = {**FAST, "hidden_dims": (16,), "max_epochs": 3}
# One epoch of the default networks: conv and custom-module tests must leave
# hidden_dims at its default.
ONE_EPOCH = {"max_epochs": 1, "random_state": 0}
CONV = {**ONE_EPOCH, "architecture": "conv", "image_shape": (1, 8, 8)}
# The Bernoulli model of the binarize tests, in batches of 16 rows.
BINARY = {**SMALL, "likelihood": "bernoulli", "batch_size": 16}

NOT_FITTED = "is not fitted yet"


def normal_rows(n_samples=20, n_features=3, seed=0):
    """Rows of standard normal values."""
    return np.random.RandomState(seed).normal(size=(n_samples, n_features))


def unit_rows(n_samples=20, n_features=3, seed=0):
    """Rows of uniform values in [0, 1)."""
    return np.random.RandomState(seed).uniform(size=(n_samples, n_features))


def images(n=40, image_shape=(1, 8, 8), seed=0):
    """Rows of flattened random images with values in [0, 1]."""
    return unit_rows(n, math.prod(image_shape), seed)


def grey_rows(n=40, n_features=6, seed=0):
    """Fractional values strictly inside (0, 1), so any 0/1 value is a draw."""
    return np.random.RandomState(seed).uniform(0.05, 0.95, size=(n, n_features))


def factor_model(n_samples=300, n_features=6, latent_dim=2, seed=0):
    """Rows from a linear-Gaussian factor model, and each feature's signal std."""
    rng = np.random.RandomState(seed)
    loadings = rng.normal(size=(latent_dim, n_features))
    noise = rng.uniform(0.2, 0.6, size=n_features)
    z = rng.normal(size=(n_samples, latent_dim))
    X = z @ loadings + rng.normal(size=(n_samples, n_features)) * noise + 3.0
    return X, np.sqrt((loadings**2).sum(axis=0))


def factor_data(**kwargs):
    """The rows of ``factor_model(**kwargs)``."""
    return factor_model(**kwargs)[0]


def standardised_factor_data(n_samples=1000, n_features=8, n_factors=2, seed=0):
    """Standardised rows of a linear factor model with small isotropic noise."""
    rng = np.random.RandomState(seed)
    loadings = rng.normal(size=(n_factors, n_features))
    X = rng.normal(size=(n_samples, n_factors)) @ loadings
    X += 0.3 * rng.normal(size=(n_samples, n_features))
    return (X - X.mean(axis=0)) / X.std(axis=0)


def low_rank_rows(n=60, n_features=6, seed=0):
    """Rank-2 factor data with noise: learnable, then overfitted."""
    rng = np.random.RandomState(seed)
    return rng.normal(size=(n, 2)) @ rng.normal(size=(2, n_features)) + 0.3 * (
        rng.normal(size=(n, n_features))
    )


# Out-of-core training: blocks of 300 rows (several batches each), 5 passes.
CHUNKED = {"hidden_dims": (16,), "batch_size": 64, "random_state": 0}
PASSES = 5
BLOCK_ROWS = 300


def chunked_data():
    """1200 training and 300 held-out rows of a standardised factor model."""
    X = standardised_factor_data(n_samples=1500)
    return X[:1200], X[1200:]


def assert_chunked_like_fit(cls, blocks):
    """``PASSES`` passes of ``partial_fit`` over ``blocks()`` score held-out rows
    within 0.2 nats per row of ``fit`` with as many epochs, and that gap is small
    beside what the passes after the first gained. Returns the chunked estimator.

    Measured with seeds 0-3: gaps up to 0.14 (VAE) and 0.07 (AE) nats per row,
    gains of 0.35-0.8 (VAE) and 2.2-2.5 (AE). The two differ by design: each
    call shuffles within its block, and the first block fixes the standardisation.
    """
    X, X_test = chunked_data()
    chunked = cls(**CHUNKED)
    for done in range(1, PASSES + 1):
        for block in blocks():
            chunked.partial_fit(block)
        if done == 1:
            first_pass = chunked.score(X_test)
    assert chunked.n_iter_ == PASSES * len(X) // BLOCK_ROWS
    whole = cls(**CHUNKED, max_epochs=PASSES).fit(X)
    assert abs(chunked.score(X_test) - whole.score(X_test)) < 0.2
    assert chunked.score(X_test) - first_pass > 0.2
    return chunked


def mlp_encoder(n_features=6):
    """A custom encoder module for rows of ``n_features``."""
    return nn.Sequential(nn.Linear(n_features, 8), nn.ReLU())


def mlp_decoder(n_features=6):
    """A custom decoder module from 2 latent dimensions to ``n_features``."""
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, n_features))


class HeavyBall(torch.optim.SGD):
    """An optimizer class of the user's: SGD with momentum 0.9."""

    def __init__(self, params, lr=1e-3):
        super().__init__(params, lr=lr, momentum=0.9)


def fast_fit(cls, X=None, **params):
    """``cls`` with the FAST settings and ``params``, fitted to X (or normal_rows)."""
    return cls(**{**FAST, **params}).fit(normal_rows() if X is None else X)


def fitted_outputs(est, X):
    """Every output of a fitted estimator: codes, reconstructions, samples, scores."""
    return (
        est.transform(X),
        est.inverse_transform(est.transform(X)),
        est.sample(5),
        est.score_samples(X),
    )


def assert_unfitted(est, X):
    """est is unfitted: it says so, and holds no net or input width."""
    with pytest.raises(NotFittedError, match=NOT_FITTED):
        check_is_fitted(est)
    with pytest.raises(NotFittedError, match=NOT_FITTED):
        est.transform(X)
    assert not hasattr(est, "net_")
    assert not hasattr(est, "n_features_in_")


def fitted_state(est):
    """What a training call could change: weights, history, fitted attributes and
    the codes of fixed rows."""
    weights = {k: v.detach().cpu().clone() for k, v in est.module_.state_dict().items()}
    fitted = sorted(k for k in vars(est) if k.endswith("_"))
    # Through the module: inference refuses parameters set (and rejected) since.
    rows = torch.as_tensor(normal_rows(n_features=est.n_features_in_))
    with torch.no_grad():
        codes = est.module_.eval().code(rows.to(est.module_.dtype)).numpy()
    return weights, len(est.history_), fitted, codes


def assert_same_state(a, b):
    """Two ``fitted_state`` results are equal, bit for bit."""
    assert a[0].keys() == b[0].keys()
    for name in a[0]:
        assert torch.equal(a[0][name], b[0][name]), name
    assert a[1:3] == b[1:3]
    np.testing.assert_array_equal(a[3], b[3])


def assert_works(est, X):
    """transform, inverse_transform, score_samples and sample give finite output."""
    n_samples, n_features = X.shape
    Z = est.transform(X)
    assert Z.shape == (n_samples, est.latent_dim)
    assert np.all(np.isfinite(Z))
    X_back = est.inverse_transform(Z)
    assert X_back.shape == (n_samples, n_features)
    assert np.all(np.isfinite(X_back))
    scores = est.score_samples(X)
    assert scores.shape == (n_samples,)
    assert np.all(np.isfinite(scores))
    assert np.isfinite(est.score(X))
    samples = est.sample(3, random_state=0)
    assert samples.shape == (3, n_features)
    assert np.all(np.isfinite(samples))


def write_zip(path, members):
    """Write a zip of ``members`` (name -> bytes) to ``path``."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def rewrite_model_file(path, edit, *, checksums=True):
    """Rewrite the ``skvae.save`` file at ``path`` through ``edit(config, tensors,
    members)``, which changes in place its JSON config, its tensors (name ->
    tensor) and its other members (name -> bytes).

    The checksums are then those of the new members, so that the check under
    test is the one that fires; ``checksums=False`` keeps the saved ones. Raw
    bytes ``edit`` puts in ``members`` under the tensors' name replace them.
    """
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members.pop(CONFIG))
    tensors = safetensors.torch.load(members.pop(TENSORS))
    edit(config, tensors, members)
    members = {TENSORS: safetensors.torch.save(tensors), **members}
    if checksums:
        config["checksums"] = {
            name: sha256(data).hexdigest() for name, data in members.items()
        }
    write_zip(path, {CONFIG: json.dumps(config).encode(), **members})


def config_edit(path, value):
    """An edit for :func:`rewrite_model_file` setting the config's value at the
    dotted ``path`` (list items by index)."""

    def edit(config, tensors, members):
        *keys, last = path.split(".")
        node = config
        for key in keys:
            node = node[int(key) if isinstance(node, list) else key]
        node[int(last) if isinstance(node, list) else last] = value

    return edit


def tensor_edit(name, value):
    """An edit for :func:`rewrite_model_file` setting the tensor ``name`` (None:
    deleting it)."""

    def edit(config, tensors, members):
        if value is None:
            del tensors[name]
        else:
            tensors[name] = value

    return edit


def member_edit(name, data):
    """An edit for :func:`rewrite_model_file` setting the member ``name`` to the
    bytes ``data``."""

    def edit(config, tensors, members):
        members[name] = data

    return edit


# IDX type code of each NumPy dtype the format can hold.
_IDX_CODES = {
    np.dtype(np.uint8): 0x08,
    np.dtype(np.int8): 0x09,
    np.dtype(np.int16): 0x0B,
    np.dtype(np.int32): 0x0C,
    np.dtype(np.float32): 0x0D,
    np.dtype(np.float64): 0x0E,
}


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """Run torch on one thread: the tests' tiny models gain nothing from more, and
    on a shared 2-core host thread hand-offs make them many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _encode_idx(array):
    header = bytes([0, 0, _IDX_CODES[array.dtype], array.ndim])
    sizes = b"".join(size.to_bytes(4, "big") for size in array.shape)
    return header + sizes + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write_idx(path, content):
    payload = content if isinstance(content, bytes) else _encode_idx(content)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)
    return path


@pytest.fixture
def idx_bytes():
    """Function returning the IDX encoding of an array."""
    return _encode_idx


@pytest.fixture
def write_idx():
    """Function writing an array (IDX-encoded) or raw bytes to a path, gzip'd if
    the path ends in ``.gz``."""
    return _write_idx


@pytest.fixture
def tiny_mnist(tmp_path, monkeypatch):
    """A data home with small random MNIST files whose digests the loader accepts."""
    folder = tmp_path / "data" / "mnist"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 40), ("t10k", 20)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = np.arange(n, dtype=np.uint8) % 10
        _write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        _write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    digests = {p.name: sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    monkeypatch.setitem(_mnist._SHA256, "mnist", digests)
    return folder.parent
