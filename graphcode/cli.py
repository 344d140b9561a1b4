"""The ``graphcode`` command: thin and dispatching.

Each subcommand lives in its own module, imported only when that subcommand runs, so that
``graphcode graph`` and ``graphcode check`` start without importing torch. A subcommand module
exposes ``add_arguments(parser)`` and ``run(args) -> int``. The Lightning subcommands
(``fit``, ``validate``, ``test``, ``predict``) hand the rest of the command line to LightningCLI.

Exit codes: 0 success; 1 a result was negative (``check`` found syntax errors, some files failed);
2 usage error; 3 bad input file; 4 unknown language; 5 output not writable; 6 bad config;
7 bad checkpoint; 8 Graphviz missing; 9 an optional dependency is missing (the message names the extra to
install); 130 interrupted; 141 standard output's reader went away (a broken pipe, no message).

The base install (graphs, checks) needs no extra; a command that needs one says which
(:data:`EXTRAS`) instead of showing an ``ImportError``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

# name -> (module, one-line help). Modules are imported lazily.
COMMANDS: dict[str, tuple[str, str]] = {
    "graph": ("graphcode.graphs.cli", "extract code graphs from files or directory trees"),
    "check": ("graphcode.check_cli", "check files for syntax errors"),
    "mine": ("graphcode.data.mine", "mine training examples from source trees"),
    "generate": ("graphcode.generate.cli", "generate code with a trained model, checking every candidate"),
    "evaluate": ("graphcode.evaluate.cli", "score predictions: BLEU, CodeBLEU, exact match, validity, pass@k"),
    "demo": ("graphcode.demo", "the README's main job: graphs, mining, training and generation end to end"),
    "native": ("graphcode.graphs.native", "build or inspect the C accelerator for graph building"),
}
LIGHTNING_COMMANDS = ("fit", "validate", "test", "predict")
EXTRAS: dict[str, str] = {
    **dict.fromkeys(("torch", "torch_geometric", "transformers", "tokenizers", "lightning", "jsonargparse",
                     "datasets", "tensorboard", "numpy", "yaml", "safetensors"), "train"),
    **dict.fromkeys(("sacrebleu",), "eval"),
}
"""Top-level modules of the optional dependencies -> the extra that installs them."""
MISSING_DEPENDENCY = 9
"""Exit code of a command whose optional dependency is not installed."""
BROKEN_PIPE = 141
"""Exit code when the reader of standard output went away (128 + SIGPIPE, as a shell reports it)."""


def _missing_extra(name: str, err: ModuleNotFoundError) -> int | None:
    """Say which extra to install when ``err`` is an optional dependency; ``None`` when it is not one."""
    module = (err.name or "").split(".")[0]
    extra = EXTRAS.get(module)
    if extra is None:
        return None
    print(f"graphcode {name}: error: expected the module {module!r}, found it is not installed: this command needs "
          f"graphcode's {extra!r} extra; pip install 'graphcode[{extra}]'", file=sys.stderr)
    return MISSING_DEPENDENCY


def _usage() -> str:
    lines = ["usage: graphcode COMMAND [ARGS...]", "", "commands:"]
    for name, (_, help_text) in COMMANDS.items():
        lines.append(f"  {name:<10} {help_text}")
    for name in LIGHTNING_COMMANDS:
        lines.append(f"  {name:<10} {name} a model with LightningCLI (graphcode {name} -c configs/tiny.yaml)")
    lines.append("")
    lines.append("Run 'graphcode COMMAND --help' for a command's options.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0 if argv else 2
    if argv[0] in ("-V", "--version"):
        from graphcode import __version__

        print(f"graphcode {__version__}")
        return 0
    name, rest = argv[0], argv[1:]
    try:
        return _run(name, rest)
    except BrokenPipeError:
        # the reader went away (`graphcode graph DIR --format jsonl | head`): stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # nothing more reaches the closed pipe, not even at exit
        return BROKEN_PIPE
    except ModuleNotFoundError as err:
        code = _missing_extra(name, err)
        if code is None:
            raise
        return code


def _run(name: str, rest: list[str]) -> int:
    if name in LIGHTNING_COMMANDS:
        from graphcode.training import help_cache

        def lightning() -> int:
            from graphcode.training.cli import run_lightning_cli

            return run_lightning_cli(name, rest)

        if not help_cache.describes(rest):
            return lightning()
        default = help_cache.default_config()
        argv = [name, *rest] if help_cache.has_config(rest) or default is None else [name, "-c", str(default), *rest]
        return help_cache.run_cached(argv, lightning)  # --help, --print_config: printed once, then from the cache
    if name not in COMMANDS:
        print(f"graphcode: unknown command {name!r}; expected one of: "
              f"{', '.join([*COMMANDS, *LIGHTNING_COMMANDS])}", file=sys.stderr)
        return 2
    module_name, help_text = COMMANDS[name]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"graphcode {name}", description=help_text)
    module.add_arguments(parser)
    args = parser.parse_args(rest)

    from graphcode.errors import GraphcodeError

    try:
        return int(module.run(args))
    except GraphcodeError as err:
        print(f"graphcode {name}: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print(f"graphcode {name}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
