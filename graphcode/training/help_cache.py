"""A cache of what ``graphcode fit|validate|test|predict --help`` and ``--print_config`` print.

Those commands only describe: they build LightningCLI's parser from the signatures of the Trainer, the model and
the data module, print, and exit. Building it means importing Lightning, torch and transformers, about 2.5 s of the
3.8 s such a command takes on a 2-core machine (``python -X importtime``: ``lightning.fabric`` alone is 2.4 s, most
of it torch's ``_dynamo`` and torchmetrics), and graphcode cannot defer imports that Lightning makes. What it can do
is not rebuild the same text twice: the first run prints and stores its output; a later run with the same inputs
prints the stored text without importing any of them (about 0.1 s).

The key covers everything the text depends on:

- the command line (after the default config is added), and the working folder (relative paths);
- the bytes of every file the command line names (``-c a.yaml``, ``--model=m.yaml``), and of the YAML/JSON files
  those name in turn;
- graphcode's sources (name, size and modification time of every ``.py`` file of the package) and the installed
  versions of Lightning, jsonargparse, torch, transformers and torch-geometric;
- the terminal's width (help is wrapped to it) and the ``JSONARGPARSE_*``, ``PL_*`` and ``LIGHTNING_*``
  environment variables.

Only output of a run that exited 0 is stored, one JSON file per key, written atomically into
``$GRAPHCODE_CACHE_DIR/cli`` (default ``~/.cache/graphcode/cli``), at most :data:`KEEP` of them.
``GRAPHCODE_CLI_CACHE=0`` turns it off. This module imports only the standard library.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

DESCRIBING = ("-h", "--help", "--print_config")
"""Options after which a Lightning subcommand only prints (``--print_config=skip_null`` counts too)."""
VERSIONED = ("lightning", "jsonargparse", "torch", "transformers", "torch-geometric")
KEEP = 64
"""The most entries kept; the oldest go first."""
_PACKAGE = Path(__file__).resolve().parents[1]
_FILE_VALUE = re.compile(r"""[\w./~-]+\.(?:ya?ml|json)\b""")


def default_config() -> Path | None:
    """``configs/tiny.yaml`` of the source checkout, or ``None`` in an installed package."""
    path = _PACKAGE.parent / "configs" / "tiny.yaml"
    return path if path.is_file() else None


def has_config(args: Sequence[str]) -> bool:
    return any(a in ("-c", "--config") or a.startswith("--config=") for a in args)


def describes(args: Sequence[str]) -> bool:
    """True when a Lightning subcommand's arguments ask only for help or the config."""
    return any(a in DESCRIBING or a.startswith("--print_config=") for a in args)


def cache_dir() -> Path:
    base = os.environ.get("GRAPHCODE_CACHE_DIR") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "graphcode")
    return Path(base) / "cli"


def _files_named(args: Sequence[str]) -> list[Path]:
    """The existing files the command line names, and the YAML/JSON files those name (one level), in order."""
    named: list[Path] = []
    for arg in args:
        value = arg.split("=", 1)[1] if arg.startswith("-") and "=" in arg else arg
        path = Path(value).expanduser()
        if value and path.is_file():
            named.append(path)
    nested: list[Path] = []
    for path in named:
        if path.suffix.lower() in (".yaml", ".yml", ".json"):
            for match in _FILE_VALUE.findall(path.read_text(encoding="utf-8", errors="replace")):
                for candidate in (Path(match).expanduser(), path.parent / match):
                    if candidate.is_file():
                        nested.append(candidate)
    return named + nested


def key(argv: Sequence[str]) -> str:
    """The cache key of a describing command line (see the module docstring for what it covers)."""
    h = hashlib.sha256()

    def add(*parts: object) -> None:
        for part in parts:
            h.update(repr(part).encode("utf-8", "surrogateescape"))
            h.update(b"\0")

    add("argv", tuple(argv), "cwd", os.getcwd())
    for path in _files_named(argv):
        add("file", str(path), path.read_bytes())
    for source in sorted(_PACKAGE.rglob("*.py")):
        st = source.stat()
        add(str(source.relative_to(_PACKAGE)), st.st_size, st.st_mtime_ns)
    for dist in VERSIONED:
        try:
            add(dist, importlib.metadata.version(dist))
        except importlib.metadata.PackageNotFoundError:
            add(dist, None)
    add("columns", shutil.get_terminal_size().columns)
    add("env", sorted((k, v) for k, v in os.environ.items() if k.startswith(("JSONARGPARSE_", "PL_", "LIGHTNING_"))))
    return h.hexdigest()


class _Tee(io.TextIOBase):
    """Writes to the real stream and keeps a copy."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.copy = io.StringIO()

    def write(self, text: str) -> int:
        self.copy.write(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", "utf-8")


def run_cached(argv: Sequence[str], run: Callable[[], int]) -> int:
    """Print the stored output of ``argv`` and return its exit code; else ``run()`` with standard output copied,
    and store the copy when it returns 0. With ``GRAPHCODE_CLI_CACHE=0``, just ``run()``."""
    if os.environ.get("GRAPHCODE_CLI_CACHE", "1") == "0":
        return run()
    folder = cache_dir()
    entry = folder / f"{key(argv)}.json"
    try:
        stored = json.loads(entry.read_text(encoding="utf-8"))
        sys.stdout.write(stored["stdout"])
        return int(stored["code"])
    except (OSError, ValueError, KeyError, TypeError):
        pass  # none yet, or unreadable: build it
    real = sys.stdout
    tee = _Tee(real)
    sys.stdout = tee
    try:
        code = run()
    finally:
        sys.stdout = real
    if code == 0:
        _store(folder, entry, {"argv": list(argv), "code": code, "stdout": tee.copy.getvalue()})
    return code


def _store(folder: Path, entry: Path, record: dict) -> None:
    """Write ``record`` to ``entry`` atomically and keep the :data:`KEEP` newest; a cache that cannot be written
    is skipped (the command already printed its output)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".entry-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(record, out)
        os.replace(tmp, entry)
        entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        return
