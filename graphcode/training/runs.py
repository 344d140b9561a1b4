"""Run folders: every ``graphcode fit|validate|test|predict`` writes into a folder of its own.

A config's root (``trainer.default_root_dir``, say ``runs/tiny``) holds one folder per run, numbered the
way Lightning's loggers number versions::

    runs/tiny/
      version_0/                 graphcode fit -c configs/tiny.yaml
        config.yaml              the resolved config of the run
        csv/metrics.csv          the CSV logger
        tensorboard/             the TensorBoard logger
        checkpoints/             last.ckpt and the best checkpoints
        export/                  the exported model (save_pretrained)
      version_1/                 graphcode test -c configs/tiny.yaml --ckpt_path=best
        test/summary.json        the task-metric report, and test/examples.jsonl per example
      version_2/                 graphcode predict ...
        predictions.jsonl

A new run takes the next free number (created with an exclusive ``mkdir``, so two runs started together
get different folders); nothing is ever written into an older run's folder. ``--ckpt_path=last`` and
``--ckpt_path=best`` name the last and the best checkpoint of the newest run under the root that has
checkpoints. ``GRAPHCODE_RUN_DIR``, when set, is the run folder itself: the processes that Lightning
starts for DDP inherit it from the first, and under an external launcher (``torchrun``, SLURM) set it to
the same folder for every process.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from graphcode.errors import CheckpointError

RUN_DIR_ENV = "GRAPHCODE_RUN_DIR"
"""The run folder, when set (see the module docstring)."""
_VERSION = re.compile(r"version_(\d+)")


def versions(root: str | os.PathLike[str]) -> list[tuple[int, Path]]:
    """The run folders under ``root``, ``(number, folder)``, oldest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in root.iterdir() if p.is_dir() and (m := _VERSION.fullmatch(p.name))]
    return sorted(found)


def new_run(root: str | os.PathLike[str]) -> Path:
    """Create and return the next run folder ``root/version_N`` (one more than the highest there)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    number = versions(root)[-1][0] + 1 if versions(root) else 0
    while True:
        folder = root / f"version_{number}"
        try:
            folder.mkdir()
        except FileExistsError:  # another run took it first
            number += 1
            continue
        return folder


def find_checkpoint(root: str | os.PathLike[str], which: str) -> Path:
    """The ``last`` or ``best`` checkpoint of the newest run under ``root`` that has checkpoints.

    ``best`` is the best checkpoint that run's ``ModelCheckpoint`` recorded in its last checkpoint file, found by
    its name in the run's own ``checkpoints/`` first (the run folder may have moved, or been copied, since).
    Raises :class:`CheckpointError` naming the root when there is none.
    """
    import torch

    for _, folder in reversed(versions(root)):
        files = sorted((folder / "checkpoints").glob("*.ckpt"), key=lambda p: p.stat().st_mtime)
        if not files:
            continue
        last = folder / "checkpoints" / "last.ckpt"
        last = last if last.is_file() else files[-1]
        if which == "last":
            return last
        try:
            state = torch.load(last, map_location="cpu", weights_only=True)
        except Exception as err:  # a truncated or corrupt file: say which
            raise CheckpointError(f"{last}: expected a readable checkpoint to find the best one from, found: {err}") from None
        for key, value in (state.get("callbacks") or {}).items():
            best = value.get("best_model_path") if isinstance(value, dict) else None
            if not (str(key).startswith("ModelCheckpoint") and best and value.get("monitor")):
                continue
            here = folder / "checkpoints" / Path(best).name  # the file beside ``last``: a run folder moved or
            if here.is_file():                                   # copied since uses its own checkpoints
                return here
            if Path(best).is_file():
                return Path(best)
        raise CheckpointError(f"{folder}: expected a best checkpoint (a ModelCheckpoint with a monitor), found only "
                              f"{', '.join(p.name for p in files)}; use --ckpt_path=last or a file")
    raise CheckpointError(f"{root}: expected a run with checkpoints (version_N/checkpoints/*.ckpt) for "
                          f"--ckpt_path={which}, found {'none' if versions(root) else 'no runs'}")
