"""The documentation site builds with no warnings, its examples executed."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_docstrings import MODULES

ROOT = Path(__file__).resolve().parent.parent
# Sphinx writes generated pages into its source folder: build a copy.
BUILT_IN_SOURCE = shutil.ignore_patterns(
    "_build", "generated", "auto_examples", "sg_execution_times.rst"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built from a copy of docs/ and examples/, and sphinx's output."""
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(ROOT / "docs", root / "docs", ignore=BUILT_IN_SOURCE)
    shutil.copytree(ROOT / "examples", root / "examples")
    html = root / "html"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("SKVAE_DOCS_INTERSPHINX", None)
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html"]
        + [str(root / "docs"), str(html)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    return html, result


def test_build_has_no_warnings(site):
    """sphinx -W (warnings are errors) builds the site, gallery included."""
    html, result = site
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert (html / "index.html").is_file()


def _public_objects():
    """Each public object's names: skvae.nn re-exports skvae.nn.conv's classes."""
    names = {}
    for module in MODULES:
        for name in module.__all__:
            obj = getattr(module, name)
            names.setdefault(id(obj), []).append(f"{module.__name__}.{name}")
    return sorted(names.values())


@pytest.mark.parametrize("names", _public_objects(), ids=lambda names: names[0])
def test_public_object_has_a_page(site, names):
    """Every public class and function has an API page under one of its names."""
    html, _ = site
    pages = [html / "generated" / f"{name}.html" for name in names]
    assert any(page.is_file() for page in pages), names


def test_gallery_examples_ran_with_figures(site):
    """Each examples/plot_*.py became a page with at least one figure of its own."""
    html, _ = site
    scripts = sorted(path.stem for path in (ROOT / "examples").glob("plot_*.py"))
    assert len(scripts) >= 8, scripts
    for stem in scripts:
        page = (html / "auto_examples" / f"{stem}.html").read_text()
        assert f"sphx_glr_{stem}_001.png" in page, stem


def test_api_pages_link_their_examples(site):
    """An API page lists the gallery examples that use its object."""
    html, _ = site
    page = (html / "generated" / "skvae.VAETransformer.html").read_text()
    assert "Examples using" in page
    assert "sphx_glr_plot_latent_space_thumb.png" in page
