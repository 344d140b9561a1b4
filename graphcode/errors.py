"""Errors that graphcode raises for bad input, each with a documented command-line exit code.

Every message names the thing (a file, a field, a language), what was expected and what was found.
"""

from __future__ import annotations


class GraphcodeError(Exception):
    """Base class of the errors graphcode raises on bad input. ``exit_code`` is what the CLI returns."""

    exit_code = 1


class InputError(GraphcodeError):
    """An input file cannot be used: missing, unreadable, binary, not UTF-8, empty or too large."""

    exit_code = 3


class UnknownLanguageError(GraphcodeError):
    """The language name or the file extension is not one graphcode knows."""

    exit_code = 4


class OutputError(GraphcodeError):
    """An output path cannot be written."""

    exit_code = 5


class ConfigError(GraphcodeError):
    """A config file or value is malformed."""

    exit_code = 6


class CheckpointError(GraphcodeError):
    """A checkpoint or exported model directory is truncated, mismatched or missing files."""

    exit_code = 7
