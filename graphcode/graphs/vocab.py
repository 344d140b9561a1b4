"""Node-type vocabularies: stable integer ids for node types, saved per language.

``grammars/<lang>/node_types.txt`` lists one type per line as ``named<TAB>type`` or ``anon<TAB>type``.
Ids are fixed: 0 padding, 1 unknown, 2 ``ERROR``, 3 any ``MISSING`` node, then line *k* (0-based) of
the file has id ``k + 4``. Regenerating the file for a newer grammar only appends new types, so
ids saved with a model stay valid.

    python -m graphcode.graphs.vocab --update [LANG ...]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from graphcode.errors import ConfigError
from graphcode.graphs.languages import available_languages, get_spec, ts_language

PAD, UNK, ERROR, MISSING = 0, 1, 2, 3
SPECIALS = ("<pad>", "<unk>", "ERROR", "MISSING")
FILE = "node_types.txt"


@dataclass(frozen=True)
class NodeTypeVocab:
    """Type name (with its named flag) → id, for one language."""

    lang: str
    entries: tuple[tuple[bool, str], ...]

    @property
    def size(self) -> int:
        return len(SPECIALS) + len(self.entries)

    def __len__(self) -> int:
        return self.size

    @property
    def _index(self) -> dict[tuple[bool, str], int]:
        index = self.__dict__.get("_index_cache")
        if index is None:
            index = {e: i + len(SPECIALS) for i, e in enumerate(self.entries)}
            object.__setattr__(self, "_index_cache", index)
        return index

    def id(self, type_name: str, named: bool = True) -> int:
        if type_name == "ERROR":
            return ERROR
        if type_name.startswith("MISSING"):
            return MISSING
        return self._index.get((named, type_name), UNK)

    def ids(self, types: list[str], named: list[bool]) -> list[int]:
        index = self._index
        out = []
        for t, n in zip(types, named, strict=True):
            if t == "ERROR":
                out.append(ERROR)
            elif t.startswith("MISSING"):
                out.append(MISSING)
            else:
                out.append(index.get((n, t), UNK))
        return out

    def name(self, i: int) -> str:
        if i < len(SPECIALS):
            return SPECIALS[i]
        named, t = self.entries[i - len(SPECIALS)]
        return t if named else repr(t)


def _read(path: Path) -> list[tuple[bool, str]]:
    entries = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line:
            continue
        flag, sep, name = line.partition("\t")
        if not sep or flag not in ("named", "anon"):
            raise ConfigError(f"{path}:{lineno}: expected 'named<TAB>type' or 'anon<TAB>type', found {line!r}")
        entries.append((flag == "named", name.replace("\\n", "\n").replace("\\t", "\t")))
    return entries


@cache
def load_vocab(lang: str) -> NodeTypeVocab:
    spec = get_spec(lang)
    path = spec.folder / FILE
    if not path.is_file():
        raise ConfigError(f"{path}: expected the node-type vocabulary of {spec.name}, found no file "
                          f"(create it with: python -m graphcode.graphs.vocab --update {spec.name})")
    return NodeTypeVocab(spec.name, tuple(_read(path)))


def grammar_types(lang: str) -> list[tuple[bool, str]]:
    """Visible node types of the installed grammar, in symbol order, without duplicates."""
    language = ts_language(lang)
    seen: set[tuple[bool, str]] = set()
    out = []
    for i in range(language.node_kind_count):
        name = language.node_kind_for_id(i)
        if not name or not language.node_kind_is_visible(i) or name == "ERROR":
            continue
        key = (language.node_kind_is_named(i), name)
        if key not in seen:
            seen.add(key)
            out.append(key)
    return out


def update_vocab_file(lang: str) -> int:
    """Append the grammar's types missing from ``node_types.txt``; returns how many were added."""
    from graphcode.io import atomic_write

    spec = get_spec(lang)
    path = spec.folder / FILE
    entries = _read(path) if path.is_file() else []
    have = set(entries)
    new = [e for e in grammar_types(spec.name) if e not in have]
    if new or not path.is_file():
        lines = [("named" if n else "anon") + "\t" + t.replace("\n", "\\n").replace("\t", "\\t") for n, t in entries + new]
        atomic_write(path, "\n".join(lines) + "\n")
        load_vocab.cache_clear()
    return len(new)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graphcode.graphs.vocab", description=__doc__.split("\n")[0])
    parser.add_argument("--update", action="store_true", help="append new grammar types to node_types.txt")
    parser.add_argument("langs", nargs="*", help="languages (default: all)")
    args = parser.parse_args(argv)
    for lang in args.langs or available_languages():
        if args.update:
            print(f"{lang}: {update_vocab_file(lang)} types added")
        else:
            print(f"{lang}: {load_vocab(lang).size} ids")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
