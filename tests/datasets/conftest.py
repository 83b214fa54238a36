"""Keeps the dataset tests offline; the IDX writers are in tests/conftest.py."""

import pytest

from skvae.datasets import _remote


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """Make any download attempt fail the test instead of reaching the network."""

    def refuse(url, timeout=None):
        raise AssertionError(f"a test tried to download {url}")

    monkeypatch.setattr(_remote, "_urlopen", refuse)
