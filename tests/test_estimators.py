"""Fitted estimators: semantics, reproducibility, persistence and pipelines."""

import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.decomposition import FactorAnalysis
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skvae import AETransformer, VAETransformer

ESTIMATORS = [VAETransformer, AETransformer]
FAST = {"hidden_dims": (16,), "max_epochs": 3, "random_state": 0}


def _factor_model(n_samples=300, n_features=6, latent_dim=2, seed=0):
    """Rows from a linear-Gaussian factor model, and each feature's signal std."""
    rng = np.random.RandomState(seed)
    loadings = rng.normal(size=(latent_dim, n_features))
    noise = rng.uniform(0.2, 0.6, size=n_features)
    z = rng.normal(size=(n_samples, latent_dim))
    X = z @ loadings + rng.normal(size=(n_samples, n_features)) * noise + 3.0
    return X, np.sqrt((loadings**2).sum(axis=0))


def _factor_data(**kwargs):
    return _factor_model(**kwargs)[0]


def _outputs(est, X):
    return (
        est.transform(X),
        est.inverse_transform(est.transform(X)),
        est.sample(5),
        est.score_samples(X),
    )


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_same_random_state_gives_identical_results(Estimator):
    """Two fits with the same random_state agree bit for bit on every output."""
    X = _factor_data()
    first = _outputs(Estimator(**FAST).fit(X), X)
    second = _outputs(Estimator(**FAST).fit(X), X)
    for a, b in zip(first, second, strict=True):
        assert_array_equal(a, b)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_different_random_state_gives_different_fit(Estimator):
    """A different random_state changes the fitted model."""
    X = _factor_data()
    a = Estimator(**FAST).fit(X).transform(X)
    b = Estimator(**{**FAST, "random_state": 1}).fit(X).transform(X)
    assert not np.allclose(a, b)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fit_leaves_global_torch_rng_alone(Estimator):
    """Fitting, scoring and sampling neither read nor change torch's global RNG."""
    X = _factor_data(n_samples=50)
    torch.manual_seed(123)
    state = torch.get_rng_state()
    est = Estimator(**FAST).fit(X)
    est.score_samples(X)
    est.sample(3)
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_repeated_calls_and_batch_sizes_agree(Estimator):
    """transform and score_samples repeat exactly and do not depend on batch size."""
    X = _factor_data(n_samples=103)
    est = Estimator(**FAST).fit(X)
    Z, scores = est.transform(X), est.score_samples(X)
    assert_array_equal(est.transform(X), Z)
    assert_array_equal(est.score_samples(X), scores)
    for batch_size in (1, 7, 1000):
        est.set_params(batch_size=batch_size)
        assert_allclose(est.transform(X), Z, rtol=1e-12, atol=1e-12)
        assert_allclose(est.score_samples(X), scores, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_row_scores_do_not_depend_on_other_rows(Estimator):
    """A row's score is the same alone, in a subset, or in another order."""
    X = _factor_data(n_samples=40)
    est = Estimator(**FAST).fit(X)
    scores = est.score_samples(X)
    order = np.random.RandomState(0).permutation(len(X))
    assert_allclose(est.score_samples(X[order]), scores[order], rtol=1e-12)
    assert_allclose(est.score_samples(X[7:8]), scores[7:8], rtol=1e-12)


def test_vae_score_samples_ignores_beta():
    """Changing beta after fit leaves the weights, hence the scores, unchanged."""
    X = _factor_data()
    vae = VAETransformer(**FAST, beta=4.0).fit(X)
    scores = vae.score_samples(X)
    vae.set_params(beta=0.1)
    assert_array_equal(vae.score_samples(X), scores)


def test_vae_beta_changes_training():
    """beta is used in training: different betas give different models."""
    X = _factor_data()
    low = VAETransformer(**FAST, beta=0.1).fit(X).transform(X)
    high = VAETransformer(**FAST, beta=10.0).fit(X).transform(X)
    assert not np.allclose(low, high)


def test_vae_transform_is_posterior_mean():
    """transform returns the encoder's posterior mean, not a random draw."""
    X = _factor_data()
    vae = VAETransformer(**FAST).fit(X)
    x = torch.as_tensor(vae._standardize(X), dtype=torch.float32)
    with torch.no_grad():
        mean = vae.module_.encode(x).mean.numpy()
    assert_allclose(vae.transform(X.astype(np.float32)), mean, atol=1e-5)


def test_vae_likelihood_close_to_factor_analysis():
    """On factor-model data a linear VAE's bound nears FactorAnalysis' exact score.

    A lower bound can't beat the exact maximum-likelihood fit by more than noise,
    and a trained linear VAE gets close to it (issue 4 tightens this to 1%).
    """
    X = _factor_data(n_samples=2000)
    X_train, X_test = X[:1500], X[1500:]
    fa = FactorAnalysis(n_components=2).fit(X_train).score(X_test)
    vae = VAETransformer(
        latent_dim=2,
        hidden_dims=(),
        max_epochs=100,
        batch_size=250,
        lr=1e-2,
        random_state=0,
    ).fit(X_train)
    score = vae.score(X_test)
    assert score < fa + 0.05
    assert score > fa - 0.1 * abs(fa)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("factor", [10.0, 1e-200, 1e30, 1e200])
def test_score_in_data_units(Estimator, factor):
    """Scaling the data by c shifts the log-density by -n_features * log(c).

    Also at magnitudes where squaring the data would overflow float64.
    """
    X = _factor_data()
    est = Estimator(**FAST)
    base = est.fit(X).score(X)
    scaled = est.fit(X * factor)
    # Rescaled rows draw other Monte-Carlo noise (VAE: ~0.02 nats).
    shift = X.shape[1] * np.log(factor)
    assert_allclose(scaled.score(X * factor), base - shift, atol=0.1)
    Z = scaled.transform(X * factor)
    assert np.all(np.isfinite(scaled.inverse_transform(Z)))
    assert np.all(np.isfinite(scaled.sample(5)))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fitting_reduces_training_loss(Estimator):
    """The training loss recorded in history_ goes down."""
    X = _factor_data()
    est = Estimator(**{**FAST, "max_epochs": 30}).fit(X)
    losses = est.history_[:, "train_loss"]
    assert len(losses) == est.n_iter_ == 30
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_reconstruction_beats_mean(Estimator):
    """inverse_transform(transform(X)) reconstructs better than predicting the mean."""
    X = _factor_data()
    est = Estimator(latent_dim=2, hidden_dims=(32,), max_epochs=60, random_state=0)
    X_hat = est.fit(X).inverse_transform(est.transform(X))
    assert np.mean((X - X_hat) ** 2) < 0.5 * np.mean((X - X.mean(axis=0)) ** 2)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_samples_resemble_training_data(Estimator):
    """sample() draws rows with the data's mean and the spread of its signal."""
    X, signal_std = _factor_model(n_samples=500)
    est = Estimator(hidden_dims=(32,), max_epochs=100, lr=3e-3, random_state=0)
    samples = est.fit(X).sample(2000, random_state=0)
    assert samples.shape == (2000, X.shape[1])
    assert_allclose(samples.mean(axis=0), X.mean(axis=0), atol=0.3)
    # Decoded means carry no observation noise: they spread like the signal alone.
    assert_allclose(samples.std(axis=0) / signal_std, 1.0, atol=0.25)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sample_random_state(Estimator):
    """sample's random_state fixes the draw; None falls back to the estimator's."""
    est = Estimator(**FAST).fit(_factor_data(n_samples=50))
    assert_array_equal(est.sample(4, random_state=3), est.sample(4, random_state=3))
    assert not np.allclose(est.sample(4, random_state=3), est.sample(4, random_state=4))
    assert_array_equal(est.sample(4), est.sample(4))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_is_reproducible_and_continues(Estimator):
    """partial_fit over chunks is deterministic and trains one epoch per call."""
    X = _factor_data()
    runs = []
    for _ in range(2):
        est = Estimator(**FAST)
        for chunk in np.array_split(X, 3):
            est.partial_fit(chunk)
        runs.append(est.transform(X))
    assert est.n_iter_ == 3
    assert_array_equal(runs[0], runs[1])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_persistence_round_trip(Estimator, dump, tmp_path):
    """Pickle and joblib round trips give identical outputs and can keep training."""
    X = _factor_data(n_samples=80)
    est = Estimator(**FAST).fit(X)
    if dump == "pickle":
        loaded = pickle.loads(pickle.dumps(est))
    else:
        joblib.dump(est, tmp_path / "model.joblib")
        loaded = joblib.load(tmp_path / "model.joblib")
    for a, b in zip(_outputs(est, X), _outputs(loaded, X), strict=True):
        assert_array_equal(a, b)
    est.partial_fit(X)
    loaded.partial_fit(X)
    assert_array_equal(est.transform(X), loaded.transform(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_clone_is_unfitted_with_same_params(Estimator):
    """clone copies parameters and none of the fitted state."""
    est = Estimator(**FAST, latent_dim=3).fit(_factor_data(n_samples=30))
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    assert not hasattr(copy, "net_")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_pipeline_fit_transform_inverse(Estimator):
    """A scaler + autoencoder pipeline transforms and inverts end to end."""
    X = _factor_data()
    pipe = Pipeline([("scale", StandardScaler()), ("ae", Estimator(**FAST))])
    Z = pipe.fit_transform(X)
    assert Z.shape == (len(X), 2)
    assert pipe.inverse_transform(Z).shape == X.shape
    assert np.isfinite(pipe.score(X))


def test_grid_search_over_beta_with_default_scoring():
    """GridSearchCV ranks betas by held-out ELBO with no scoring argument."""
    X = _factor_data()
    search = GridSearchCV(VAETransformer(**FAST), {"beta": [0.25, 1.0, 4.0]}, cv=3)
    search.fit(X)
    means = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(means))
    assert search.best_params_["beta"] == [0.25, 1.0, 4.0][int(np.argmax(means))]
    best = search.best_estimator_
    assert best.sample(10, random_state=0).shape == (10, X.shape[1])
    assert best.score_samples(X).shape == (len(X),)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_set_output_pandas(Estimator):
    """set_output(transform='pandas') returns a DataFrame with named latent columns."""
    name = Estimator.__name__.lower()
    X = pd.DataFrame(_factor_data(n_samples=40), columns=[f"f{i}" for i in range(6)])
    est = Estimator(**FAST).set_output(transform="pandas").fit(X)
    Z = est.transform(X)
    assert isinstance(Z, pd.DataFrame)
    assert list(Z.columns) == [f"{name}0", f"{name}1"]
    assert list(Z.index) == list(X.index)
    assert_array_equal(est.feature_names_in_, X.columns)


def test_fit_transform_matches_fit_then_transform():
    """fit_transform equals fit followed by transform."""
    X = _factor_data()
    assert_array_equal(
        VAETransformer(**FAST).fit_transform(X),
        VAETransformer(**FAST).fit(X).transform(X),
    )


@pytest.mark.parametrize(
    ("n_samples", "expected"), [(20, 500), (1500, 209), (100_000, 10)]
)
def test_auto_epochs_scale_with_data(n_samples, expected):
    """max_epochs='auto' gives many epochs on tiny data and few on large data."""
    assert VAETransformer()._n_epochs(n_samples) == expected


def test_device_is_resolved_in_fit():
    """device='auto' stays as given in get_params and resolves in fit."""
    vae = VAETransformer(**FAST)
    assert vae.get_params()["device"] == "auto"
    vae.fit(_factor_data(n_samples=20))
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert vae.device_.startswith(expected)
    assert vae.get_params()["device"] == "auto"


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_column_constant_up_to_rounding_is_treated_as_constant(Estimator):
    """A column that varies only by rounding noise gets unit scale, not 1/noise."""
    X = _factor_data(n_samples=50)
    X[:, 0] = 1e6 + np.random.RandomState(0).uniform(0, 1e-9, size=50)
    est = Estimator(**FAST).fit(X)
    assert est.input_scale_[0] == 1.0
    assert np.all(np.isfinite(est.score_samples(X)))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_uses_current_params_and_keeps_optimizer_state(Estimator):
    """lr and batch_size set after fit apply to partial_fit; Adam keeps its state."""
    X = _factor_data(n_samples=60)
    est = Estimator(**FAST, batch_size=60).fit(X)
    optimizer = est.net_.optimizer_
    steps = optimizer.state_dict()["state"][0]["step"].item()
    est.set_params(lr=0.05, batch_size=20).partial_fit(X)
    assert est.net_.optimizer_ is optimizer
    assert [group["lr"] for group in optimizer.param_groups] == [0.05]
    # One epoch of three batches of 20 rows, on top of the earlier steps.
    assert optimizer.state_dict()["state"][0]["step"].item() == steps + 3


def test_partial_fit_uses_current_beta():
    """beta set after fit is the KL weight of the next partial_fit."""
    X = _factor_data(n_samples=60)
    vae = VAETransformer(**FAST).fit(X)
    vae.set_params(beta=3.0).partial_fit(X)
    assert vae.net_.criterion_.beta == 3.0
