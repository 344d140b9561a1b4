"""A decoder cache for beam search over a static encoder memory.

In beam search, Hugging Face's ``generate`` reorders the whole cache after every step, so that each row holds
the states of the beam it now continues. An encoder-decoder's cache has two parts: the decoder's self-attention
keys and values, which do differ between beams, and the cross-attention keys and values, computed once from the
encoder memory (tokens, and graph nodes with the memory fusion). The beams of one prompt start from copies of the
same memory, and beam search only ever moves a beam within its own prompt's block of rows, so the cross-attention
part is the same after the reorder as before it. Copying it anyway costs
``layers × 2 × (B · beams) × heads × T' × d`` values a step: on a CPU, most of beam search's time.

:class:`StaticMemoryCache` reorders the self-attention part only. :meth:`GraphCodeModel.generate
<graphcode.models.model.GraphCodeModel.generate>` passes one to every encoder-decoder beam search that brings no
cache of its own; the outputs are the same tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from transformers import DynamicCache, EncoderDecoderCache


class StaticMemoryCache(EncoderDecoderCache):
    """An :class:`~transformers.EncoderDecoderCache` whose cross-attention part is not reordered between beams.

    Other per-row decoding state (the copy head's coverage) follows the beams through :attr:`on_reorder`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_reorder: list[Callable[[torch.LongTensor], None]] = []
        """Called with ``beam_idx`` after each reorder."""

    def reorder_cache(self, beam_idx: torch.LongTensor) -> None:
        """Reorder the self-attention cache for beam search; ``beam_idx`` ``(B * beams,)`` maps each row to a
        row of the same prompt, whose cross-attention states are equal."""
        self.self_attention_cache.reorder_cache(beam_idx)
        for follow in self.on_reorder:
            follow(beam_idx)


def reorders_a_cache(backbone: Any, generate_kwargs: dict[str, Any]) -> bool:
    """Whether ``generate`` with ``generate_kwargs`` (over the backbone's generation config) runs beam search with a
    decoding cache, the search that reorders rows between beams after every step."""
    config = getattr(backbone, "generation_config", None)
    beams = generate_kwargs.get("num_beams", getattr(config, "num_beams", 1)) or 1
    return beams > 1 and bool(generate_kwargs.get("use_cache", getattr(config, "use_cache", True)))


def beam_search_cache(backbone: Any, generate_kwargs: dict[str, Any]) -> StaticMemoryCache | None:
    """A fresh :class:`StaticMemoryCache` for an encoder-decoder ``backbone`` about to run beam search with
    ``generate_kwargs``, or ``None`` where it does not apply (no beams, a cache given, caching off)."""
    if not reorders_a_cache(backbone, generate_kwargs) or generate_kwargs.get("past_key_values") is not None:
        return None
    config = getattr(backbone, "generation_config", None)
    if generate_kwargs.get("cache_implementation", getattr(config, "cache_implementation", None)) not in (None, "dynamic"):
        return None
    decoder_config = backbone.config.get_text_config(decoder=True)
    return StaticMemoryCache(DynamicCache(config=decoder_config), DynamicCache(config=decoder_config))
