"""The language registry: one folder in ``grammars/`` per language, read by one engine.

A language folder holds:

- ``language.toml``: the grammar wheel to load, file extensions, aliases and the name-binding rule;
- ``node_types.txt``: the saved node-type vocabulary (stable ids for models);
- ``locals.scm`` and ``dataflow.scm`` (optional): tree-sitter queries for scopes, definitions,
  references and control flow. A language without them still parses and exports AST and token
  edges; data-flow edges need them.

Adding a language is adding a folder and installing its grammar wheel: no Python changes.
"""

from __future__ import annotations

import importlib
import os
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import tree_sitter as ts

from graphcode.errors import ConfigError, UnknownLanguageError

_BINDINGS = ("scope", "declaration")
_INHERITS = re.compile(r"^;+\s*inherits\s*:\s*(.+?)\s*$")


def grammars_dir() -> Path:
    """Where the language folders live.

    ``$GRAPHCODE_GRAMMARS`` wins; then ``grammars/`` beside the package (a source checkout or an
    editable install); then the copy shipped inside the wheel as ``graphcode/grammars``.
    """
    env = os.environ.get("GRAPHCODE_GRAMMARS")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "grammars", here / "grammars"):
        if (candidate / "python" / "language.toml").is_file():
            return candidate
    raise ConfigError(
        f"graphcode's grammars folder: expected {here.parent / 'grammars'} or {here / 'grammars'} "
        "with one folder per language, found neither; set GRAPHCODE_GRAMMARS to its path"
    )


@dataclass(frozen=True)
class LanguageSpec:
    """One language as described by ``grammars/<name>/language.toml``."""

    name: str
    """Canonical name, the folder's name (``python``, ``c_sharp``)."""
    module: str
    """Python module of the official grammar wheel (``tree_sitter_python``)."""
    function: str
    """Function of that module that returns the language pointer (``language``)."""
    folder: Path
    extensions: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    binding: str = "declaration"
    """``scope``: a name bound anywhere in a scope is local to all of it; ``declaration``: from its
    declaration onwards."""
    compiler_check: str | None = None
    """An extra check by the language's own compiler, run by ``check_syntax`` (``python``)."""
    source_encoding: str | None = None
    """``pep263``: a source file may declare another encoding in a comment on its first two lines."""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def query_text(self, name: str, _seen: tuple[str, ...] = ()) -> str | None:
        """The text of ``<folder>/<name>.scm``, or None when the language has no such query.

        A first line ``; inherits: javascript`` (nvim-treesitter's modeline; several names may be
        comma-separated) puts those languages' queries of the same name first.
        """
        path = self.folder / f"{name}.scm"
        if not path.is_file():
            return None
        text = path.read_text(encoding="utf-8")
        first = text.split("\n", 1)[0]
        m = _INHERITS.match(first)
        if not m:
            return text
        parts = []
        for base in (b.strip() for b in m.group(1).split(",") if b.strip()):
            if base in _seen or base == self.name:
                raise ConfigError(f"{path}: expected 'inherits' without cycles, found {' -> '.join((*_seen, self.name, base))}")
            inherited = get_spec(base).query_text(name, (*_seen, self.name))
            if inherited is None:
                raise ConfigError(f"{path}: inherits {base!r}, expected {base}/{name}.scm to exist, found none")
            parts.append(inherited)
        return "\n".join([*parts, text])

    @property
    def has_dataflow(self) -> bool:
        return (self.folder / "locals.scm").is_file() and (self.folder / "dataflow.scm").is_file()


def _load_spec(folder: Path) -> LanguageSpec:
    path = folder / "language.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: expected a readable TOML language description, found: {err}") from err
    for key in ("name", "module", "function"):
        if not isinstance(raw.get(key), str):
            raise ConfigError(f"{path}: expected a string field {key!r}, found {raw.get(key)!r}")
    if raw["name"] != folder.name:
        raise ConfigError(f"{path}: expected name = {folder.name!r} (the folder's name), found {raw['name']!r}")
    binding = raw.get("binding", "declaration")
    if binding not in _BINDINGS:
        raise ConfigError(f"{path}: expected binding to be one of {_BINDINGS}, found {binding!r}")
    known = {"name", "module", "function", "extensions", "aliases", "binding", "compiler_check", "source_encoding"}
    return LanguageSpec(
        name=raw["name"],
        module=raw["module"],
        function=raw["function"],
        folder=folder,
        extensions=tuple(e.lower() for e in raw.get("extensions", ())),
        aliases=tuple(a.lower() for a in raw.get("aliases", ())),
        binding=binding,
        compiler_check=raw.get("compiler_check"),
        source_encoding=raw.get("source_encoding"),
        extra={k: v for k, v in raw.items() if k not in known},
    )


@cache
def _registry() -> tuple[dict[str, LanguageSpec], dict[str, str], dict[str, str]]:
    specs: dict[str, LanguageSpec] = {}
    by_alias: dict[str, str] = {}
    by_ext: dict[str, str] = {}
    root = grammars_dir()
    for folder in sorted(p for p in root.iterdir() if (p / "language.toml").is_file()):
        spec = _load_spec(folder)
        specs[spec.name] = spec
        for alias in (spec.name, *spec.aliases):
            by_alias[alias] = spec.name
        for ext in spec.extensions:
            by_ext[ext] = spec.name
    return specs, by_alias, by_ext


def available_languages() -> list[str]:
    """Canonical names of every language in ``grammars/``."""
    return sorted(_registry()[0])


def get_spec(lang: str) -> LanguageSpec:
    """The spec of ``lang`` (a canonical name or an alias, any case)."""
    specs, by_alias, _ = _registry()
    name = by_alias.get(lang.lower()) if isinstance(lang, str) else None
    if name is None:
        raise UnknownLanguageError(
            f"language {lang!r}: expected one of {', '.join(sorted(specs))} (or an alias such as 'py', 'js'), "
            f"found no grammar folder or alias of that name"
        )
    return specs[name]


def language_for_path(path: str | os.PathLike[str]) -> str:
    """The language of a file, from its extension."""
    p = Path(path)
    _, _, by_ext = _registry()
    name = by_ext.get(p.suffix.lower())
    if name is None:
        known = ", ".join(sorted(by_ext))
        raise UnknownLanguageError(
            f"{p}: expected a file extension graphcode knows ({known}), found {p.suffix or 'no extension'!r}; "
            "pass --lang to choose the language"
        )
    return name


def extensions() -> dict[str, str]:
    """Every known extension and its language."""
    return dict(_registry()[2])


@cache
def ts_language(lang: str) -> ts.Language:
    """The tree-sitter ``Language`` of ``lang``, loaded from its grammar wheel."""
    return ts.Language(language_capsule(lang))


def language_capsule(lang: str) -> object:
    """The grammar wheel's ``language()``: a PyCapsule holding tree-sitter's ``TSLanguage *``."""
    spec = get_spec(lang)
    try:
        module = importlib.import_module(spec.module)
    except ImportError as err:
        raise UnknownLanguageError(
            f"language {spec.name!r}: expected the grammar package {spec.module!r} to be installed "
            f"(pip install {spec.module.replace('_', '-')}), found: {err}"
        ) from err
    fn = getattr(module, spec.function, None)
    if fn is None:
        raise ConfigError(
            f"{spec.folder / 'language.toml'}: expected {spec.module}.{spec.function}() to exist, found no such function"
        )
    return fn()


@dataclass(frozen=True)
class KindTable:
    """Per-language tables indexed by tree-sitter's kind id, read once so the walk stays cheap."""

    names: tuple[str, ...]
    named: tuple[bool, ...]


@cache
def kind_table(lang: str) -> KindTable:
    language = ts_language(lang)
    count = language.node_kind_count
    names = [language.node_kind_for_id(i) or "" for i in range(count)]
    named = [language.node_kind_is_named(i) for i in range(count)]
    # The ERROR kind id is 65535 (tree-sitter's builtin error symbol): pad the tables to reach it, so
    # that every kind id indexes them directly.
    pad = 65536 - count
    return KindTable(names=(*names, *(["ERROR"] * pad)), named=(*named, *([True] * pad)))


@cache
def parser_for(lang: str) -> ts.Parser:
    """A parser for ``lang``; one per process and language (parsers are not thread-safe)."""
    return ts.Parser(ts_language(lang))
