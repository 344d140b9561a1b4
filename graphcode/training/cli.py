"""``graphcode fit|validate|test|predict -c configs/X.yaml``: LightningCLI with graphcode's links and checks.

- Without ``-c/--config``, ``configs/tiny.yaml`` of the source checkout is the config (when present).
- Links, so that values that come from the data are set once: ``data.tokenizer`` → ``model.tokenizer``,
  ``data.lang`` → ``model.gnn.num_node_types`` (the language's node-type vocabulary size), and back from
  the model: ``model.backbone`` → ``data.backbone`` (decoder-only layout), ``model.graph`` → ``data.graph``.
  The tokenizer's vocabulary size reaches the backbone in ``configure_model``, once the tokenizer exists.
- ``--ckpt_path FILE`` is checked before Lightning reads it: a truncated or corrupt file, or one trained
  with other model settings, raises :class:`graphcode.errors.CheckpointError` naming the file and what
  was expected and found. (Plain LightningCLI would overwrite the config's model settings with the
  checkpoint's; here the config stays what it says and must agree with the checkpoint.)
- ``trainer.strategy``, ``trainer.devices`` and ``trainer.num_nodes`` go to Lightning unchanged.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lightning.pytorch.cli import LightningCLI

from graphcode.errors import CheckpointError, GraphcodeError
from graphcode.training.datamodule import GraphCodeDataModule, node_type_count
from graphcode.training.module import GraphCodeModule

SPECIAL_CKPT_PATHS = frozenset({"last", "best", "hpc", "registry"})
"""``--ckpt_path`` values that Lightning resolves itself."""
CHECKED_HPARAMS: tuple[str, ...] = ("backbone", "graph", "gnn", "fusion")
"""Hyper-parameters a checkpoint must share with the config: they decide the weights' names and shapes."""


def default_config() -> Path | None:
    """``configs/tiny.yaml`` of the source checkout, or ``None`` in an installed package."""
    path = Path(__file__).resolve().parents[2] / "configs" / "tiny.yaml"
    return path if path.is_file() else None


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a Lightning checkpoint as Lightning will (weights only); raises :class:`CheckpointError` naming the
    file when it is missing, truncated, corrupt or not a graphcode checkpoint."""
    import torch

    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"{p}: expected a Lightning checkpoint file (--ckpt_path), found "
                              f"{'a folder' if p.is_dir() else 'nothing at that path'}")
    size = p.stat().st_size
    try:
        checkpoint = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises RuntimeError, EOFError, UnpicklingError, ... on broken files
        raise CheckpointError(f"{p}: expected a complete Lightning checkpoint, found {size} bytes that torch cannot "
                              f"read (truncated or corrupt?): {err}") from None
    if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get("state_dict"), dict):
        found = type(checkpoint).__name__ if not isinstance(checkpoint, dict) else f"keys {sorted(checkpoint)[:6]}"
        raise CheckpointError(f"{p}: expected a Lightning checkpoint with a 'state_dict', found {found}")
    if not isinstance(checkpoint.get("hyper_parameters"), dict):
        raise CheckpointError(f"{p}: expected the hyper-parameters of a graphcode model, found none "
                              "(not written by graphcode fit?)")
    return checkpoint


def check_hyperparameters(path: str | Path, checkpoint: Mapping[str, Any], hparams: Mapping[str, Any]) -> None:
    """Raise :class:`CheckpointError` when the checkpoint's model settings differ from the config's."""
    found_hparams = checkpoint["hyper_parameters"]
    for key in CHECKED_HPARAMS:
        expected, found = hparams.get(key), found_hparams.get(key)
        if expected != found:
            raise CheckpointError(f"{path}: model.{key}: expected {expected!r} (the config), found {found!r} "
                                  "(the checkpoint)")


def validate_checkpoint(path: str | Path, hparams: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`read_checkpoint` and :func:`check_hyperparameters`; returns the checkpoint."""
    checkpoint = read_checkpoint(path)
    check_hyperparameters(path, checkpoint, hparams)
    return checkpoint


class GraphCodeCLI(LightningCLI):
    """LightningCLI for :class:`GraphCodeModule` and :class:`GraphCodeDataModule` (see the module docstring)."""

    def add_arguments_to_parser(self, parser: Any) -> None:
        parser.link_arguments("data.tokenizer", "model.tokenizer")
        parser.link_arguments("data.lang", "model.gnn.num_node_types", compute_fn=node_type_count)
        parser.link_arguments("model.backbone", "data.backbone")
        parser.link_arguments("model.graph", "data.graph")

    def _parse_ckpt_path(self) -> None:
        """Check ``--ckpt_path`` before anything is built. LightningCLI would overwrite the config's model
        settings with the checkpoint's; graphcode keeps the config and requires them to agree (checked once the
        model's hyper-parameters exist, in ``before_<subcommand>``)."""
        self._checkpoint: tuple[str, dict[str, Any]] | None = None
        if not self.config.get("subcommand"):
            return
        ckpt_path = self.config[self.config.subcommand].get("ckpt_path")
        if ckpt_path and str(ckpt_path) not in SPECIAL_CKPT_PATHS:
            self._checkpoint = (str(ckpt_path), read_checkpoint(ckpt_path))

    def _check_ckpt_path(self) -> None:
        checkpoint, self._checkpoint = getattr(self, "_checkpoint", None), None
        if checkpoint is not None:
            check_hyperparameters(checkpoint[0], checkpoint[1], self.model.hparams)

    def before_fit(self) -> None:
        self._check_ckpt_path()

    def before_validate(self) -> None:
        self._check_ckpt_path()

    def before_test(self) -> None:
        self._check_ckpt_path()

    def before_predict(self) -> None:
        self._check_ckpt_path()


def _has_config(args: Sequence[str]) -> bool:
    return any(a in ("-c", "--config") or a.startswith("--config=") for a in args)


def run_lightning_cli(subcommand: str, args: Sequence[str]) -> int:
    """Run ``graphcode SUBCOMMAND ARGS...``; returns the exit code (see :mod:`graphcode.cli`)."""
    argv = [subcommand, *args]
    default = default_config()
    if not _has_config(args) and default is not None:
        argv = [subcommand, "--config", str(default), *args]
    saved_argv = sys.argv
    # LightningCLI reads sys.argv (and warns when given both it and args): hand it ours.
    sys.argv = ["graphcode", *argv]
    try:
        GraphCodeCLI(
            GraphCodeModule,
            GraphCodeDataModule,
            save_config_kwargs={"overwrite": True},
            auto_configure_optimizers=False,
        )
    except SystemExit as exit_:
        code = exit_.code
        return 0 if code is None else code if isinstance(code, int) else 2
    except GraphcodeError as err:
        print(f"graphcode {subcommand}: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print(f"graphcode {subcommand}: interrupted", file=sys.stderr)
        return 130
    finally:
        sys.argv = saved_argv
    return 0
