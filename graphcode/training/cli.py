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
- **Run folders** (:mod:`graphcode.training.runs`): every run gets ``<trainer.default_root_dir>/version_N/``,
  which becomes the trainer's ``default_root_dir``. ``{run}`` in the paths of loggers, callbacks and
  ``model.export_dir`` stands for it (CSV and TensorBoard loggers at ``save_dir: "{run}"`` log into
  ``<run>/<name>/``), and paths left null are placed in it: ``ModelCheckpoint``'s ``dirpath``
  (``<run>/checkpoints``), ``PredictionWriter``'s file and ``model.export_dir`` (``<run>/export``, ``fit``);
  the resolved config is written there as ``config.yaml``. ``--ckpt_path=last|best`` resolve to the newest run's checkpoints.
- Before ``fit``, every ``monitor`` of a callback must be a metric the module logs (a :class:`ConfigError`
  names the ones it does), and a checkpoint to resume must come from the same model and data settings.
- When standard output is not a terminal, progress is printed as lines
  (:class:`graphcode.training.callbacks.LineProgress`) instead of a progress bar.
- ``trainer.strategy``, ``trainer.devices`` and ``trainer.num_nodes`` go to Lightning unchanged.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jsonargparse import Namespace
from lightning.pytorch.cli import LightningCLI, SaveConfigCallback

from graphcode.errors import CheckpointError, ConfigError, GraphcodeError
from graphcode.training import runs
from graphcode.training.datamodule import GraphCodeDataModule, node_type_count
from graphcode.training.help_cache import default_config, has_config
from graphcode.training.module import DATA_SETTINGS_KEY, TASK_METRICS, GraphCodeModule

SPECIAL_CKPT_PATHS = frozenset({"last", "best", "hpc", "registry"})
"""``--ckpt_path`` values that Lightning resolves itself."""
CHECKED_HPARAMS: tuple[str, ...] = ("backbone", "graph", "gnn", "fusion", "copy", "tokenizer")
"""Hyper-parameters a checkpoint must share with the config: they decide the weights' names, shapes and
what the token ids mean."""
GRAPH_HPARAMS: tuple[str, ...] = ("gnn", "fusion")
"""Of those, the ones that build the graph's weights: not compared when the config and the checkpoint both have the
graph off (``--model.graph=false`` beside a config written for the graph)."""
RUN_LOGGERS: tuple[str, ...] = ("CSVLogger", "TensorBoardLogger")
"""Loggers whose folder is ``<save_dir>/<name>`` in a run, with no version folder of their own."""


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


def _with_defaults(key: str, value: Any, other: Any) -> Any:
    """One side's setting ``key`` (the config's or the checkpoint's), with the defaults of what it lacks and the
    ``other`` side has: settings added since a checkpoint was written load with their defaults, so they compare with
    them (a checkpoint from before ``fusion.memory_nodes`` has that field's default; one from before ``copy``, no
    copy head)."""
    import dataclasses

    from graphcode.models.config import FusionConfig, GNNConfig

    if key == "copy":
        return False if value is None else value
    kind = {"gnn": GNNConfig, "fusion": FusionConfig}.get(key)
    if kind is None or not isinstance(value, dict) or not isinstance(other, dict):
        return value
    defaults = {f.name: f.default for f in dataclasses.fields(kind) if f.default is not dataclasses.MISSING}
    return {**{k: defaults[k] for k in other if k not in value and k in defaults}, **value}


def check_hyperparameters(path: str | Path, checkpoint: Mapping[str, Any], hparams: Mapping[str, Any]) -> None:
    """Raise :class:`CheckpointError` when the checkpoint's model settings differ from the config's."""
    found_hparams = checkpoint["hyper_parameters"]
    graph_off = hparams.get("graph") is False and found_hparams.get("graph") is False
    for key in CHECKED_HPARAMS:
        if graph_off and key in GRAPH_HPARAMS:
            continue
        expected = _with_defaults(key, hparams.get(key), found_hparams.get(key))
        found = _with_defaults(key, found_hparams.get(key), hparams.get(key))
        if expected != found:
            raise CheckpointError(f"{path}: model.{key}: expected {expected!r} (the config), found {found!r} "
                                  "(the checkpoint)")


def check_data_settings(path: str | Path, checkpoint: Mapping[str, Any], settings: Mapping[str, Any]) -> None:
    """Raise :class:`CheckpointError` when the data settings a checkpoint was trained with (language, graph
    options, lengths) differ from the config's."""
    found_settings = checkpoint.get(DATA_SETTINGS_KEY)
    if not isinstance(found_settings, dict):
        return  # an older checkpoint: only the model settings can be compared
    for key, expected in settings.items():
        if key in found_settings and found_settings[key] != expected:
            raise CheckpointError(f"{path}: data.{key}: expected {expected!r} (the config), found "
                                  f"{found_settings[key]!r} (the checkpoint)")


def validate_checkpoint(path: str | Path, hparams: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`read_checkpoint` and :func:`check_hyperparameters`; returns the checkpoint."""
    checkpoint = read_checkpoint(path)
    check_hyperparameters(path, checkpoint, hparams)
    return checkpoint


class RunConfig(SaveConfigCallback):
    """Saves the resolved config as ``config.yaml`` in the run folder (``trainer.default_root_dir``)."""

    def setup(self, trainer: Any, pl_module: Any, stage: str) -> None:
        if self.already_saved:
            return
        if trainer.is_global_zero:
            folder = Path(trainer.default_root_dir)
            folder.mkdir(parents=True, exist_ok=True)
            self.parser.save(self.config, str(folder / self.config_filename), skip_none=False, overwrite=True,
                             multifile=self.multifile)
        self.already_saved = True


def _items(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value] if isinstance(value, (Namespace, dict)) else []


def _get(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, (Namespace, dict)) else None


def _class_name(item: Any) -> str:
    return str(_get(item, "class_path") or "").rsplit(".", 1)[-1]


def _init_args(item: Any) -> Any:
    args = _get(item, "init_args")
    if args is None:
        args = Namespace() if isinstance(item, Namespace) else {}
        item["init_args"] = args
    return args


RUN_PLACEHOLDER = "{run}"
"""Stands for the run folder in the paths of loggers, callbacks and ``model.export_dir``."""


def _place(value: Any, run: str) -> Any:
    """``value`` with every ``{run}`` in its strings replaced by the run folder (Namespaces, dicts, lists)."""
    if isinstance(value, str):
        return value.replace(RUN_PLACEHOLDER, run)
    if isinstance(value, Namespace):
        for key, item in list(vars(value).items()):
            setattr(value, key, _place(item, run))
        return value
    if isinstance(value, dict):
        return {k: _place(v, run) for k, v in value.items()}
    if isinstance(value, list):
        return [_place(v, run) for v in value]
    return value


class GraphCodeCLI(LightningCLI):
    """LightningCLI for :class:`GraphCodeModule` and :class:`GraphCodeDataModule` (see the module docstring)."""

    def add_arguments_to_parser(self, parser: Any) -> None:
        parser.link_arguments("data.tokenizer", "model.tokenizer")
        parser.link_arguments("data.lang", "model.gnn.num_node_types", compute_fn=node_type_count)
        parser.link_arguments("model.backbone", "data.backbone")
        parser.link_arguments("model.graph", "data.graph")

    # ------------------------------------------------------------------ run folders

    def _root(self) -> Path:
        """The config's root of runs: ``trainer.default_root_dir``, else ``runs/<config name>``."""
        config = self.config[self.config.subcommand]
        root = config.trainer.get("default_root_dir")
        if root:
            return Path(str(root))
        names = [Path(str(p)).stem for p in (config.get("config") or [])]
        return Path("runs") / (names[0] if names else "graphcode")

    def _parse_ckpt_path(self) -> None:
        """Resolve ``--ckpt_path=last|best`` and read the checkpoint before anything is built. LightningCLI would
        overwrite the config's model settings with the checkpoint's; graphcode keeps the config and requires them
        to agree (checked once the model and data exist, in ``before_<subcommand>``)."""
        self._checkpoint: tuple[str, dict[str, Any]] | None = None
        if not self.config.get("subcommand"):
            return
        config = self.config[self.config.subcommand]
        ckpt_path = config.get("ckpt_path")
        if ckpt_path in ("last", "best"):
            ckpt_path = str(runs.find_checkpoint(self._root(), str(ckpt_path)))
            config["ckpt_path"] = ckpt_path
            print(f"graphcode {self.config.subcommand}: checkpoint {ckpt_path}", file=sys.stderr)
        if ckpt_path and str(ckpt_path) not in SPECIAL_CKPT_PATHS:
            self._checkpoint = (str(ckpt_path), read_checkpoint(ckpt_path))

    def before_instantiate_classes(self) -> None:
        """Give this run its folder and place the paths the config leaves null in it."""
        subcommand = self.config.subcommand
        config = self.config[subcommand]
        run = os.environ.get(runs.RUN_DIR_ENV)
        if run:
            Path(run).mkdir(parents=True, exist_ok=True)
        else:
            run = str(runs.new_run(self._root()))
            os.environ[runs.RUN_DIR_ENV] = run  # processes started for DDP write into the same folder
        trainer = config.trainer
        trainer["default_root_dir"] = run
        for key in ("logger", "callbacks"):
            trainer[key] = _place(trainer.get(key), run)
        for logger in _items(trainer.get("logger")):
            if _class_name(logger) in RUN_LOGGERS and _get(_init_args(logger), "version") is None:
                _init_args(logger)["version"] = ""  # its folder is <run>/<name>: the run is the version
        callbacks = _items(trainer.get("callbacks"))
        for callback in callbacks:
            args = _init_args(callback) if _get(callback, "class_path") else {}
            if _class_name(callback) == "ModelCheckpoint" and args.get("dirpath") is None:
                args["dirpath"] = str(Path(run) / "checkpoints")
        if subcommand == "fit":
            export = config.model.get("export_dir")
            config.model["export_dir"] = str(Path(run) / "export") if export is None else _place(export, run)
        if not sys.stdout.isatty() and trainer.get("enable_progress_bar") is not False \
                and not any(_class_name(c).endswith(("ProgressBar", "LineProgress")) for c in callbacks):
            line = Namespace(class_path="graphcode.training.callbacks.LineProgress",
                             init_args=Namespace(every_n_steps=None))
            trainer["callbacks"] = [*callbacks, line]
        print(f"graphcode {subcommand}: run folder {run}", file=sys.stderr)

    # ------------------------------------------------------------------ checks before running

    def _check_ckpt_path(self) -> None:
        checkpoint, self._checkpoint = getattr(self, "_checkpoint", None), None
        if checkpoint is None:
            return
        check_hyperparameters(checkpoint[0], checkpoint[1], self.model.hparams)
        if hasattr(self.datamodule, "export_settings"):
            check_data_settings(checkpoint[0], checkpoint[1], self.datamodule.export_settings())

    def _check_monitors(self) -> None:
        """Every ``monitor`` of a callback must be a metric the module logs in ``fit``."""
        text = getattr(self.datamodule, "output_lang", "code") is None  # summaries: text metrics
        logged = self.model.logged_metrics(text) if hasattr(self.model, "logged_metrics") else None
        if logged is None:
            return
        every = self.model.task_metrics.every_n_validations
        for callback in self.trainer.callbacks:
            monitor = getattr(callback, "monitor", None)
            if not isinstance(monitor, str) or monitor.startswith("lr-"):
                continue
            name = type(callback).__name__
            if monitor not in logged:
                raise ConfigError(f"{name}.monitor: expected a metric graphcode logs ({', '.join(sorted(logged))}), "
                                  f"found {monitor!r}")
            if monitor.removeprefix("val_") in TASK_METRICS and every != 1:
                raise ConfigError(f"{name}.monitor: {monitor!r} is logged at every {every}-th validation only; "
                                  "expected model.task_metrics.every_n_validations: 1 to monitor it")

    def before_fit(self) -> None:
        self._check_monitors()
        self._check_ckpt_path()

    def before_validate(self) -> None:
        self._check_ckpt_path()

    def before_test(self) -> None:
        self._check_ckpt_path()

    def before_predict(self) -> None:
        self._check_ckpt_path()


ONEDNN_CACHE_ENV = "ONEDNN_PRIMITIVE_CACHE_CAPACITY"
ONEDNN_CACHE_CAPACITY = 256
"""Kernels oneDNN keeps compiled (its default: 1024). On a CPU under ``bf16-mixed`` it compiles a matrix-product
kernel per shape, and a run's shapes change with every batch (lengths, graph sizes, memory lengths): the default
cache fills within a few dozen steps and holds hundreds of MB. With 256, 150 steps of the CPU config (jemalloc,
``--model.micro_batch_tokens=2048``) peaked at 1.68 GiB against 2.02 GiB, in 3.46 against 3.38 min
(``benchmarks/bench_run_memory.py``); 64 no longer holds one step's shapes and slowed its steps three-fold."""


def limit_onednn_cache() -> None:
    """Set oneDNN's kernel cache to :data:`ONEDNN_CACHE_CAPACITY` unless the environment says otherwise. oneDNN reads
    it when it compiles its first kernel, so this works before the process's first bf16 product on a CPU."""
    os.environ.setdefault(ONEDNN_CACHE_ENV, str(ONEDNN_CACHE_CAPACITY))


def run_lightning_cli(subcommand: str, args: Sequence[str]) -> int:
    """Run ``graphcode SUBCOMMAND ARGS...``; returns the exit code (see :mod:`graphcode.cli`)."""
    limit_onednn_cache()
    argv = [subcommand, *args]
    default = default_config()
    if not has_config(args) and default is not None:
        argv = [subcommand, "--config", str(default), *args]
    import warnings

    # A checkpoint of another run restores into this run's folder by design: Lightning's notice says so each time.
    warnings.filterwarnings("ignore", message="The dirpath has changed from")
    saved_argv, saved_run = sys.argv, os.environ.get(runs.RUN_DIR_ENV)
    # LightningCLI reads sys.argv (and warns when given both it and args): hand it ours. The program keeps its
    # own path: Lightning starts DDP's other processes by running sys.argv again.
    sys.argv = [saved_argv[0] if saved_argv and saved_argv[0] else "graphcode", *argv]
    try:
        GraphCodeCLI(
            GraphCodeModule,
            GraphCodeDataModule,
            save_config_callback=RunConfig,
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
        if saved_run is None:  # the next run in this process gets a folder of its own
            os.environ.pop(runs.RUN_DIR_ENV, None)
        else:
            os.environ[runs.RUN_DIR_ENV] = saved_run
    return 0
