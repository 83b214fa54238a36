"""Property-based tests: what a hostile user passes gets a clear error or sound output.

Hypothesis draws inputs over dtypes, shapes, memory layouts and values, parameter
values of every kind, and sequences of calls (fit, partial_fit, set_params,
refit, inference, pickling). Two properties hold for every draw:

1. Every call either raises a clear error (a ValueError or TypeError raised by
   skvae or scikit-learn, or the named divergence error of training) or returns
   output of the right shape whose values are finite; scores may be ``-inf`` for
   rows so far out that the network overflows, never NaN.
2. A call that raises leaves the estimator exactly as it was.

The draws are derandomised, so CI sees the same cases every run; set
``SKVAE_PROPERTY_EXAMPLES`` (say to 500) to search more widely.
"""

import functools
import os
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from skvae import AETransformer, AutoencoderOutlierDetector, VAETransformer

EXAMPLES = int(os.environ.get("SKVAE_PROPERTY_EXAMPLES", "30"))
# A wide search reports what it found unshrunk: shrinking fits can take minutes.
WIDE = "SKVAE_PROPERTY_EXAMPLES" in os.environ
PROPERTY = settings(
    max_examples=EXAMPLES,
    phases=[Phase.explicit, Phase.generate] if WIDE else tuple(Phase),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Tiny networks, two epochs: each fit takes milliseconds.
TINY = {"hidden_dims": (4,), "max_epochs": 2, "random_state": 0, "device": "cpu"}
N_FEATURES = 3
# Who may raise a clear error: the deepest Python frame is in one of these.
CLEAR_SOURCES = {"skvae", "sklearn"}

# -- the input zoo --------------------------------------------------------------

DTYPES = [
    np.float64,
    np.float32,
    np.float16,
    np.int64,
    np.int32,
    np.int8,
    np.uint8,
    np.bool_,
    np.complex128,
    np.object_,
]
LAYOUTS = [
    "C",
    "F",
    "reversed rows",
    "reversed columns",
    "every other row",
    "read-only",
    "list",
    "DataFrame",
    "tensor",
    "tensor requiring grad",
    "bfloat16 tensor",
]
SCALES = [1e-300, 1e-30, 1e-6, 1.0, 1e6, 1e30, 1e300]


@st.composite
def matrices(draw, n_features=None, max_rows=12):
    """A 2-D input of any dtype, layout, scale and offset, perhaps with holes."""
    n_rows = draw(st.integers(0, max_rows))
    width = draw(st.integers(0, 5)) if n_features is None else n_features
    seed = draw(st.integers(0, 2**16))
    values = np.random.RandomState(seed).uniform(size=(n_rows, width))
    kind = draw(st.sampled_from(["unit", "normal", "scaled", "constant"]))
    if kind == "normal":
        values = np.random.RandomState(seed).normal(size=(n_rows, width))
    elif kind == "scaled":
        scale, shift = draw(st.sampled_from(SCALES)), draw(st.sampled_from(SCALES))
        values = values * scale + draw(st.sampled_from([0, 1, -1])) * shift
    elif kind == "constant":
        values = np.full((n_rows, width), draw(st.sampled_from([0.0, 1.0, 7.5])))
    if values.size and draw(st.booleans()):
        hole = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
        values.flat[draw(st.integers(0, values.size - 1))] = hole
    dtype = draw(st.sampled_from(DTYPES))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        values = values.astype(dtype)
    return _laid_out(values, draw(st.sampled_from(LAYOUTS)))


def _laid_out(values, layout):
    if layout == "F":
        return np.asfortranarray(values)
    if layout == "reversed rows":
        return values[::-1]
    if layout == "reversed columns":
        return values[:, ::-1]
    if layout == "every other row":
        return np.repeat(values, 2, axis=0)[::2]
    if layout == "read-only":
        values = values.copy()
        values.flags.writeable = False
        return values
    if layout == "list":
        return values.tolist()
    if layout == "DataFrame":
        return pd.DataFrame(values, columns=[f"x{i}" for i in range(values.shape[1])])
    if layout.endswith("tensor") or layout.endswith("grad"):
        if values.dtype.kind in "cO":  # torch holds neither: stay numpy
            return values
        tensor = torch.as_tensor(values.astype(np.float64))
        if layout == "bfloat16 tensor":
            return tensor.to(torch.bfloat16)
        return tensor.requires_grad_(layout == "tensor requiring grad")
    return values


def good_rows(n_rows=24, seed=0):
    """Rows in [0, 1): valid for both likelihoods."""
    return np.random.RandomState(seed).uniform(size=(n_rows, N_FEATURES))


# -- parameters of every kind ------------------------------------------------------

ODD_VALUES = st.sampled_from(
    [None, True, False, -1, 0, 0.5, float("nan"), float("inf"), "auto", "x", (), [1]]
)
PARAMETERS = {
    "latent_dim": st.one_of(st.integers(-1, 5), ODD_VALUES),
    "hidden_dims": st.one_of(
        st.lists(st.integers(-1, 6), max_size=3).map(tuple),
        st.sampled_from(["auto", (2.5,), ("a",), (True,)]),
    ),
    "architecture": st.sampled_from(["mlp", "conv", "rnn", None]),
    "image_shape": st.sampled_from([None, (1, 1, 3), (3, 1, 1), (1, -1, 3), (3,)]),
    "likelihood": st.sampled_from(["gaussian", "bernoulli", "poisson", None]),
    "binarize": st.one_of(st.booleans(), ODD_VALUES),
    "beta": st.one_of(st.floats(-10, 10), ODD_VALUES),
    "max_epochs": st.one_of(
        st.integers(-1, 3), ODD_VALUES.filter(lambda v: v != "auto")
    ),
    "batch_size": st.one_of(st.integers(-1, 40), ODD_VALUES),
    "lr": st.one_of(
        st.sampled_from([1e-3, 1e-2, 1.0, 10.0, 1e8, 1e38, 1e300, -1e-3]),
        ODD_VALUES,
    ),
    "lr_schedule": st.sampled_from([None, "cosine", "plateau", "linear", 1]),
    "kl_warmup_epochs": st.one_of(st.integers(-1, 3), ODD_VALUES),
    "free_bits": st.one_of(st.floats(-1, 2), ODD_VALUES),
    "n_importance_samples": st.one_of(st.integers(-1, 4), ODD_VALUES),
    "trim_fraction": st.one_of(st.floats(-0.5, 1.5), ODD_VALUES),
    "early_stopping": st.one_of(st.booleans(), ODD_VALUES),
    "validation_fraction": st.one_of(st.floats(-0.5, 1.5), ODD_VALUES),
    "n_iter_no_change": st.one_of(st.integers(-1, 3), ODD_VALUES),
    "tol": st.one_of(st.floats(-1, 1), ODD_VALUES),
    "device": st.sampled_from(["cpu", "auto", "cuda", "meta", "mps", "xla", "gpu", 3]),
    "random_state": st.one_of(st.integers(0, 2**32 - 1), st.sampled_from([-1, 1.5])),
    "verbose": st.sampled_from([0, -1, "loud"]),
}


def parameter_changes():
    """A strategy of dicts of one to three parameters and values to set; the
    VAE's own parameters are among them for the AE too (set_params refuses)."""
    names = sorted(PARAMETERS)
    return st.sets(st.sampled_from(names), min_size=1, max_size=3).flatmap(
        lambda chosen: st.fixed_dictionaries(
            {name: PARAMETERS[name] for name in chosen}
        )
    )


# -- the two properties -----------------------------------------------------------


def assert_clear_error(exc, *, training=False):
    """``exc`` is a clear error: its type, its source, and a message."""
    allowed = (ValueError, TypeError) + ((FloatingPointError,) if training else ())
    assert isinstance(exc, allowed), f"{type(exc).__name__}: {exc}"
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    source = tb.tb_frame.f_globals.get("__name__", "").split(".")[0]
    assert source in CLEAR_SOURCES, f"raised in {source}: {type(exc).__name__}: {exc}"
    assert str(exc).strip(), type(exc).__name__


def attempt(call, *, training=False):
    """``call()``'s result, or None when it raised a clear error.

    Each outcome is counted (``--hypothesis-show-statistics``), to see that the
    draws reach sound outputs as well as errors.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = call()
    except Exception as exc:  # classified by the property
        assert_clear_error(exc, training=training)
        event(f"refused: {type(exc).__name__}")
        return None
    event("answered")
    return result


def state(est):
    """Everything a call could change, as comparable values."""
    fitted = {}
    for name, value in vars(est).items():
        if name.endswith("_"):
            fitted[name] = value
    weights = {}
    if "net_" in fitted:
        weights = {
            k: v.detach().clone() for k, v in est.net_.module_.state_dict().items()
        }
        fitted["history"] = len(est.net_.history)
    params = repr(sorted(est.get_params(deep=False).items(), key=lambda kv: kv[0]))
    return params, sorted(fitted), weights, fitted.get("history")


def assert_same_state(before, after):
    assert before[0] == after[0], "parameters changed"
    assert before[1] == after[1], "fitted attributes changed"
    assert before[3] == after[3], "history changed"
    assert before[2].keys() == after[2].keys()
    for name in before[2]:
        assert torch.equal(before[2][name], after[2][name]), name


def assert_sound(values, shape, *, scores=False):
    values = np.asarray(values)
    assert values.shape == shape
    if scores:
        assert not np.isnan(values).any(), values
        assert not np.isposinf(values).any(), values
    else:
        assert np.isfinite(values).all(), values


# -- input zoo: inference and fitting -----------------------------------------------


@functools.cache
def fitted(Estimator):
    """A tiny model of each kind fitted to good rows, shared: inference leaves it
    unchanged, which the tests check."""
    return Estimator(**TINY).fit(good_rows())


@pytest.mark.parametrize(
    "method", ["transform", "score_samples", "inverse_transform", "score"]
)
@pytest.mark.parametrize("Estimator", [VAETransformer, AETransformer])
@given(data=st.data())
@PROPERTY
def test_inference_on_any_input_is_sound_or_a_clear_error(Estimator, method, data):
    """Whatever rows are passed, inference answers soundly or names the problem."""
    est = fitted(Estimator)
    before = state(est)
    width = est.latent_dim if method == "inverse_transform" else N_FEATURES
    X = data.draw(st.one_of(matrices(n_features=width), matrices()), label="X")
    result = attempt(lambda: getattr(est, method)(X))
    if result is not None:
        if method == "score":
            assert not np.isnan(result)
        elif method == "transform":
            assert_sound(result, (len(X), est.latent_dim))
        elif method == "inverse_transform":
            assert_sound(result, (len(X), N_FEATURES))
        else:
            assert_sound(result, (len(X),), scores=True)
    assert_same_state(before, state(est))


def assert_fitted_sound(est):
    """A fitted estimator's outputs on rows of its width are sound."""
    X = good_rows(4)[:, :1].repeat(est.n_features_in_, axis=1)
    assert_sound(est.transform(X), (4, est._structure_["latent_dim"]))
    assert_sound(est.inverse_transform(est.transform(X)), X.shape)
    assert_sound(est.score_samples(X), (4,), scores=True)
    assert_sound(est.sample(3, random_state=0), (3, est.n_features_in_))


@pytest.mark.parametrize("Estimator", [VAETransformer, AETransformer])
@given(X=matrices(max_rows=10))
@PROPERTY
def test_fit_on_any_input_is_sound_or_a_clear_error(Estimator, X):
    """Whatever rows fit is given, it fits a sound model or names the problem."""
    est = Estimator(**TINY)
    if attempt(lambda: est.fit(X), training=True) is None:
        assert not hasattr(est, "net_")
    else:
        assert_fitted_sound(est)


@pytest.mark.parametrize("Estimator", [VAETransformer, AETransformer])
@given(data=st.data())
@PROPERTY
def test_any_parameters_fit_soundly_or_are_named(Estimator, data):
    """Any parameter values either train a sound model or raise a clear error."""
    changes = data.draw(parameter_changes(), label="changes")
    est = Estimator(**TINY)
    if attempt(lambda: est.set_params(**changes)) is None:
        return
    if attempt(lambda: est.fit(good_rows()), training=True) is None:
        assert not hasattr(est, "net_")
    else:
        assert_fitted_sound(est)


# -- call sequences --------------------------------------------------------------


class CallSequences(RuleBasedStateMachine):
    """fit / partial_fit / set_params / refit / inference / pickling, in any order.

    After every call: a rejected one left the estimator as it was, a successful
    one left outputs that are sound.
    """

    @initialize(Estimator=st.sampled_from([VAETransformer, AETransformer]))
    def start(self, Estimator):
        self.est = Estimator(**TINY)

    def _mutate(self, call, training=False):
        before = state(self.est)
        if attempt(call, training=training) is None:
            assert_same_state(before, state(self.est))

    @rule(X=st.one_of(st.just(None), matrices(n_features=N_FEATURES, max_rows=10)))
    def fit(self, X):
        self._mutate(
            lambda: self.est.fit(good_rows() if X is None else X), training=True
        )

    @rule(X=st.one_of(st.just(None), matrices(n_features=N_FEATURES, max_rows=10)))
    def partial_fit(self, X):
        self._mutate(
            lambda: self.est.partial_fit(good_rows() if X is None else X),
            training=True,
        )

    @rule(data=st.data())
    def set_params(self, data):
        changes = data.draw(parameter_changes())
        self._mutate(lambda: self.est.set_params(**changes))

    @rule()
    def reset_parameters(self):
        """Back to the tiny settings, so later calls can train again."""
        self.est.set_params(**type(self.est)(**TINY).get_params())

    @precondition(lambda self: hasattr(self.est, "net_"))
    @rule()
    def pickle_round_trip(self):
        loaded = pickle.loads(pickle.dumps(self.est))
        X = good_rows(5)
        codes = attempt(lambda: self.est.transform(X))
        if codes is not None:
            np.testing.assert_array_equal(loaded.transform(X), codes)
        assert_same_state(state(self.est), state(loaded))
        self.est = loaded

    @precondition(lambda self: hasattr(self.est, "net_"))
    @rule(X=matrices(max_rows=6))
    def infer(self, X):
        self._mutate(lambda: self.est.score_samples(X))
        self._mutate(lambda: self.est.transform(X))

    @precondition(lambda self: hasattr(self.est, "net_"))
    @invariant()
    def outputs_are_sound(self):
        X = good_rows(6)[:, : self.est.n_features_in_]
        if X.shape[1] != self.est.n_features_in_:
            return
        # The fitted latent_dim: set_params may have changed the parameter since.
        latent_dim = self.est._structure_["latent_dim"]
        # Parameters set since (batch_size=-1, say) may be refused by name.
        codes = attempt(lambda: self.est.transform(X))
        if codes is not None:
            assert_sound(codes, (6, latent_dim))
        scores = attempt(lambda: self.est.score_samples(X))
        if scores is not None:
            assert_sound(scores, (6,), scores=True)


CallSequences.TestCase.settings = settings(
    parent=PROPERTY, max_examples=max(5, EXAMPLES // 2), stateful_step_count=8
)
test_call_sequences = CallSequences.TestCase


# -- the detector --------------------------------------------------------------------


@given(X=matrices(n_features=N_FEATURES))
@PROPERTY
def test_detector_on_any_input_is_sound_or_a_clear_error(X):
    """The detector's scores and flags are sound for any rows, or a clear error."""
    detector = _detector()
    scores = attempt(lambda: detector.score_samples(X))
    if scores is None:
        return
    assert_sound(scores, (len(X),), scores=True)
    flags = attempt(lambda: detector.predict(X))
    assert set(np.unique(flags)) <= {-1, 1}
    assert (flags[np.isneginf(scores)] == -1).all()


@functools.cache
def _detector():
    return AutoencoderOutlierDetector(VAETransformer(**TINY), random_state=0).fit(
        good_rows()
    )
