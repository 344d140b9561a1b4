"""The runner of one sandboxed program: ``python -I -c <this file's text> PROGRAM_PATH [--no-network]``.

It runs inside the sandbox (see :mod:`graphcode.evaluate._sandbox_boot`) as the last, unprivileged step, and
imports only the standard library. Exit codes tell the evaluator what happened:

- ``EXIT_OK`` (0): the program ran to its end;
- ``EXIT_FAILED``: it raised (the traceback goes to stderr) or called ``exit()``/``sys.exit()`` — a HumanEval
  check that returns early by exiting has not passed;
- ``EXIT_MEMORY``: it raised ``MemoryError`` (``RLIMIT_AS`` was reached);
- ``EXIT_FILE_TOO_LARGE``: it raised ``OSError(EFBIG)`` (``RLIMIT_FSIZE`` was reached; Python ignores
  ``SIGXFSZ``, so the write fails instead of killing the process).

A program that calls ``os._exit(0)`` itself cannot be told from one that passed: the sandbox contains
programs, it does not stop one from gaming its own score.

``--no-network`` is the weak fallback used when the kernel offers neither a network namespace nor Landlock's
TCP rules: it replaces socket creation by a function that raises ``PermissionError``. Code that reaches the
OS some other way (ctypes, a subprocess) is not stopped by it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import traceback

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_MEMORY = 86
EXIT_FILE_TOO_LARGE = 87


def _block_network() -> None:
    import _socket
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError("network access is disabled in the graphcode sandbox")

    for module in (socket, _socket):
        for name in ("socket", "socketpair", "fromfd", "create_connection", "create_server", "getaddrinfo"):
            if hasattr(module, name):
                setattr(module, name, refuse)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # the evaluator stopped reading; nothing to do
            stream.flush()


def main(argv: list[str]) -> int:
    with open(argv[1], encoding="utf-8") as f:
        source = f.read()
    if "--no-network" in argv[2:]:
        _block_network()
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    try:
        exec(compile(source, "program.py", "exec"), namespace)
    except MemoryError:
        os.write(2, b"MemoryError: the program ran out of its memory limit\n")
        return EXIT_MEMORY
    except OSError as err:
        if err.errno != errno.EFBIG:
            traceback.print_exception(type(err), err, err.__traceback__.tb_next)
            return EXIT_FAILED
        os.write(2, b"OSError: a file grew past the sandbox's file size limit\n")
        return EXIT_FILE_TOO_LARGE
    except SystemExit as exit_:
        _flush()
        os.write(2, f"the program called exit({exit_.code!r}) before finishing\n".encode())
        return EXIT_FAILED
    except BaseException as err:
        traceback.print_exception(type(err), err, err.__traceback__.tb_next)  # without the runner's own frame
        return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":
    code = main(sys.argv)
    _flush()
    os._exit(code)
