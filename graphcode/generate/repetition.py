"""Repetition controls, Hugging Face's ``no_repeat_ngram_size`` and ``repetition_penalty``: checked and handed to
``generate`` the same way by ``graphcode generate`` (:class:`graphcode.generate.decoding.DecodingConfig`) and by a
training config's ``model.generation`` and ``model.task_metrics``."""

from __future__ import annotations

from typing import Any

from graphcode.errors import ConfigError


def check_repetition(no_repeat_ngram_size: Any, repetition_penalty: Any, ngram_name: str, penalty_name: str) -> None:
    """Raise :class:`ConfigError` unless ``no_repeat_ngram_size`` is an integer >= 0 and ``repetition_penalty`` a
    number > 0; the message names them ``ngram_name`` and ``penalty_name`` (``generation.no_repeat_ngram_size``,
    ``decoding.repetition_penalty (--repetition-penalty)`` …)."""
    value = no_repeat_ngram_size
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{ngram_name}: expected an integer >= 0, found {value!r}")
    value = repetition_penalty
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigError(f"{penalty_name}: expected a number > 0, found {value!r}")


def repetition_kwargs(no_repeat_ngram_size: int, repetition_penalty: float) -> dict[str, Any]:
    """The ``generate`` arguments for the controls that are on (0 and 1.0 are off, and left out)."""
    kwargs: dict[str, Any] = {}
    if no_repeat_ngram_size:
        kwargs["no_repeat_ngram_size"] = no_repeat_ngram_size
    if repetition_penalty != 1.0:
        kwargs["repetition_penalty"] = float(repetition_penalty)
    return kwargs
