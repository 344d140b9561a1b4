"""Node-to-token alignment by byte offsets.

A Hugging Face fast tokenizer reports each token's span in *characters* of the text it was given; a
:class:`CodeGraph` spans nodes in *bytes* of UTF-8 source. :func:`char_to_byte_offsets` converts, and
:func:`align_leaves` pairs every leaf node with every token whose span overlaps it. The pairs are what
a model uses to add node states into token states, or to pool token embeddings into node features.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence


def char_to_byte_offsets(text: str) -> list[int] | None:
    """``offsets[c]`` = byte offset of character ``c`` (with one entry past the end), or None for ASCII."""
    if text.isascii():
        return None
    out = [0] * (len(text) + 1)
    pos = 0
    for i, ch in enumerate(text):
        out[i] = pos
        pos += len(ch.encode("utf-8"))
    out[len(text)] = pos
    return out


def token_byte_spans(char_spans: Sequence[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Token spans in characters (a tokenizer's ``offset_mapping``) → spans in bytes."""
    table = char_to_byte_offsets(text)
    if table is None:
        return [(int(s), int(e)) for s, e in char_spans]
    return [(table[s], table[e]) for s, e in char_spans]


def align_leaves(leaf_ids: Sequence[int], starts: Sequence[int], ends: Sequence[int],
                 token_spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """``(node, token)`` pairs where the leaf's byte span overlaps the token's byte span.

    Tokens with an empty span (special tokens) align with nothing. Tokens must be in source order,
    as tokenizers give them. Runs in O((leaves + tokens) log tokens).
    """
    tok_starts = []
    tok_ends = []
    tok_ids = []
    for j, (s, e) in enumerate(token_spans):
        if e > s:
            tok_starts.append(s)
            tok_ends.append(e)
            tok_ids.append(j)
    pairs: list[tuple[int, int]] = []
    for i in leaf_ids:
        s, e = starts[i], ends[i]
        if e <= s:
            continue
        # first token that ends after the leaf starts
        k = bisect.bisect_right(tok_ends, s)
        while k < len(tok_starts) and tok_starts[k] < e:
            if tok_ends[k] > s:
                pairs.append((i, tok_ids[k]))
            k += 1
    return pairs
