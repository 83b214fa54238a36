"""Test-suite settings shared by every test module."""

import pytest
import torch


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """Run torch on one thread: the tests' tiny models gain nothing from more, and
    on a shared 2-core host thread hand-offs make them many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
