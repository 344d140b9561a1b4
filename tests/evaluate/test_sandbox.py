"""The sandbox contains each kind of hostile program, reports it as that program's failure, and the evaluator
(this test process) survives and runs the next program.

Each containment test runs under every isolation variant that enforces it on this machine, so every layer is
shown to work alone as well as together; variants the platform lacks are skipped.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphcode.errors import ConfigError
from graphcode.evaluate.sandbox import (
    ExecutionResult,
    Isolation,
    Sandbox,
    SandboxLimits,
    Status,
    humaneval_program,
)

LIMITS = SandboxLimits(timeout_s=3, cpu_s=2, memory_bytes=256 << 20, max_processes=8, max_output_bytes=4096)
# For programs that run until a limit stops them.
QUICK = SandboxLimits(timeout_s=1.5, cpu_s=1, memory_bytes=256 << 20, max_processes=8, max_output_bytes=4096)
IS_ROOT = os.geteuid() == 0

# name -> (isolation, the layer that must be applied for the variant to mean anything)
VARIANTS: dict[str, tuple[Isolation, str]] = {
    "all": (Isolation(), "rlimits"),
    "namespaces+uid": (Isolation(landlock=False), "uid:"),
    "landlock-only": (Isolation(namespaces=False, drop_privileges=False), "landlock:"),
    # Without a mount namespace nothing exposes an interpreter under /root: the fixture picks one nobody can run.
    "uid-only": (Isolation(namespaces=False, landlock=False), "uid:"),
}


def _interpreter_for(uid: int, gid: int) -> str | None:
    """A Python ≥ 3.10 that ``uid`` can run: ours if it can reach it, else the system's."""
    for candidate in (sys.executable, "/usr/bin/python3"):
        real = os.path.realpath(candidate)
        parts = Path(real).parts
        reachable = all(
            os.stat(os.path.join(*parts[:i])).st_mode & 0o001 for i in range(1, len(parts))
        ) and os.stat(real).st_mode & 0o001
        if reachable:
            probe = subprocess.run([real, "-c", "import sys; print(sys.version_info >= (3, 10))"],
                                   capture_output=True, text=True, user=uid, group=gid, extra_groups=[])
            if probe.stdout.strip() == "True":
                return real
    return None


def _nobody() -> tuple[int, int]:
    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


def _layers_available(isolation: Isolation, layer: str) -> bool:
    result = Sandbox(LIMITS, isolation).run("pass")
    return result.passed and any(applied.startswith(layer) for applied in result.isolation)


@pytest.fixture(scope="module", params=list(VARIANTS))
def sandbox(request: pytest.FixtureRequest) -> Sandbox:
    isolation, layer = VARIANTS[request.param]
    if request.param == "uid-only":
        python = _interpreter_for(*_nobody()) if IS_ROOT else None
        if python is None:
            pytest.skip("no interpreter that the unprivileged user can run without a mount namespace")
        isolation = dataclasses.replace(isolation, python=python)
    if not _layers_available(isolation, layer):
        pytest.skip(f"isolation variant {request.param!r} needs {layer!r}, which this platform does not offer")
    return Sandbox(LIMITS, isolation)


@functools.cache
def _default_sandbox_works() -> bool:
    return Sandbox(LIMITS).run("pass").passed


def _default(limits: SandboxLimits, temp_dir: Path | None = None) -> Sandbox:
    """A sandbox with every layer the platform offers; skips the test where it refuses to run at all."""
    if not _default_sandbox_works():
        pytest.skip("the sandbox finds no filesystem containment on this platform and refuses to run")
    return Sandbox(limits, temp_dir=temp_dir)


def _code(source: str) -> str:
    return textwrap.dedent(source).strip() + "\n"


def _assert_next_program_runs(sandbox: Sandbox) -> None:
    result = sandbox.run("print(sum(range(10)))")
    assert result.status is Status.PASSED, result
    assert result.output == "45\n"


def _nproc_enforced(result: ExecutionResult) -> bool:
    """RLIMIT_NPROC binds every uid but root's: it holds once the program runs as an unprivileged uid."""
    return not IS_ROOT or any(layer.startswith(("uid:", "user-ns")) for layer in result.isolation)


def _metadata_contained(result: ExecutionResult) -> bool:
    """chmod/chown outside the work directory are stopped by an unprivileged uid or a read-only mount tree
    (for a program that is not root), not by Landlock."""
    layers = result.isolation
    return any(layer.startswith("uid:") for layer in layers) or ("read-only-root" in layers and not IS_ROOT)


def _processes_with(marker: str) -> list[int]:
    """Live host processes whose command line or environment contains ``marker``."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                state = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()[0]
                seen = Path(f"/proc/{entry.name}/cmdline").read_bytes() + Path(f"/proc/{entry.name}/environ").read_bytes()
            except OSError:
                continue
            if state not in "ZX" and marker.encode() in seen:
                found.append(int(entry.name))
    return found


# --- ordinary programs -----------------------------------------------------------------------------------------


def test_humaneval_pass_and_fail(sandbox: Sandbox) -> None:
    prompt = 'def add(a, b):\n    """Add two numbers."""\n'
    test = "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"
    good = sandbox.run_problem(prompt, "    return a + b\n", test, "add")
    bad = sandbox.run_problem(prompt, "    return a - b\n", test, "add")
    assert (good.status, good.returncode, good.passed) == (Status.PASSED, 0, True)
    assert (bad.status, bad.returncode, bad.passed) == (Status.FAILED, 1, False)
    assert "AssertionError" in bad.output
    assert 'File "program.py"' in bad.output


def test_humaneval_program_layout() -> None:
    program = humaneval_program("def f():\n", "    return 1\n", "def check(c):\n    assert c() == 1\n", "f")
    assert program.startswith("def f():\n    return 1\n")
    assert program.rstrip().endswith("check(f)")
    compile(program, "program.py", "exec")


def test_exit_before_the_checks_is_a_failure() -> None:
    sandbox = _default(LIMITS)
    for call in ("exit(0)", "import sys; sys.exit(0)", "raise SystemExit"):
        result = sandbox.run(f"{call}\nassert False")
        assert result.status is Status.FAILED, (call, result)
        assert "called exit" in result.output


def test_output_is_captured_in_order() -> None:
    result = _default(LIMITS).run("import sys\nprint('out')\nsys.stdout.flush()\nprint('err', file=sys.stderr)")
    assert result.output == "out\nerr\n"
    assert not result.truncated


def test_runs_in_a_fresh_temporary_directory_that_is_deleted(tmp_path: Path) -> None:
    sandbox = _default(QUICK, temp_dir=tmp_path)
    first = sandbox.run("import os\nopen('left.txt', 'w').write('x')\nprint(os.getcwd())\nprint(os.listdir('.'))")
    second = sandbox.run("import os\nprint(os.getcwd())\nprint(os.listdir('.'))")
    assert first.passed and second.passed, (first, second)
    assert first.output.splitlines()[1] == "['left.txt']"
    assert second.output.splitlines()[1] == "[]"  # nothing carried over from the first program
    assert first.output.splitlines()[0] != second.output.splitlines()[0]
    timed_out = sandbox.run("while True: pass")
    assert timed_out.status is Status.TIMEOUT
    assert list(tmp_path.iterdir()) == []  # every sandbox directory was removed, even after a timeout


def test_the_evaluators_environment_is_not_inherited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHCODE_SECRET_TOKEN", "hunter2")
    result = _default(LIMITS).run("import os, sys\nprint(sorted(os.environ))\nprint(sys.flags.isolated)")
    assert result.passed, result
    assert "GRAPHCODE_SECRET_TOKEN" not in result.output
    assert result.output.splitlines()[1] == "1"  # python -I


# --- hostile programs -------------------------------------------------------------------------------------------


def test_infinite_loop_times_out() -> None:
    # The CPU limit (1 s) or the wall clock (1.5 s), whichever comes first, ends it. Both are enforced the same
    # way under every isolation variant, so the default one is enough.
    sandbox = _default(QUICK)
    result = sandbox.run("while True:\n    pass")
    assert result.status is Status.TIMEOUT, result
    assert not result.passed
    _assert_next_program_runs(sandbox)


def test_sleeping_program_is_killed_at_the_wall_clock_timeout() -> None:
    # Sleeping uses no CPU: only the wall-clock timeout can end it.
    sandbox = _default(SandboxLimits(timeout_s=1, cpu_s=5, memory_bytes=256 << 20))
    result = sandbox.run("import time\nprint('started', flush=True)\ntime.sleep(60)")
    assert result.status is Status.TIMEOUT, result
    assert result.returncode is None  # we killed the sandbox before the program ended
    assert result.output == "started\n"
    _assert_next_program_runs(sandbox)


def test_fork_bomb_is_bounded_and_reported(sandbox: Sandbox) -> None:
    marker = f"graphcode-forkbomb-{uuid.uuid4().hex}"
    bomb = _code(
        f"""
        import os, sys, time
        forked = 0
        try:
            while forked < 1000:
                if os.fork() == 0:
                    os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(60)  # {marker}"])
                forked += 1
        finally:
            print("forked", forked, flush=True)
        """
    )
    if not _nproc_enforced(sandbox.run("pass")):
        pytest.skip("RLIMIT_NPROC is not enforced for root without an unprivileged uid or a user namespace")
    result = sandbox.run(bomb)
    assert result.status is Status.FAILED, result
    assert "BlockingIOError" in result.output or "PermissionError" in result.output, result.output
    forked = int(re.search(r"forked (\d+)", result.output).group(1))
    assert forked < LIMITS.max_processes
    assert _processes_with(marker) == []  # every child was killed with the sandbox
    _assert_next_program_runs(sandbox)


def test_classic_fork_bomb_times_out_and_leaves_nothing(tmp_path: Path) -> None:
    # Bounded by RLIMIT_NPROC (shown for every variant by the test above), ended by the timeout.
    sandbox = _default(QUICK, temp_dir=tmp_path)
    if not _nproc_enforced(sandbox.run("pass")):
        pytest.skip("RLIMIT_NPROC is not enforced for root without an unprivileged uid or a user namespace")
    marker = str(tmp_path)  # in every sandboxed process's environment: HOME is its work directory
    bomb = _code(
        """
        import os
        print("bombing", flush=True)
        while True:
            try:
                os.fork()
            except OSError:
                pass
        """
    )
    result = sandbox.run(bomb)
    assert result.status is Status.TIMEOUT, result
    assert result.output.startswith("bombing\n"), result
    assert _processes_with(marker) == []
    _assert_next_program_runs(sandbox)


def test_process_that_leaves_the_session_is_killed_too(sandbox: Sandbox) -> None:
    if not sandbox.isolation.namespaces:
        pytest.skip("only a pid namespace kills processes that left the sandbox's session")
    marker = f"graphcode-escapee-{uuid.uuid4().hex}"
    escapee = _code(
        f"""
        import os, sys
        ready, tell = os.pipe()
        if os.fork() == 0:
            os.setsid()
            os.set_inheritable(tell, True)
            sleeper = f"import os, time; os.write({{tell}}, b'x'); time.sleep(60)  # {marker}"
            os.execv(sys.executable, [sys.executable, "-c", sleeper])
        assert os.read(ready, 1) == b"x"  # the escapee runs, in its own session
        print("escapee running", flush=True)
        """
    )
    result = sandbox.run(escapee)
    assert result.passed and result.output == "escapee running\n", result
    assert _processes_with(marker) == []


def test_memory_blowup_is_reported() -> None:
    sandbox = _default(LIMITS)  # RLIMIT_AS works alike under every isolation variant
    grow = _code(
        """
        chunks = []
        while True:
            chunks.append(bytearray(16 << 20))
        """
    )
    result = sandbox.run(grow)
    assert result.status is Status.MEMORY, result
    assert "MemoryError" in result.output
    one_big = sandbox.run("x = bytearray(8 << 30)")
    assert one_big.status is Status.MEMORY, one_big
    _assert_next_program_runs(sandbox)


def test_gigabytes_of_output_are_cut_and_the_program_killed() -> None:
    sandbox = _default(LIMITS)  # the evaluator enforces the cap, whatever the isolation
    result = sandbox.run("import sys\nline = 'x' * 1023 + '\\n'\nwhile True:\n    sys.stdout.write(line)")
    assert result.status is Status.OUTPUT_LIMIT, result
    assert result.truncated
    assert len(result.output.encode()) == LIMITS.max_output_bytes
    assert set(result.output) == {"x", "\n"}
    _assert_next_program_runs(sandbox)


def test_large_file_is_stopped_by_the_file_size_limit(sandbox: Sandbox) -> None:
    limits = SandboxLimits(timeout_s=3, cpu_s=2, memory_bytes=256 << 20, max_file_bytes=1 << 20)
    program = "with open('big.bin', 'wb') as f:\n    for _ in range(64):\n        f.write(b'x' * (1 << 20))"
    result = Sandbox(limits, sandbox.isolation).run(program)
    assert result.status is Status.OUTPUT_LIMIT, result
    assert "file size limit" in result.output
    assert result.returncode == 87  # the runner's EXIT_FILE_TOO_LARGE


def test_work_directory_size_is_capped() -> None:
    limits = SandboxLimits(timeout_s=3, cpu_s=2, memory_bytes=256 << 20, max_file_bytes=2 << 20, disk_bytes=3 << 20)
    sandbox = _default(limits)
    program = "for i in range(4):\n    with open(f'part{i}.bin', 'wb') as f:\n        f.write(b'x' * (1 << 20))"
    result = sandbox.run(program)
    if "work-tmpfs" not in result.isolation:
        pytest.skip("the work directory is a size-capped tmpfs only inside a mount namespace")
    assert result.status is Status.FAILED, result
    assert "No space left on device" in result.output


def _visible_system_dir() -> str | None:
    """A directory that stays visible inside the sandbox (not a world-writable scratch dir that the sandbox hides)
    and where this process may create a directory."""
    for candidate in ("/run", "/var/cache", "/opt"):
        if os.path.isdir(candidate) and os.access(candidate, os.W_OK) and not os.stat(candidate).st_mode & 0o002:
            return candidate
    return None


@pytest.fixture(params=["private-tmp", "readable-elsewhere"])
def users_files(request: pytest.FixtureRequest) -> Iterator[Path]:
    """A directory of the evaluator's user, standing for their files.

    ``private-tmp``: made by ``tempfile.mkdtemp`` (mode 0700) under /tmp, which the sandbox may hide entirely.
    ``readable-elsewhere``: mode 0755 with a 0644 file, in a directory the sandbox leaves visible, so the program
    can see and read the file and only the isolation layers keep it from changing it.
    """
    if request.param == "private-tmp":
        directory = Path(tempfile.mkdtemp(prefix="graphcode-users-files-"))
    else:
        parent = _visible_system_dir()
        if parent is None:
            pytest.skip("no visible directory to create the user's files in")
        directory = Path(tempfile.mkdtemp(prefix="graphcode-users-files-", dir=parent))
        directory.chmod(0o755)
    (directory / "precious.txt").write_text("keep me")
    (directory / "precious.txt").chmod(0o644)
    yield directory
    shutil.rmtree(directory)


WRITE_ATTACKS = {
    "overwrite": "open(VICTIM, 'w').write('overwritten')",
    "append": "open(VICTIM, 'a').write('appended')",
    "delete": "os.remove(VICTIM)",
    "rename": "os.rename(VICTIM, VICTIM + '.moved')",
    "plant": "open(NEW, 'w').write('planted')",
    "symlink": "os.symlink('/etc/passwd', NEW)",
    "rmtree": "shutil.rmtree(DIRECTORY)",
    "chmod": "os.chmod(VICTIM, 0o666)",
}


def test_writing_or_deleting_outside_the_temporary_directory_fails(sandbox: Sandbox, users_files: Path) -> None:
    victim, new = users_files / "precious.txt", users_files / "planted.txt"
    before = sorted(p.name for p in users_files.iterdir())
    attacks = dict(WRITE_ATTACKS)
    if not _metadata_contained(sandbox.run("pass")):
        del attacks["chmod"]  # Landlock does not cover chmod/chown/utime; see the sandbox's docs
    # One program tries every attack, reports how each ended (errno name), then re-raises the first error.
    attempts = "\n".join(
        f"try:\n    {code}\n    print({name!r}, 'succeeded')\n"
        f"except OSError as err:\n    print({name!r}, errno.errorcode[err.errno])\n    errors.append(err)"
        for name, code in attacks.items()
    )
    program = (
        f"import errno, os, shutil\nVICTIM, NEW, DIRECTORY = {str(victim)!r}, {str(new)!r}, {str(users_files)!r}\n"
        f"errors = []\n{attempts}\nraise errors[0]\n"
    )
    result = sandbox.run(program)
    assert result.status is Status.FAILED, result
    outcomes = dict(line.split(" ", 1) for line in result.output.splitlines() if line.split(" ")[0] in attacks)
    assert set(outcomes) == set(attacks), result.output
    # Denied (by permissions, Landlock or the read-only mount tree), or, when the sandbox hides the directory
    # behind its view of /tmp, not there at all; never done.
    denied = {"EACCES", "EPERM", "EROFS"}
    visible = bool(users_files.stat().st_mode & 0o005)
    for name, outcome in outcomes.items():
        assert outcome in (denied if visible else denied | {"ENOENT"}), (name, outcome, result.output)
    assert victim.read_text() == "keep me"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert sorted(p.name for p in users_files.iterdir()) == before
    _assert_next_program_runs(sandbox)


def test_visible_files_can_be_read_but_not_changed(sandbox: Sandbox) -> None:
    parent = _visible_system_dir()
    if parent is None:
        pytest.skip("no visible directory to create the user's files in")
    directory = Path(tempfile.mkdtemp(prefix="graphcode-readable-", dir=parent))
    try:
        directory.chmod(0o755)
        (directory / "notes.txt").write_text("public notes")
        (directory / "notes.txt").chmod(0o644)
        read = sandbox.run(f"print(open({str(directory / 'notes.txt')!r}).read())")
        assert read.passed and read.output == "public notes\n", read
    finally:
        shutil.rmtree(directory)


def test_world_writable_directories_are_not_writable_either(sandbox: Sandbox) -> None:
    layers = sandbox.run("pass").isolation
    if not ("view:/tmp" in layers or "read-only-root" in layers or any(x.startswith("landlock:") for x in layers)):
        pytest.skip("an unprivileged uid alone may write where everyone may: the mount view or Landlock stop it")
    name = f"/tmp/graphcode-planted-{uuid.uuid4().hex}"
    result = sandbox.run(f"open({name!r}, 'w').write('planted')")
    assert result.status is Status.FAILED, result
    assert re.search(r"PermissionError|Read-only file system", result.output), result.output
    assert not os.path.exists(name)


def test_opening_a_socket_reaches_nobody(sandbox: Sandbox) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        program = _code(
            f"""
            import socket
            with socket.create_connection(("127.0.0.1", {port}), timeout=1) as s:
                s.sendall(b"exfiltrated")
            """
        )
        result = sandbox.run(program)
        assert result.status is Status.FAILED, result
        assert re.search(r"PermissionError|Network is unreachable", result.output), result.output
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):  # no connection ever arrived at the listener
            listener.accept()
    _assert_next_program_runs(sandbox)


def test_socket_guard_is_the_fallback_without_kernel_network_isolation() -> None:
    # The weakest configuration: no namespaces, no Landlock; only the runner's Python-level guard.
    weak = Isolation(namespaces=False, landlock=False, drop_privileges=False, require_containment=False)
    sandbox = Sandbox(LIMITS, weak)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        result = sandbox.run(f"import socket\nsocket.create_connection(('127.0.0.1', {port}))")
        assert "socket-guard" in result.isolation
        assert result.status is Status.FAILED, result
        assert "network access is disabled" in result.output
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()


@pytest.mark.parametrize(
    "attack",
    [
        "import os, signal; os.kill(os.getppid(), signal.SIGKILL)",
        "import os, signal; os.kill(os.getppid(), signal.SIGTERM)",
        "import os, signal; os.kill({evaluator}, signal.SIGTERM)",
        "import os, signal; os.kill({evaluator}, signal.SIGKILL)",
        "import os, signal; os.killpg(0, signal.SIGKILL)",
    ],
)
def test_signals_cannot_reach_the_evaluator(sandbox: Sandbox, attack: str) -> None:
    result = sandbox.run(attack.format(evaluator=os.getpid()) + "\nprint('still here')")
    # Refused (no permission, or no such process in the sandbox's pid namespace), or the only process the
    # signal reached was the program itself.
    if result.status is Status.KILLED:
        assert result.returncode == -9 and "killpg(0" in attack, result
    else:
        assert result.status is Status.FAILED, result
        assert re.search(r"PermissionError|ProcessLookupError", result.output), result.output
    assert "still here" not in result.output
    _assert_next_program_runs(sandbox)


def test_without_containment_the_sandbox_refuses_to_run() -> None:
    none = Isolation(namespaces=False, landlock=False, drop_privileges=False)
    result = Sandbox(LIMITS, none).run("open('/tmp/never-created-by-graphcode', 'w')")
    assert result.status is Status.ERROR, result
    assert "no filesystem containment" in result.output
    assert result.returncode != 0
    assert not os.path.exists("/tmp/never-created-by-graphcode")


_PROBE = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
flags = 0x00020000 | 0x40000000 | 0x20000000  # CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID
if os.geteuid() != 0:
    flags |= 0x10000000  # CLONE_NEWUSER
print(libc.unshare(flags) == 0, max(0, libc.syscall(444, None, ctypes.c_size_t(0), 1)))
"""


def test_every_layer_the_kernel_offers_is_applied() -> None:
    # Probe the kernel independently of the sandbox, so a layer that silently stops working fails here
    # instead of skipping the variant tests.
    probe = subprocess.run([sys.executable, "-I", "-c", _PROBE], capture_output=True, text=True, check=True)
    namespaces, landlock_abi = probe.stdout.split()
    expected = {"rlimits"}
    if namespaces == "True":
        expected |= {"mount-ns", "net-ns", "pid-ns", "work-tmpfs", "read-only-root"}
    if int(landlock_abi) >= 1:
        expected.add(f"landlock:{landlock_abi}")
    if IS_ROOT:
        expected.add(f"uid:{_nobody()[0]}")
    result = Sandbox(LIMITS).run("import os\nprint(os.getuid(), os.getpid())")
    assert expected <= set(result.isolation), (expected, result)
    uid, pid = result.output.split()
    assert int(uid) != 0
    if namespaces == "True":
        assert int(pid) == 2  # the program's parent is the sandbox's init (pid 1), not the evaluator


def test_program_cannot_read_private_directories_of_root() -> None:
    if not IS_ROOT:
        pytest.skip("needs an evaluator running as root")
    private = Path(tempfile.mkdtemp(prefix="graphcode-private-"))
    try:
        (private / "secret.txt").write_text("s3cret")
        result = _default(LIMITS).run(f"print(open({str(private / 'secret.txt')!r}).read())")
        assert result.status is Status.FAILED, result
        assert re.search(r"PermissionError|FileNotFoundError", result.output), result.output  # denied or hidden
        assert "s3cret" not in result.output
    finally:
        shutil.rmtree(private)


def test_limits_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"timeout_s: expected a positive number, found 0"):
        SandboxLimits(timeout_s=0)
    with pytest.raises(ConfigError, match="max_open_files"):
        SandboxLimits(max_open_files=3)


@pytest.mark.skipif(not IS_ROOT, reason="the user to drop to is looked up only when the evaluator is root")
def test_unknown_user_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"Isolation\.user: expected an existing user.*no-such-user-graphcode"):
        Sandbox(LIMITS, Isolation(user="no-such-user-graphcode"))
    with pytest.raises(ConfigError, match="expected an unprivileged user"):
        Sandbox(LIMITS, Isolation(user="root"))


def test_result_serialises() -> None:
    result = ExecutionResult(Status.FAILED, 1, "boom", False, 0.5, ("rlimits",))
    assert result.to_dict() == {
        "status": "failed",
        "returncode": 1,
        "output": "boom",
        "truncated": False,
        "duration_s": 0.5,
        "isolation": ["rlimits"],
        "passed": False,
    }


# --- an unprivileged evaluator ----------------------------------------------------------------------------------

_UNPRIVILEGED_EVALUATOR = """
import json, os, signal, sys
from graphcode.evaluate.sandbox import Sandbox, SandboxLimits
victim = sys.argv[1]
sandbox = Sandbox(SandboxLimits(timeout_s=3, cpu_s=2, memory_bytes=256 << 20, max_processes=8))
attacks = {
    "write": f"open({victim!r}, 'w').write('overwritten')",
    "chmod": f"import os; os.chmod({victim!r}, 0o600)",
    "delete": f"import os; os.remove({victim!r})",
    "signal": f"import os, signal; os.kill({os.getpid()}, signal.SIGTERM)",
    "network": "import socket; socket.create_connection(('127.0.0.1', 9), timeout=1)",
    "fork": "import os, time\\nfor _ in range(50):\\n    if os.fork() == 0:\\n        time.sleep(30)\\n        os._exit(0)",
}
results = {name: sandbox.run(code).to_dict() for name, code in attacks.items()}
results["ok"] = sandbox.run("print('fine')").to_dict()
print(json.dumps(results))
"""


@pytest.mark.skipif(not IS_ROOT, reason="needs root to start an evaluator as another user")
def test_an_unprivileged_evaluator_is_contained_by_a_user_namespace(tmp_path: Path) -> None:
    uid, gid = _nobody()
    python = _interpreter_for(uid, gid)
    repo = Path(__file__).resolve().parents[2]
    if python is None or not os.stat(repo).st_mode & 0o001:
        pytest.skip("no interpreter or checkout that the unprivileged user can reach")
    # The unprivileged evaluator's own files: the program runs as the same uid, so permissions alone would
    # not protect them.
    home = Path(tempfile.mkdtemp(prefix="graphcode-unprivileged-"))
    try:
        victim = home / "notes.txt"
        victim.write_text("keep me")
        for path in (home, victim):
            os.chown(path, uid, gid)
        home.chmod(0o755)
        victim.chmod(0o644)
        run = subprocess.run(
            [python, "-I", "-c", f"import sys; sys.path.insert(0, {str(repo)!r})\n{_UNPRIVILEGED_EVALUATOR}",
             str(victim)],
            capture_output=True, text=True, user=uid, group=gid, extra_groups=[], cwd="/", timeout=120,
        )
        assert run.returncode == 0, run.stderr
        results = json.loads(run.stdout)
        if "user-ns" not in results["ok"]["isolation"]:
            pytest.skip("unprivileged user namespaces are not available here")
        assert results["ok"]["status"] == "passed" and results["ok"]["output"] == "fine\n"
        assert {"net-ns", "pid-ns", "read-only-root"} <= set(results["ok"]["isolation"])
        for name in ("write", "chmod", "delete", "signal", "network", "fork"):
            assert not results[name]["passed"], (name, results[name])
        assert "BlockingIOError" in results["fork"]["output"]  # RLIMIT_NPROC, counted in the user namespace
        assert victim.read_text() == "keep me"
        assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    finally:
        shutil.rmtree(home)


def test_workers_give_the_serial_report_and_keep_their_own_process_budgets(tmp_path: Path) -> None:
    """Samples run concurrently, each in its own sandbox: the report is the serial one, sample by sample, and a
    fork bomb in one worker does not take the processes another sample needs."""
    from graphcode.evaluate.inputs import Problem, Sample
    from graphcode.evaluate.report import score_execution

    sandbox = _default(dataclasses.replace(LIMITS, timeout_s=5.0))
    problems = [Problem("p/0", "def add(a, b):\n", "def check(candidate):\n    assert candidate(2, 3) == 5\n", "add")]
    bomb = ("    import os, sys\n    for _ in range(1000):\n        try:\n            os.fork() or os._exit(0)\n"
            "        except OSError:\n            break\n    return a + b\n")
    completions = ["    return a + b\n", "    return a - b\n", bomb, "    return a + b\n", "    while True: pass\n",
                   "    import subprocess\n    subprocess.run(['true'])\n    return a + b\n"]
    samples = [Sample("p/0", c, i) for i, c in enumerate(completions)]
    serial = score_execution(problems, samples, [1], sandbox, show_progress=False)
    parallel = score_execution(problems, samples, [1], sandbox, show_progress=False, workers=2)

    def outcome(report):
        return [(e["sample_index"], e["status"], e["passed"]) for e in report.examples]

    assert outcome(parallel) == outcome(serial)
    assert parallel.summary["pass_at_k"] == serial.summary["pass_at_k"]
    if sandbox.drop_to is not None:  # as root: the second worker runs as a uid of its own
        other = sandbox.for_worker(1)
        assert other.drop_to[0] != sandbox.drop_to[0] and other.for_worker(0) is other
