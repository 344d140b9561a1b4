"""Is a piece of code a viable prefix? Incremental tree-sitter parsing with a proof of unrepairable errors.

A prefix of valid code usually parses with ``ERROR`` and ``MISSING`` nodes simply because it stops
early: ``def f(x`` is broken now and fine after ``):\\n    pass``. So "the tree has an error" says
nothing about whether some continuation can repair it. :class:`PrefixChecker` answers the question
that matters for decoding with three verdicts (:class:`Viability`):

- ``VALID``: the text parses without any error node: it is a whole program as it stands;
- ``DEAD``: *proven*: for every continuation ``C``, tree-sitter's parse of ``text + C`` has an error;
- ``OPEN``: anything else: errors that may be due to the text ending where it does.

The proof of ``DEAD``
---------------------
tree-sitter's parser is deterministic: what it does depends only on the bytes its lexer has read.
:meth:`PrefixChecker.prove_dead` parses the text afresh, serving the bytes through a read callback
that notes when the lexer first asks for the byte at the end of the text (it saw "end of input", or
needed to know what follows the last byte), and a logger that notes error events: all live stack
versions failing on a lookahead (``resume version``, which tree-sitter logs only when no unpaused
version is left: a paused version ranks below any live one, which removes it) or, while a single
stack version is live, a character no token can start with (``skip_unrecognized_character``).
If an error event comes before the lexer first reads the end, the parser reached it using bytes of
the text alone, so it does exactly the same on ``text + C`` for any ``C``; from then on every stack
version carries an error node, so the finished tree has one and :func:`graphcode.check.check_syntax`
reports it. Hence ``DEAD`` is never said of a prefix that some continuation makes tree-sitter-valid.
(A language's own compiler check, such as Python's ``compile()``, is not part of the proof; decoding
checks it where the text ends.)

Every other case is ``OPEN``: the first error came after the lexer looked at the end, for example
``def f(x))`` (to lex the last ``)`` the lexer looks at what follows it) or ``x = 1.e`` (``1.e5`` is
a float). One more byte usually settles it: ``def f(x)) :`` is ``DEAD``. So a wrong token is
usually caught one token late.

Cost
----
tree-sitter's logger is slow (a Python call per parse action), so it is switched on only when the
lexer first reaches a byte where the text differs from its parent text (the text is served in two
chunks and the logger set when the second is read). Before that byte the parse is the parent's, which
had no error event before its own end (the parent is ``OPEN`` or ``VALID``), so nothing is missed;
and an error event before the switch would anyway have come before the end was read, so any switch
point is sound. Each check is then one parse, incremental on the parent's tree (``Tree.edit`` +
``old_tree``), that yields both the tree (no error: ``VALID``) and the proof, with a logger running
over the new bytes only. A ``DEAD`` text stays ``DEAD`` under appending, without parsing.

``incremental=False`` parses every text afresh, where the argument above is literally about the
parse :func:`graphcode.check.check_syntax` runs; the incremental parse relies on tree-sitter's design
that an incremental parse equals a fresh one (the tests check that the verdicts agree).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import tree_sitter as ts

from graphcode.graphs.languages import get_spec, ts_language

_RESUME = "resume version"
_UNRECOGNIZED = "skip_unrecognized"
_PROCESS = "process version:"


class Viability(StrEnum):
    """What can become of a prefix. See the module docstring for the precise meaning of each."""

    VALID = "valid"
    """It parses without an error node as it stands."""
    OPEN = "open"
    """It has errors, but no proof that every continuation keeps one."""
    DEAD = "dead"
    """Proven: every continuation parses with an error."""


@dataclass(frozen=True)
class PrefixState:
    """One checked text: its bytes, its tree (for incremental parsing of extensions) and the verdict."""

    source: bytes
    tree: ts.Tree | None
    viability: Viability


def end_point(source: bytes, offset: int | None = None) -> tuple[int, int]:
    """The tree-sitter point (row, byte column) of ``offset`` (default: the end) in ``source``."""
    offset = len(source) if offset is None else offset
    row = source.count(b"\n", 0, offset)
    return row, offset - (source.rfind(b"\n", 0, offset) + 1)


class _Proof:
    """A fresh parse that says whether an error event precedes the lexer reading the end of the text.

    The callbacks run inside tree-sitter's C code: they must never raise.
    """

    def __init__(self, language: ts.Language) -> None:
        self.parser = ts.Parser(language)
        self.source = b""
        self.switch = 0
        self.logging = False
        self.end_seen = False
        self.dead = False
        self.versions = 0  # live stack versions, from the last "process version" line; 0: not seen

    def _read(self, offset: int, _point: object) -> bytes | None:
        if offset >= len(self.source):
            self.end_seen = True
            return None
        if offset < self.switch and not self.logging:
            return self.source[offset : self.switch]
        if not self.logging:
            self.logging = True
            self.parser.logger = self._log
        return self.source[offset:]

    def _log(self, _kind: object, message: str) -> None:
        if self.end_seen or self.dead:
            return
        if message.startswith(_PROCESS):
            # "process version:0, version_count:1, state:..., row:..., col:..."
            count = message.split(", ", 2)[1]
            self.versions = int(count[len("version_count:") :]) if count.startswith("version_count:") else 0
        elif message.startswith(_RESUME) or (message.startswith(_UNRECOGNIZED) and self.versions == 1):
            self.dead = True

    def __call__(self, source: bytes, switch: int = 0, old_tree: ts.Tree | None = None) -> tuple[ts.Tree, bool]:
        """Parse ``source`` with the logger on from byte ``switch``; returns the tree and whether it is dead."""
        self.source, self.switch = source, max(0, min(switch, len(source)))
        self.logging = self.end_seen = self.dead = False
        self.versions = 0
        if self.switch == 0:
            self.logging = True
            self.parser.logger = self._log
        try:
            if old_tree is None:
                tree = self.parser.parse(self._read)
            else:
                tree = self.parser.parse(self._read, old_tree)
        finally:
            del self.parser.logger
            self.source = b""
        return tree, self.dead


class PrefixChecker:
    """Checks texts in one language as viable prefixes, reusing the parent text's tree.

    Args:
        lang: A language name or alias that graphcode knows (``python``, ``js``, ...).
        incremental: Parse an extension by editing its parent's tree (``Tree.edit`` + ``old_tree``).
            (default: :obj:`True`)

    Not thread-safe: it owns its tree-sitter parsers.
    """

    def __init__(self, lang: str, *, incremental: bool = True) -> None:
        self.lang = get_spec(lang).name
        self.incremental = incremental
        self._proof = _Proof(ts_language(self.lang))
        self.num_parses = 0
        """Parses run, for benchmarks and tests."""

    def check(self, source: bytes, parent: PrefixState | None = None) -> PrefixState:
        """The verdict on ``source``; ``parent`` (the state of an earlier text) makes it cheaper."""
        if parent is None or (parent.viability is Viability.DEAD and not source.startswith(parent.source)):
            tree, dead = self._parse(source, 0, None)
        elif parent.viability is Viability.DEAD:
            return PrefixState(source, None, Viability.DEAD)
        elif source == parent.source:
            return parent
        else:
            start = _common_prefix(parent.source, source)
            old = None
            if self.incremental and parent.tree is not None:
                old = parent.tree.copy()
                old.edit(
                    start_byte=start,
                    old_end_byte=len(parent.source),
                    new_end_byte=len(source),
                    start_point=end_point(parent.source, start),
                    old_end_point=end_point(parent.source),
                    new_end_point=end_point(source),
                )
            tree, dead = self._parse(source, start, old)
        if not tree.root_node.has_error:
            return PrefixState(source, tree, Viability.VALID)
        return PrefixState(source, tree, Viability.DEAD if dead else Viability.OPEN)

    def prove_dead(self, source: bytes, log_from: int = 0) -> bool:
        """Whether every continuation of ``source`` parses with an error (the proof in the module docstring).

        ``log_from`` is the byte where the logger is switched on: any value is sound; a later one is
        faster and may miss an error event before it.
        """
        return self._parse(source, log_from, None)[1]

    def _parse(self, source: bytes, switch: int, old_tree: ts.Tree | None) -> tuple[ts.Tree, bool]:
        self.num_parses += 1
        return self._proof(source, switch, old_tree)


def _common_prefix(a: bytes, b: bytes) -> int:
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    low, high = 0, n  # a[:low] == b[:low], a[:high] != b[:high]
    while high - low > 1:
        mid = (low + high) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid
    return low
