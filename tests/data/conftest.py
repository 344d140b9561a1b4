"""Fixtures of real code: a few standard-library modules copied into a temporary tree.

The tree also holds an exact copy of one module under another name (a duplicate that must not reach
two splits), a near copy of another (indentation and one line changed) and two files that cannot be read as
source (binary, not UTF-8), which mining must report and skip.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from graphcode.data.mine import stdlib_path

MODULES = ("textwrap.py", "shlex.py", "fnmatch.py", "heapq.py", "bisect.py", "colorsys.py", "base64.py",
           "json/decoder.py", "json/encoder.py", "json/__init__.py", "json/scanner.py")


def build_tree(root: Path) -> Path:
    stdlib = stdlib_path()
    for rel in MODULES:
        target = root / "lib" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(stdlib / rel, target)
    vendored = root / "lib" / "vendored"
    vendored.mkdir()
    shutil.copyfile(stdlib / "textwrap.py", vendored / "textwrap_copy.py")
    near = (stdlib / "heapq.py").read_text(encoding="utf-8")
    near = near.replace("    ", "  ").replace("h_append = h.append", "h_append = h.append  # bound once")
    (vendored / "heapq_near.py").write_text(near, encoding="utf-8")
    (root / "lib" / "broken_binary.py").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(16)) * 4)  # an object file
    (root / "lib" / "broken_latin1.py").write_bytes('def f():\n    """Caf\u00e9."""\n    return 1\n'.encode("latin-1"))
    return root / "lib"


@pytest.fixture(scope="session")
def stdlib_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tree of real Python modules (read-only by convention)."""
    return build_tree(tmp_path_factory.mktemp("tree"))


def train_tiny_tokenizer(vocab_size: int = 400):
    """A byte-level BPE trained on a few real modules (fast: well under a second)."""
    from graphcode.data.tokenizer import TokenizerConfig, train_tokenizer

    stdlib = stdlib_path()
    texts = [(stdlib / rel).read_text(encoding="utf-8") for rel in ("textwrap.py", "shlex.py", "heapq.py")]
    return train_tokenizer(texts, TokenizerConfig(vocab_size=vocab_size, min_frequency=2))


@pytest.fixture(scope="session")
def tiny_tokenizer():
    return train_tiny_tokenizer()
