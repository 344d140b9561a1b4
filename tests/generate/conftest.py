from __future__ import annotations

import pytest
import torch

from .tiny import make_tokenizer


@pytest.fixture(scope="session")
def tokenizer():
    return make_tokenizer()


@pytest.fixture
def one_thread():
    """Tiny models run faster on one thread, and other jobs may share the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
