"""Public classes and functions carry complete numpydoc docstrings."""

import inspect

import pytest
from numpydoc.validate import validate

import skvae
import skvae.callbacks
import skvae.datasets
import skvae.exceptions
import skvae.nn
import skvae.nn.conv
import skvae.nn.init
import skvae.nn.summary
import skvae.plotting

# skvae.nn's infrastructure submodules are public too, outside skvae.nn.__all__.
MODULES = (
    skvae,
    skvae.callbacks,
    skvae.datasets,
    skvae.exceptions,
    skvae.nn,
    skvae.nn.conv,
    skvae.nn.init,
    skvae.nn.summary,
    skvae.plotting,
)

# Checks we do not hold to, as in scikit-learn's own docstring test: summary
# layout (GL01, GL02, SS05), optional sections (ES01, SA01) and named returns (RT02),
# which scikit-learn's style uses ("self : object").
IGNORED = {"GL01", "GL02", "SS05", "ES01", "SA01", "RT02"}


def _public_names():
    """(qualified name, whether it is a method) of every public object."""
    for module in MODULES:
        for name in module.__all__:
            obj = getattr(module, name)
            qualified = f"{module.__name__}.{name}"
            yield qualified, False
            if inspect.isclass(obj):
                for attr in dir(obj):
                    member = getattr(obj, attr)
                    if not attr.startswith("_") and getattr(
                        member, "__module__", ""
                    ).startswith("skvae"):
                        yield f"{qualified}.{attr}", True


@pytest.mark.parametrize(("name", "is_method"), sorted(set(_public_names())))
def test_numpydoc_docstring(name, is_method):
    """The docstring passes numpydoc's validation; top-level objects have Examples."""
    errors = [
        f"{code}: {message}"
        for code, message in validate(name)["errors"]
        if code not in IGNORED and not (code == "EX01" and is_method)
    ]
    assert not errors, "\n".join(errors)
