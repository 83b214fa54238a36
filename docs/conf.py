"""Sphinx configuration of skvae's documentation site.

Build it offline, warnings as errors, from the repository root::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Set ``SKVAE_DOCS_INTERSPHINX=1`` to link scikit-learn, PyTorch, skorch, NumPy and
matplotlib names to their sites (needs the network); offline they render as code.
"""

import os
import re
import warnings

import torch
from numpydoc.xref import DEFAULT_LINKS

import skvae

project = "skvae"
author = "the skvae developers"
copyright = "2026, the skvae developers"
version = release = skvae.__version__

extensions = [
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
    "sphinx-mathjax-offline",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "images/README*", "**/*.md5", "auto_examples/*.ipynb"]
root_doc = "index"
default_role = "literal"

# API reference: one page per public object, its methods and examples on it.
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
numpydoc_show_class_members = True
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# Type lines are parsed, so "(n_features_in_,)" is text, not a reST reference.
numpydoc_xref_param_type = True
numpydoc_xref_ignore = "all"

# Offline by default: the build must work without the network. numpydoc's own
# links of "bool", "array-like"... point into Python's and NumPy's sites, so
# offline they are plain names.
intersphinx_mapping = {}
numpydoc_xref_aliases = {name: name for name in DEFAULT_LINKS}
if os.environ.get("SKVAE_DOCS_INTERSPHINX") == "1":
    numpydoc_xref_aliases = {}
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "torch": ("https://docs.pytorch.org/docs/stable", None),
        "skorch": ("https://skorch.readthedocs.io/en/stable", None),
        "matplotlib": ("https://matplotlib.org/stable", None),
    }

# The gallery: every examples/plot_*.py runs at build time; an error stops it.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "abort_on_example_error": True,
    "doc_module": ("skvae",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"skvae": None},
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "min_reported_time": 1,
    # A cell ending in ax.set_title(...) would print the Text object.
    "ignore_repr_types": r"matplotlib[text, axes]",
}
# The examples run in this process, one after another, with the non-interactive
# backend and one torch thread: small models gain little from a second thread,
# and with anything else running on the machine two threads slow them many-fold.
os.environ.setdefault("MPLBACKEND", "Agg")
torch.set_num_threads(1)
warnings.filterwarnings("ignore", message="Matplotlib is currently using agg")

html_theme = "pydata_sphinx_theme"
html_title = f"skvae {release}"
html_static_path = []
html_theme_options = {
    "navbar_end": ["navbar-icon-links"],
    "show_prev_next": False,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_context = {"default_mode": "light"}
html_show_sourcelink = False

# scikit-learn's inherited methods whose docstrings stand alone; the others
# (set_output, metadata requests) point to pages of scikit-learn's own site.
INHERITED = {"fit_predict", "fit_transform", "get_params", "set_params"}


def skip_foreign_member(app, what, name, obj, skip, options):
    """Document skvae's own members, and scikit-learn's basic estimator API.

    Torch modules and skorch callbacks would otherwise list every method of
    ``torch.nn.Module`` and ``skorch.callbacks.Callback``.
    """
    module = getattr(obj, "__module__", None) or ""
    if skip or module.startswith("skvae") or not callable(obj):
        return skip
    return name not in INHERITED


# A type line names fitted attributes in shapes, "(n_features_in_,)", as
# scikit-learn's do; reST would read the trailing underscore as a link.
TYPE_LINE = re.compile(r"^(\s*(?:\*\*[^*]+\*\*|:obj:`[^`]+`) : )(.*)$")
ATTRIBUTE_NAME = re.compile(r"\b(\w+)_(?=[,)])")


def escape_type_lines(app, what, name, obj, options, lines):
    """Escape the trailing underscores of names in numpydoc's type lines."""
    for i, line in enumerate(lines):
        match = TYPE_LINE.match(line)
        if match:
            head, types = match.groups()
            lines[i] = head + ATTRIBUTE_NAME.sub(r"\1\\_", types)


def setup(app):
    app.connect("autodoc-skip-member", skip_foreign_member)
    # After numpydoc (priority 500) has turned the sections into reST.
    app.connect("autodoc-process-docstring", escape_type_lines, priority=900)
