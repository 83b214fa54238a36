"""The JSON codec, value checks and tensor store of skvae's model files."""

import json
import math

import numpy as np
import pytest
import torch

from skvae._serial import (
    Tensors,
    from_json,
    read_choice,
    read_dict,
    read_float,
    read_int,
    read_names,
    to_json,
)
from skvae.exceptions import ModelFileError
from tests.conftest import HeavyBall


class Adam(torch.optim.Adam):
    """A class of the user's that takes the name of torch's."""


def _through_json(value):
    """``value`` written as skvae writes it, read as JSON text and decoded."""
    return from_json(
        json.loads(json.dumps(to_json(value, "value"), allow_nan=False)), "v"
    )


# -- to_json and from_json ----------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        -3,
        2.5,
        "text",
        (),
        (8, 4),
        [1, (2, [3.0])],
        {"a": (1.0,), "b": {"c": None}},
        math.inf,
        -math.inf,
        math.nan,
        ("auto", (math.inf, 1)),
    ],
)
def test_values_come_back_through_json(value):
    """A value comes back from its JSON text of the same types: tuples stay
    tuples and non-finite floats floats."""
    assert repr(_through_json(value)) == repr(value)


@pytest.mark.parametrize(
    "value, expected",
    [(np.int64(3), 3), (np.float32(0.5), 0.5), (np.bool_(True), True)],
)
def test_numpy_scalars_come_back_as_python_numbers(value, expected):
    """numpy's scalars are written as the Python numbers they equal."""
    back = _through_json(value)
    assert back == expected
    assert type(back) is type(expected)


def test_a_random_state_comes_back_drawing_as_before():
    """A RandomState comes back with its state, the cached normal draw included."""
    rng = np.random.RandomState(0)
    rng.normal(size=3)  # an odd number of draws: one normal value is cached
    back = _through_json(rng)
    assert back is not rng
    np.testing.assert_array_equal(back.normal(size=5), rng.normal(size=5))


@pytest.mark.parametrize("cls", [torch.optim.AdamW, torch.optim.SGD])
def test_a_torch_optim_class_comes_back_by_name(cls):
    """An optimizer class of torch.optim is written as its name, and read back
    as the class itself."""
    assert to_json(cls, "value") == {"__torch_optim__": f"torch.optim.{cls.__name__}"}
    assert _through_json(cls) is cls


@pytest.mark.parametrize(
    "cls, name",
    [(HeavyBall, "tests.conftest.HeavyBall"), (Adam, "tests.test_serial.Adam")],
)
def test_another_optimizer_class_is_refused_saying_to_use_pickle(cls, name):
    """A class outside torch.optim, even one named as torch's, is refused."""
    message = rf"^value is the optimizer class {name}, .* with pickle or joblib"
    with pytest.raises(ValueError, match=message):
        to_json(cls, "value")


@pytest.mark.parametrize(
    "value, message",
    [
        (np.arange(3), "value is a ndarray"),
        (np.random.default_rng(0), "value is a Generator"),
        (print, "value is a builtin_function_or_method"),
        ({1: "a"}, "value is a dict"),
        ({"__tuple__": [1]}, "keys starting with '__' cannot be saved"),
        ([1, {"x": object()}], r"value\[1\]\['x'\] is a object"),
    ],
)
def test_to_json_refuses_what_json_cannot_hold_naming_where(value, message):
    """A value JSON cannot hold is a ValueError naming where it sits."""
    with pytest.raises(ValueError, match=message):
        to_json(value, "value")


@pytest.mark.parametrize(
    "value",
    [
        math.nan,  # what json.loads makes of NaN
        math.inf,
        (1, 2),
        {"__reduce__": ["os.system", "ls"]},
        {"__tuple__": 1},
        {"__tuple__": [1], "x": 2},
        {"__float__": "1e400"},
        {"__float__": 1.0},
        {"__random_state__": "MT19937"},
        {"__random_state__": ["MT19937", [-1] * 624, 0, 0, 0.0]},
        {"__random_state__": ["MT19937", [1] * 3, 0, 0, 0.0]},
        {"__random_state__": ["PCG64", [1] * 624, 0, 0, 0.0]},
        {"__torch_optim__": "os.system"},
        {"__torch_optim__": "torch.optim.lr_scheduler.LambdaLR"},
        {"__torch_optim__": "torch.optim.adam"},
        {"__torch_optim__": "torch.optim.__builtins__"},
        {"__torch_optim__": "tests.conftest.HeavyBall"},
        {"__torch_optim__": ["torch.optim.Adam"]},
        {"__torch_optim__": "torch.optim.Adam", "x": 1},
    ],
)
def test_from_json_refuses_what_to_json_never_writes(value):
    """A JSON value to_json cannot have made is a ModelFileError."""
    with pytest.raises(ModelFileError, match="^value "):
        from_json(value, "value")


@pytest.mark.parametrize("pos", [-1, 625, 10**9, 1.5])
def test_a_random_state_past_its_keys_is_refused(pos):
    """A RandomState position outside its 624 keys is refused: numpy takes it,
    and each draw then reads memory beyond the keys until it crashes."""
    state = {"__random_state__": ["MT19937", [1] * 624, pos, 0, 0.0]}
    with pytest.raises(ModelFileError, match="is not a numpy RandomState's state"):
        from_json(state, "random_state")


def test_from_json_names_where_a_forged_value_sits():
    """The error names the path to the forged value."""
    with pytest.raises(ModelFileError, match=r"^params\['a'\]\[1\] holds"):
        from_json({"a": [1, {"__x__": 1}]}, "params")


# -- the checks of read values --------------------------------------------------------


@pytest.mark.parametrize("value", [0, 10])
def test_read_int_takes_an_int_in_range(value):
    """An int from low to high is returned as it is."""
    assert read_int(value, "n", 0, 10) == value


@pytest.mark.parametrize("value", [-1, 11, True, 3.0, "3", None])
def test_read_int_refuses_other_values(value):
    """Out of range, a bool, a float or a string is refused, naming the value."""
    with pytest.raises(ModelFileError, match=r"^n is .*, not an int in \[0, 10\]"):
        read_int(value, "n", 0, 10)


@pytest.mark.parametrize("value", [1, 2.5, -1e300])
def test_read_float_takes_a_finite_number(value):
    """A finite int or float comes back as a float."""
    back = read_float(value, "offset_")
    assert back == value
    assert type(back) is float


@pytest.mark.parametrize(
    "value, message",
    [
        (True, "not a number"),
        ("1", "not a number"),
        (None, "not a number"),
        (math.nan, "not a finite number"),
        (-math.inf, "not a finite number"),
    ],
)
def test_read_float_refuses_other_values(value, message):
    """A bool, a string or a non-finite float is refused."""
    with pytest.raises(ModelFileError, match=f"^offset_ is .*, {message}"):
        read_float(value, "offset_")


def test_read_choice_refuses_other_values():
    """A value not among the choices is refused, naming the choices."""
    assert read_choice("a", "kind", {"a", "b"}) == "a"
    with pytest.raises(ModelFileError, match=r"kind is 'c', not one of \['a', 'b'\]"):
        read_choice("c", "kind", {"a", "b"})


def test_read_names_gives_an_object_array():
    """Column names come back as scikit-learn keeps them: an object array."""
    names = read_names(["a", "b"], "feature_names_in_", 2)
    np.testing.assert_array_equal(names, np.array(["a", "b"], dtype=object))
    assert names.dtype == object


@pytest.mark.parametrize("value", [["a"], ["a", 1], "ab", None, ["a", "b", "c"]])
def test_read_names_refuses_other_values(value):
    """Names of another count, or that are not strings, are refused."""
    with pytest.raises(ModelFileError, match="not a list of 2 column names"):
        read_names(value, "feature_names_in_", 2)


@pytest.mark.parametrize(
    "value, found",
    [
        ({"a": 1}, r"\['a'\]"),
        ({"a": 1, "b": 2, "c": 3}, r"\['a', 'b', 'c'\]"),
        ([], "list"),
    ],
)
def test_read_dict_refuses_other_keys(value, found):
    """A dict of other keys, or no dict, is refused, naming what it holds."""
    assert read_dict({"b": 1, "a": 2}, "node", ("a", "b")) == {"b": 1, "a": 2}
    with pytest.raises(
        ModelFileError, match=rf"^node holds {found}; expected \['a', 'b'\]"
    ):
        read_dict(value, "node", ("a", "b"))


# -- Tensors ---------------------------------------------------------------------


def test_tensors_are_stored_detached_contiguous_under_new_prefixes():
    """Each model gets a prefix of its own; its tensors are stored plain."""
    tensors = Tensors()
    assert tensors.prefix() == "0/"
    weight = torch.ones(2, 3, requires_grad=True).t()
    tensors.add("0/", {"w": weight})
    assert tensors.prefix() == "1/"
    stored = tensors.tensors["0/w"]
    assert stored.is_contiguous() and not stored.requires_grad
    assert torch.equal(stored, weight.detach())


def test_take_gives_a_models_tensors_when_they_match():
    """take gives the tensors under the prefix, by their own names; then all
    are taken."""
    tensors = Tensors({"0/w": torch.zeros(2), "10/w": torch.ones(3)})
    taken = tensors.take("0/", {"w": ((2,), torch.float32)}, "module")
    assert list(taken) == ["w"]
    with pytest.raises(ModelFileError, match="the tensor '10/w' belongs to no model"):
        tensors.check_all_taken()
    tensors.take("10/", {"w": ((3,), torch.float32)}, "module")
    tensors.check_all_taken()


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"w": ((2,), torch.float32), "b": ((2,), torch.float32)}, "'b' is missing"),
        ({}, "'w' is not its own"),
        ({"w": ((3,), torch.float32)}, r"'w' is \(2,\) torch.float32; .* \(3,\) torch"),
        (
            {"w": ((2,), torch.float64)},
            r"'w' is \(2,\) torch.float32; the model needs \(2,\) torch.float64",
        ),
        (
            {"w": ((1, 2), torch.float32)},
            r"'w' is \(2,\) torch.float32; the model needs \(1, 2\)",
        ),
    ],
)
def test_take_refuses_tensors_other_than_the_spec(spec, message):
    """A missing, extra, other-shaped or other-typed tensor is refused, named."""
    tensors = Tensors({"0/w": torch.zeros(2)})
    with pytest.raises(ModelFileError, match="^module: the tensor " + message):
        tensors.take("0/", spec, "module")
    assert tensors.taken == set()
