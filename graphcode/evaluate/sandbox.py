"""Run untrusted generated Python programs (HumanEval form) in a sandbox, one process tree per program.

Every program runs in a fresh interpreter (``python -I``), started as a new process (never a fork of the
evaluator's interpreter state) in its own session, in a fresh temporary directory that is deleted afterwards.
Layers, each used where the platform offers it; ``ExecutionResult.isolation`` names those that were applied:

=================  ==========================================================================================
layer              what it contains
=================  ==========================================================================================
namespaces         new mount, network, pid, IPC and UTS namespaces (inside a user namespace when the
                   evaluator is not root): no network but a loopback that is down; the program sees only its
                   own processes; when the sandbox's init dies the kernel kills every process left in it,
                   ``setsid()`` or not; the work directory is a size-capped tmpfs (``disk_bytes``); every other
                   mount is read-only (``read-only-root``, Linux ≥ 5.12); world-writable scratch directories
                   (``/tmp``, ``/dev/shm``, ...) and directories the sandbox user may not enter (``/root``) are
                   hidden behind empty tmpfs that re-expose only the interpreter and the sandbox directory.
unprivileged uid   when the evaluator is root, the program runs as ``nobody`` with no capabilities and
                   ``no_new_privs``: it cannot change the evaluator's files, cannot signal the evaluator, and
                   ``RLIMIT_NPROC`` (never enforced for root) bounds its processes.
Landlock           (Linux ≥ 5.13, any user) writes only inside the work directory; no TCP bind or connect
                   (ABI ≥ 4); no signals to processes outside the sandbox (ABI ≥ 6). Landlock does not cover
                   chmod, chown or utime; the two layers above do.
rlimits            ``RLIMIT_CPU``, ``RLIMIT_AS``, ``RLIMIT_NPROC`` (threads count too), ``RLIMIT_FSIZE``,
                   ``RLIMIT_NOFILE``, no core dumps.
socket guard       the weak fallback when neither a network namespace nor Landlock's TCP rules are available:
                   the runner replaces Python's socket constructors by a function that raises. Code that
                   reaches the OS another way (ctypes, a subprocess) is not stopped by it.
=================  ==========================================================================================

The evaluator reads at most ``max_output_bytes`` of the merged stdout/stderr, enforces a wall-clock
``timeout_s`` and afterwards always kills the sandbox's whole process group with ``SIGKILL``, then waits until
the kernel has torn the sandbox down. The program's parent is the sandbox's init process, never the
evaluator, so ``os.kill(os.getppid(), ...)`` cannot reach the evaluator.

Without an unprivileged uid, Landlock or a read-only mount tree, nothing keeps a program from changing the
evaluator's files; the sandbox then refuses to run (status ``error``) unless ``require_containment=False``.
Without a pid namespace, a process that leaves the sandbox's session escapes the final kill.
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import pwd
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from graphcode.errors import ConfigError
from graphcode.evaluate import _sandbox_boot, _sandbox_runner

_BOOT = Path(_sandbox_boot.__file__)
_RUNNER_SOURCE = Path(_sandbox_runner.__file__).read_text(encoding="utf-8")
# After the sandbox is killed: how long to wait for the kernel to finish tearing it down.
_TEARDOWN_S = 10.0


class Status(enum.StrEnum):
    """How one sandboxed run ended."""

    PASSED = "passed"
    """The program ran to its end (for HumanEval: every assertion of ``check`` held)."""
    FAILED = "failed"
    """It raised, failed an assertion or called ``exit()``."""
    TIMEOUT = "timeout"
    """It ran past ``timeout_s`` of wall-clock time or ``cpu_s`` of CPU time."""
    MEMORY = "memory"
    """It ran out of ``memory_bytes`` of address space."""
    OUTPUT_LIMIT = "output_limit"
    """It printed more than ``max_output_bytes`` or wrote a file larger than ``max_file_bytes``."""
    KILLED = "killed"
    """It died of a signal (a crash, or a signal it sent to itself or its parents)."""
    ERROR = "error"
    """The sandbox itself could not be set up; the program did not run."""


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one sandboxed run."""

    timeout_s: float = 10.0
    """Wall-clock seconds after which the whole sandbox is killed (default: 10)."""
    cpu_s: int = 10
    """CPU seconds per process, ``RLIMIT_CPU`` (default: 10)."""
    memory_bytes: int = 1 << 30
    """Address space per process, ``RLIMIT_AS`` (default: 1 GiB)."""
    max_processes: int = 32
    """Processes (and threads) the sample may have at once, ``RLIMIT_NPROC`` (default: 32)."""
    max_file_bytes: int = 16 << 20
    """Largest file the sample may write, ``RLIMIT_FSIZE`` (default: 16 MiB)."""
    max_open_files: int = 64
    """Open file descriptors per process, ``RLIMIT_NOFILE`` (default: 64)."""
    max_output_bytes: int = 64 << 10
    """Bytes of stdout+stderr kept; the sandbox is killed when it prints more (default: 64 KiB)."""
    disk_bytes: int = 64 << 20
    """Size of the work directory's tmpfs, where a mount namespace is available (default: 64 MiB)."""

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not value > 0:
                raise ConfigError(f"SandboxLimits.{name}: expected a positive number, found {value!r}")
        if self.max_open_files < 16:
            raise ConfigError(
                f"SandboxLimits.max_open_files: expected at least 16 (Python needs a few to start), "
                f"found {self.max_open_files}"
            )


@dataclass(frozen=True)
class Isolation:
    """Which isolation layers to use, each where the platform offers it.

    Switching a layer off is for testing the others alone; the defaults use everything available.
    """

    namespaces: bool = True
    """New mount/network/pid/IPC/UTS namespaces (default: True)."""
    drop_privileges: bool = True
    """When the evaluator is root, run the sample as ``user`` (default: True)."""
    landlock: bool = True
    """Restrict writes, TCP and signals with Landlock (default: True)."""
    user: str = "nobody"
    """The unprivileged user of ``drop_privileges`` (default: ``"nobody"``)."""
    require_containment: bool = True
    """Refuse to run (status ``error``) without an unprivileged uid, Landlock or a read-only mount tree for a
    program that is not root (default: True)."""
    python: str | None = None
    """Interpreter for the programs (default: the evaluator's own, ``sys.executable``)."""


@dataclass(frozen=True)
class ExecutionResult:
    """The outcome of one sandboxed run."""

    status: Status
    """How the run ended."""
    returncode: int | None
    """The program's exit code, ``-signal`` if a signal killed it, None if it never ran or was killed by us."""
    output: str
    """Merged stdout and stderr, at most ``max_output_bytes`` of it (decoded as UTF-8, errors replaced)."""
    truncated: bool
    """Whether ``output`` was cut at ``max_output_bytes``."""
    duration_s: float
    """Wall-clock seconds from start to the sandbox's end."""
    isolation: tuple[str, ...] = field(default=())
    """The isolation layers that were applied, e.g. ``("net-ns", "pid-ns", "uid:65534", "landlock:7")``."""

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status.value, "passed": self.passed, "isolation": list(self.isolation)}


def humaneval_program(prompt: str, completion: str, test: str, entry_point: str) -> str:
    """The program HumanEval runs for one sample: ``prompt + completion``, the ``test`` code defining
    ``check(candidate)``, then ``check(entry_point)``."""
    return f"{prompt}{completion}\n\n{test}\n\ncheck({entry_point})\n"


class Sandbox:
    """Runs programs one at a time, each in a fresh sandbox.

    Args:
        limits: resource limits (default: ``SandboxLimits()``).
        isolation: isolation layers (default: ``Isolation()``, everything available).
        temp_dir: where the per-run temporary directories are made (default: the system's temp dir).

    Example::

        sandbox = Sandbox(SandboxLimits(timeout_s=3))
        result = sandbox.run_problem(prompt, completion, test, entry_point)
        result.status, result.passed
    """

    def __init__(
        self,
        limits: SandboxLimits | None = None,
        isolation: Isolation | None = None,
        temp_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.limits = limits or SandboxLimits()
        self.isolation = isolation or Isolation()
        self.temp_dir = None if temp_dir is None else os.fspath(temp_dir)
        self.python = self.isolation.python or sys.executable
        self.drop_to: tuple[int, int] | None = None
        if os.geteuid() == 0 and self.isolation.drop_privileges:
            try:
                entry = pwd.getpwnam(self.isolation.user)
            except KeyError:
                raise ConfigError(
                    f"Isolation.user: expected an existing user to run programs as, found {self.isolation.user!r}"
                ) from None
            if entry.pw_uid == 0:
                raise ConfigError(f"Isolation.user: expected an unprivileged user, found {self.isolation.user!r} (uid 0)")
            self.drop_to = (entry.pw_uid, entry.pw_gid)

    def for_worker(self, index: int) -> Sandbox:
        """A sandbox like this one for concurrent worker ``index`` (0 is this one). Each sandbox is fresh for every
        run whatever the worker; what workers would share is the process count that ``RLIMIT_NPROC`` keeps per
        user, so as root each worker runs its samples as a uid of its own (from :data:`WORKER_UIDS`, unused by any
        account): a fork bomb in one worker's sample cannot starve another's."""
        if index == 0:
            return self
        other = Sandbox(self.limits, self.isolation, self.temp_dir)
        if self.drop_to is not None:
            other.drop_to = (_free_uid(index), self.drop_to[1])
        return other

    def run_problem(self, prompt: str, completion: str, test: str, entry_point: str) -> ExecutionResult:
        """Run one HumanEval-form sample; see :func:`humaneval_program`."""
        return self.run(humaneval_program(prompt, completion, test, entry_point))

    def run(self, program: str) -> ExecutionResult:
        """Run ``program`` (Python source) in a fresh sandbox and return how it ended."""
        start = time.monotonic()
        with self._sandbox_dir() as root:
            program_path = root / "program.py"
            program_path.write_text(program, encoding="utf-8")
            program_path.chmod(0o644)
            work = root / "work"
            work.mkdir()
            uid, gid = self.drop_to or (os.getuid(), os.getgid())
            if self.drop_to is not None:
                os.chown(work, uid, gid)
            work.chmod(0o700)
            config = {
                "evaluator_pid": os.getpid(),
                "python": self.python,
                "runner_source": _RUNNER_SOURCE,
                "program_path": str(program_path),
                "work_dir": str(work),
                "limits": asdict(self.limits),
                "namespaces": self.isolation.namespaces,
                "landlock": self.isolation.landlock,
                "require_containment": self.isolation.require_containment,
                "drop_to": self.drop_to,
                "sample_uid": uid,
                "sample_gid": gid,
                # RLIMIT_NPROC's count before the program starts; the bootstrap and init are ours when we
                # do not change uid.
                "uid_process_count": _count_processes(uid) + (2 if self.drop_to is None else 0),
                "views": _views(self._needed_paths(root), uid, gid) if self.drop_to else [],
            }
            read_fd, write_fd = os.pipe()
            config["status_fd"] = write_fd
            try:
                proc = subprocess.Popen(
                    [sys.executable, "-I", str(_BOOT), json.dumps(config)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    cwd=root,
                    env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                    start_new_session=True,
                    pass_fds=(write_fd,),
                    close_fds=True,
                )
            except BaseException:
                os.close(read_fd)
                raise
            finally:
                os.close(write_fd)
            try:
                output, truncated, stopped = self._collect(proc, start)
            finally:
                _kill_group(proc)
                events = _read_events(read_fd)
                os.close(read_fd)
                _wait_teardown(events.get("init", {}).get("pid"), proc.pid)
        duration = time.monotonic() - start
        return _result(events, output, truncated, stopped, duration, self.limits)

    # --- helpers ---

    @contextlib.contextmanager
    def _sandbox_dir(self) -> Iterator[Path]:
        root = Path(tempfile.mkdtemp(prefix="graphcode-sandbox-", dir=self.temp_dir))
        try:
            root.chmod(0o755)  # the unprivileged user must be able to enter it
            yield root
        finally:
            _remove_tree(root)

    def _needed_paths(self, root: Path) -> list[str]:
        """Directories the unprivileged user must reach: the interpreter's and the sandbox directory."""
        paths = {str(root), os.path.dirname(os.path.realpath(self.python))}
        if self.isolation.python is None:
            paths |= {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}
        else:
            paths.add(os.path.dirname(os.path.dirname(os.path.realpath(self.python))))
        return sorted(paths)

    def _collect(self, proc: subprocess.Popen[bytes], start: float) -> tuple[bytes, bool, str | None]:
        """Read the merged output until the bootstrap exits (or EOF), the output cap or the deadline.

        Returns ``(output, truncated, stopped)`` where ``stopped`` is ``"timeout"``, ``"output"`` or None.
        """
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        cap = self.limits.max_output_bytes
        deadline = start + self.limits.timeout_s
        output = bytearray()
        exited = _exit_watch(proc)
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ, "output")
            if exited.fd is not None:
                selector.register(exited.fd, selectors.EVENT_READ, "exit")
            open_ = True
            while open_:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    exited.close()
                    return bytes(output), False, "timeout"
                ready = selector.select(remaining if exited.fd is not None else min(remaining, 0.05))
                if any(key.data == "exit" for key, _ in ready) or proc.poll() is not None:
                    break
                for _key, _ in ready:
                    chunk = os.read(fd, 1 << 16)
                    if not chunk:  # EOF: every process of the sandbox has closed its stdout
                        open_ = False
                        break
                    room = cap - len(output)
                    output += chunk[:room]
                    if len(chunk) > room:
                        exited.close()
                        return bytes(output), True, "output"
        exited.close()
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return bytes(output), False, "timeout"
        # The program has ended; keep what it wrote last, without waiting for processes it left behind.
        truncated = _drain(fd, output, cap)
        return bytes(output), truncated, None


class _ExitWatch:
    """A pidfd that becomes readable when the process exits (Linux ≥ 5.3); ``fd`` is None without one."""

    def __init__(self, fd: int | None) -> None:
        self.fd = fd

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _exit_watch(proc: subprocess.Popen[bytes]) -> _ExitWatch:
    try:
        return _ExitWatch(os.pidfd_open(proc.pid))
    except (AttributeError, OSError):  # no pidfd: the caller polls
        return _ExitWatch(None)


def _drain(fd: int, output: bytearray, cap: int) -> bool:
    """Read what is already in the pipe, without blocking, up to ``cap`` bytes in all. Returns whether data
    was left unread."""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while selector.select(0):
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return False
            room = cap - len(output)
            output += chunk[:room]
            if len(chunk) > room:
                return True
    return False


# World-writable directories an unprivileged user could still fill; hidden behind an empty tmpfs too.
_SCRATCH_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/dev/mqueue")


WORKER_UIDS = range(61184, 65520)
"""Unprivileged uids for the samples of concurrent workers as root: systemd's range for dynamic users, used only
when no account has the uid."""


def _free_uid(index: int) -> int:
    """The ``index``-th uid of :data:`WORKER_UIDS` that no account has."""
    found = 0
    for uid in WORKER_UIDS:
        try:
            pwd.getpwuid(uid)
        except KeyError:
            found += 1
            if found == index:
                return uid
    raise ConfigError(f"sandbox workers: expected {index} unused uids in {WORKER_UIDS.start}..{WORKER_UIDS.stop - 1}, "
                      f"found {found}")


def _views(paths: list[str], uid: int, gid: int) -> list[tuple[str, list[str]]]:
    """The directories to hide behind an empty tmpfs, each with the needed paths to re-expose beneath it.

    Hidden: for every needed path that ``uid:gid`` cannot reach, its highest ancestor that the user may not
    enter (so the interpreter under ``/root`` stays usable while the rest of ``/root`` disappears); and every
    world-writable scratch directory (``/tmp``, ``/dev/shm``, ...), so the user can write nowhere but its work
    directory even without Landlock.
    """
    hides = {
        os.path.realpath(d) for d in _SCRATCH_DIRS
        if os.path.isdir(d) and not os.path.islink(d) and os.stat(d).st_mode & 0o002
    }
    for path in paths:
        parts = Path(path).parts
        for depth in range(1, len(parts) + 1):
            ancestor = os.path.join(*parts[:depth])
            if not _searchable(ancestor, uid, gid):
                if ancestor == "/":
                    raise ConfigError(f"sandbox: expected '/' to be searchable by uid {uid}, found it is not")
                hides.add(ancestor)
                break
    # Keep only the outermost of nested directories; hiding it hides what is inside.
    outermost = sorted(h for h in hides if not any(_is_under(h, other) for other in hides if other != h))
    return [(hide, [p for p in paths if _is_under(p, hide)]) for hide in outermost]


def _is_under(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def _searchable(path: str, uid: int, gid: int) -> bool:
    """Whether ``uid:gid`` (no supplementary groups) may enter the directory ``path``."""
    st = os.stat(path)
    if st.st_uid == uid:
        return bool(st.st_mode & 0o100)
    if st.st_gid == gid:
        return bool(st.st_mode & 0o010)
    return bool(st.st_mode & 0o001)


def _count_processes(uid: int) -> int:
    """Processes on this host whose real uid is ``uid`` (what ``RLIMIT_NPROC`` counts)."""
    count = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status", encoding="ascii", errors="replace") as f:
                for line in f:
                    if line.startswith("Uid:"):
                        count += int(line.split()[1]) == uid
                        break
        except OSError:  # the process has exited
            continue
    return count


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the sandbox's process group. Its leader is our unreaped child, so the id cannot be reused."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def _read_events(fd: int) -> dict[str, dict[str, Any]]:
    """The bootstrap's status events, by name (the last of each kind wins). Waits for every writer to close the
    pipe, which they do when they die; bounded in case one lingers."""
    data = bytearray()
    deadline = time.monotonic() + _TEARDOWN_S
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while (remaining := deadline - time.monotonic()) > 0 and selector.select(remaining):
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            data += chunk
    events: dict[str, dict[str, Any]] = {}
    for line in data.decode("utf-8", errors="replace").splitlines():
        with contextlib.suppress(ValueError, TypeError, KeyError):
            event = json.loads(line)
            events.setdefault(event["event"], event)  # the first error is the cause
            if event["event"] != "error":
                events[event["event"]] = event
    return events


def _wait_teardown(init_pid: int | None, pgid: int) -> None:
    """Wait until the sandbox is gone: no live process left in its process group (killing stragglers that a
    fork created while the group was being killed), and its init gone or a zombie (the kernel makes a pid
    namespace's init a zombie only after every other process in the namespace has died). Bounded."""
    deadline = time.monotonic() + _TEARDOWN_S
    while time.monotonic() < deadline:
        if not _group_alive(pgid) and (init_pid is None or not _alive_in_group(init_pid, pgid)):
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        time.sleep(0.01)


def _stat(pid: int | str) -> tuple[str, int] | None:
    """``(state, process group)`` of a process, from /proc; None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[2])


def _alive_in_group(pid: int | str, pgid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in "ZX" and stat[1] == pgid


def _group_alive(pgid: int) -> bool:
    return any(entry.name.isdigit() and _alive_in_group(entry.name, pgid) for entry in os.scandir("/proc"))


def _remove_tree(root: Path) -> None:
    """Delete the sandbox directory, even where the program left directories without write permission."""

    def make_writable_and_retry(function: Any, path: str, _exc: Any) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
        with contextlib.suppress(OSError):
            function(path)

    shutil.rmtree(root, onerror=make_writable_and_retry)


def _result(
    events: dict[str, dict[str, Any]],
    output: bytes,
    truncated: bool,
    stopped: str | None,
    duration: float,
    limits: SandboxLimits,
) -> ExecutionResult:
    """Turn what the sandbox reported into an :class:`ExecutionResult`."""
    text = output.decode("utf-8", errors="replace")
    isolation = tuple(events.get("isolation", {}).get("applied", ()))
    exit_event = events.get("exit")
    returncode: int | None = None
    if exit_event is not None:
        wait_status = int(exit_event["wait_status"])
        returncode = os.waitstatus_to_exitcode(wait_status)
    if "error" in events:
        status = Status.ERROR
        text = f"{events['error']['message']}\n{text}"
    elif stopped == "timeout":
        status = Status.TIMEOUT
    elif stopped == "output":
        status = Status.OUTPUT_LIMIT
    elif returncode is None:  # the sandbox died before the program ended: something killed it
        status = Status.KILLED
    elif returncode == _sandbox_runner.EXIT_OK:
        status = Status.PASSED
    elif returncode == _sandbox_runner.EXIT_MEMORY:
        status = Status.MEMORY
    elif returncode == -signal.SIGXCPU or (returncode == -signal.SIGKILL and exit_event["cpu_s"] >= limits.cpu_s):
        status = Status.TIMEOUT  # RLIMIT_CPU: SIGXCPU at the soft limit, SIGKILL one second later
    elif returncode in (_sandbox_runner.EXIT_FILE_TOO_LARGE, -signal.SIGXFSZ):
        status = Status.OUTPUT_LIMIT
    elif returncode < 0:
        status = Status.KILLED
    else:
        status = Status.FAILED
    return ExecutionResult(status, returncode, text, truncated, duration, isolation)
