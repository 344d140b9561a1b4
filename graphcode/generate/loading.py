"""Loading a trained model for generation: an exported directory or a Lightning checkpoint.

An exported directory is what :meth:`graphcode.models.GraphCodeModel.save_pretrained` writes
(``graphcode_config.json``, ``backbone/``, ``graph.safetensors``, ``tokenizer/``), usually with
``graphcode_data.json`` beside it: the data settings (language, graph options, lengths) the model was
trained with, which generation reuses. A ``.ckpt`` file is loaded through
:class:`graphcode.training.module.GraphCodeModule`; its tokenizer is ``tokenizer`` (a tokenizer
folder), else the one the checkpoint names, else the ``tokenizer/`` of the export directory the
checkpoint names (``model.export_dir``), whose ``graphcode_data.json`` then gives the data settings.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphcode.errors import CheckpointError, ConfigError

DATA_SETTINGS = "graphcode_data.json"
PRECISIONS: tuple[str, ...] = ("32", "bf16-mixed", "16-mixed")
"""Precisions for generating, named as Lightning's ``trainer.precision``: ``32`` runs the float32 weights as they
are; ``bf16-mixed`` and ``16-mixed`` run them under ``torch.autocast`` (matrix products in bfloat16 or float16,
weights kept in float32), as ``graphcode test`` does for a model trained with that precision."""


@dataclass
class LoadedModel:
    """A model ready to generate, with its tokenizer and the data settings it was trained with."""

    model: Any
    """A :class:`graphcode.models.GraphCodeModel` in eval mode."""
    tokenizer: Any
    settings: dict[str, Any] = field(default_factory=dict)
    """``graphcode_data.json`` (or the checkpoint's data settings): ``lang``, ``target_lang``, ``graph``,
    ``graph_options``, ``max_source_length``, ``max_target_length``; empty when unknown."""


def load_model(path: str | Path, *, tokenizer: str | None = None, device: str = "cpu",
               allow_pickle: bool = False) -> LoadedModel:
    """Load ``path``: an exported model directory or a Lightning ``.ckpt``.

    A checkpoint is read with ``torch.load(weights_only=True)``: tensors and plain values only, which cannot
    run code. One that needs pickle for anything else is refused with a :class:`CheckpointError`, unless
    ``allow_pickle`` (``--allow-pickle``): unpickling a file runs whatever code its author put in it.
    """
    p = Path(path)
    if p.is_dir():
        loaded = _load_export(p, tokenizer)
    elif p.is_file() and p.suffix == ".ckpt":
        loaded = _load_checkpoint(p, tokenizer, allow_pickle)
    else:
        found = "nothing" if not p.exists() else f"a file that is not a .ckpt ({p.suffix or 'no suffix'})"
        raise CheckpointError(
            f"{p}: expected an exported model directory (graphcode_config.json, backbone/, tokenizer/) or a "
            f"Lightning .ckpt file, found {found}"
        )
    loaded.model.to(device).eval()
    return loaded


def precision_context(model: Any, precision: str) -> contextlib.AbstractContextManager[Any]:
    """A context in which ``model`` runs at ``precision`` (one of :data:`PRECISIONS`), on its own device."""
    if precision not in PRECISIONS:
        raise ConfigError(f"--precision: expected one of {', '.join(PRECISIONS)}, found {precision!r}")
    if precision == "32":
        return contextlib.nullcontext()
    import torch

    device = next(model.parameters()).device.type
    return torch.autocast(device_type=device, dtype=torch.bfloat16 if precision == "bf16-mixed" else torch.float16)


def _load_tokenizer(path: str) -> Any:
    from graphcode.data.tokenizer import load_pretrained_tokenizer

    return load_pretrained_tokenizer(path)


def _load_export(path: Path, tokenizer: str | None) -> LoadedModel:
    from graphcode.models.model import CONFIG_NAME, TOKENIZER_DIR, GraphCodeModel

    if not (path / CONFIG_NAME).is_file():
        raise CheckpointError(
            f"{path}: expected an exported model directory with {CONFIG_NAME} (written by save_pretrained or "
            f"graphcode fit with model.export_dir), found no {CONFIG_NAME}"
        )
    model = GraphCodeModel.from_pretrained(path)
    tok = _load_tokenizer(tokenizer) if tokenizer else model.tokenizer
    if tok is None:
        raise CheckpointError(
            f"{path / TOKENIZER_DIR}: expected the tokenizer saved with the model, found none (pass --tokenizer)"
        )
    settings: dict[str, Any] = {}
    if (path / DATA_SETTINGS).is_file():
        try:
            settings = json.loads((path / DATA_SETTINGS).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise CheckpointError(f"{path / DATA_SETTINGS}: expected a JSON object, found an unreadable file ({err})") from err
        if not isinstance(settings, dict):
            raise CheckpointError(f"{path / DATA_SETTINGS}: expected a JSON object, found {type(settings).__name__}")
    return LoadedModel(model, tok, settings)


def _load_checkpoint(path: Path, tokenizer: str | None, allow_pickle: bool = False) -> LoadedModel:
    try:
        from graphcode.training.module import GraphCodeModule
    except ImportError as err:
        raise CheckpointError(
            f"{path}: loading a .ckpt needs graphcode.training.module.GraphCodeModule, found none ({err}); "
            "pass an exported model directory instead"
        ) from err
    import pickle

    import torch

    from graphcode.data.tokenizer import TokenizerConfig

    weights_only = not allow_pickle
    try:
        raw = torch.load(str(path), map_location="cpu", weights_only=weights_only)
    except pickle.UnpicklingError as err:
        import zipfile

        if weights_only and zipfile.is_zipfile(path):  # a whole torch.save file, with more than weights in it
            raise CheckpointError(
                f"{path}: expected a checkpoint of weights and plain values, found Python objects that only pickle "
                "can load, and unpickling runs any code the file's author put in it; if you trust this file, pass "
                f"--allow-pickle ({str(err).splitlines()[0]})") from None
        raise CheckpointError(f"{path}: cannot be read as a checkpoint: {err}") from err
    except Exception as err:  # zip and torch errors of a broken file
        raise CheckpointError(f"{path}: cannot be read as a checkpoint: {err}") from err
    if not isinstance(raw, dict) or not isinstance(raw.get("hyper_parameters"), dict):
        raise CheckpointError(f"{path}: expected a Lightning checkpoint with 'hyper_parameters', found none")
    # The checkpoint keeps the tokenizer settings as a plain dict: give the module a TokenizerConfig.
    # A tokenizer trained with the data is not in the checkpoint, but in the export named by it.
    hparams = raw["hyper_parameters"]
    saved = hparams.get("tokenizer")
    export = Path(hparams["export_dir"]) if isinstance(hparams.get("export_dir"), str) else None
    if tokenizer:
        config = TokenizerConfig(name_or_path=tokenizer)
    elif isinstance(saved, dict) and saved.get("name_or_path"):
        config = TokenizerConfig(**saved)
    elif export is not None and (export / "tokenizer").is_dir():
        config = TokenizerConfig(name_or_path=str(export / "tokenizer"))
    else:
        raise CheckpointError(
            f"{path}: the checkpoint does not name its tokenizer (it was trained with the data): pass --tokenizer "
            "DIR, e.g. the export's tokenizer/ folder"
        )
    try:
        module = GraphCodeModule.load_from_checkpoint(str(path), map_location="cpu", weights_only=weights_only,
                                                      tokenizer=config)
    except (ConfigError, CheckpointError) as err:
        raise CheckpointError(f"{path}: cannot be loaded: {err}") from err
    except (OSError, RuntimeError, KeyError, ValueError, TypeError) as err:
        raise CheckpointError(f"{path}: cannot be loaded as a graphcode checkpoint: {err}") from err
    model = module.model
    if model is None or model.tokenizer is None:
        raise CheckpointError(f"{path}: expected a model with a tokenizer after loading, found none")
    settings: dict[str, Any] = {}
    if export is not None and (export / DATA_SETTINGS).is_file():
        try:
            found = json.loads((export / DATA_SETTINGS).read_text(encoding="utf-8"))
            settings = found if isinstance(found, dict) else {}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            settings = {}  # the data settings are defaults for options; the model itself loaded
    return LoadedModel(model, model.tokenizer, settings)
