"""Bootstrap of the execution sandbox, run as ``python -I _sandbox_boot.py CONFIG_JSON``.

This file is executed as a script in a fresh interpreter started by :mod:`graphcode.evaluate.sandbox`; it
imports only the standard library and never runs untrusted code itself. Process tree::

    evaluator ── bootstrap (this script; own session, SIGKILLed with its whole process group afterwards)
                    └── init (pid 1 of a new pid namespace; trusted; mounts the view, reaps, reports)
                           └── sample (rlimits, unprivileged uid, no_new_privs, Landlock; execs the runner)

The sample's parent is ``init``, never the evaluator. When ``init`` exits or is killed, the kernel kills
every process left in its pid namespace, including ones that called ``setsid()``.

Everything the bootstrap learns is written as JSON lines to the status pipe (``status_fd``):
``{"event": "init", "pid": ...}``, ``{"event": "isolation", "applied": [...]}``,
``{"event": "exit", "wait_status": ..., "cpu_s": ...}`` or ``{"event": "error", "message": ...}``.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import signal
import struct
import sys
from typing import Any

# <sched.h>, <sys/mount.h>, <sys/prctl.h>
CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
SYS_MOUNT_SETATTR = 442  # Linux ≥ 5.12, the same number on every architecture
AT_FDCWD = -100
AT_RECURSIVE = 0x8000
MOUNT_ATTR_RDONLY = 1
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38

# <linux/landlock.h>; the syscall numbers are shared by every architecture that has Landlock.
SYS_LANDLOCK_CREATE_RULESET = 444
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
FS_WRITE_FILE = 1 << 1
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5
NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1  # ABI 6
# Files outside the work directory that a sample may still write to.
WRITABLE_DEVICES = ("/dev/null",)

EXIT_SETUP_ERROR = 70

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class SetupError(Exception):
    """A sandbox mechanism that was required could not be set up."""


def _check(result: int, what: str) -> int:
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")
    return result


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(
        _libc.mount(
            None if source is None else source.encode(),
            target.encode(),
            None if fstype is None else fstype.encode(),
            ctypes.c_ulong(flags),
            None if data is None else data.encode(),
        ),
        f"mount {target}",
    )


def _prctl(option: int, value: int) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0), f"prctl {option}")


class Status:
    """JSON lines to the evaluator over the status pipe."""

    def __init__(self, fd: int) -> None:
        os.set_inheritable(fd, False)  # the runner must not inherit it
        self.fd = fd

    def send(self, **event: Any) -> None:
        with contextlib.suppress(OSError):  # the evaluator is gone; nothing to report to
            os.write(self.fd, (json.dumps(event) + "\n").encode())


# --- namespaces ------------------------------------------------------------------------------------------------


def unshare_namespaces(unprivileged: bool) -> list[str]:
    """Enter new mount, network, pid, IPC and UTS namespaces (inside a new user namespace when not root).

    Returns the names of the namespaces entered, or an empty list when the kernel refuses.
    """
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
    uid, gid = os.getuid(), os.getgid()
    if unprivileged:
        flags |= CLONE_NEWUSER
    if _libc.unshare(flags) != 0:
        return []
    if unprivileged:  # map our own ids, so files we create are owned by us
        with open("/proc/self/setgroups", "w") as f:
            f.write("deny")
        with open("/proc/self/uid_map", "w") as f:
            f.write(f"{uid} {uid} 1")
        with open("/proc/self/gid_map", "w") as f:
            f.write(f"{gid} {gid} 1")
    names = ["mount-ns", "net-ns", "pid-ns", "ipc-ns", "uts-ns"]
    return ["user-ns", *names] if unprivileged else names


def _set_readonly(path: str, readonly: bool, recursive: bool) -> None:
    """``mount_setattr``: set or clear the read-only flag of the mount at ``path`` (and those below it)."""
    attr_set, attr_clr = (MOUNT_ATTR_RDONLY, 0) if readonly else (0, MOUNT_ATTR_RDONLY)
    # struct mount_attr { __u64 attr_set, attr_clr, propagation, userns_fd; }
    attr = ctypes.create_string_buffer(struct.pack("=QQQQ", attr_set, attr_clr, 0, 0), 32)
    _check(
        _libc.syscall(
            SYS_MOUNT_SETATTR, AT_FDCWD, path.encode(), AT_RECURSIVE if recursive else 0, attr, ctypes.c_size_t(32)
        ),
        f"mount_setattr {path}",
    )


def mount_view(cfg: dict[str, Any]) -> list[str]:
    """Inside the new mount namespace: hide directories the sandbox user cannot enter behind empty tmpfs,
    re-exposing only the paths it needs (the interpreter, the sandbox directory); make every mount read-only
    (so not even chmod or utime reach a file outside, which Landlock does not cover); give the work directory
    its own size-capped, writable tmpfs; mount a /proc that shows only the new pid namespace."""
    applied = []
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we mount propagates to the host
    old_umask = os.umask(0o022)
    for hide, exposes in cfg["views"]:
        fds = [os.open(path, os.O_PATH | os.O_DIRECTORY) for path in exposes]  # before they are hidden
        _mount("tmpfs", hide, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k")
        for path, fd in zip(exposes, fds, strict=True):
            os.makedirs(path, exist_ok=True)
            _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
            os.close(fd)
        applied.append(f"view:{hide}")
    os.umask(old_umask)
    uid, gid = cfg["sample_uid"], cfg["sample_gid"]
    _mount(
        "tmpfs",
        cfg["work_dir"],
        "tmpfs",
        MS_NOSUID | MS_NODEV,
        f"mode=0700,uid={uid},gid={gid},size={cfg['limits']['disk_bytes']}",
    )
    applied.append("work-tmpfs")
    try:  # Linux ≥ 5.12
        _set_readonly("/", readonly=True, recursive=True)
        _set_readonly(cfg["work_dir"], readonly=False, recursive=False)
        applied.append("read-only-root")
    except OSError:  # older kernel: the unprivileged uid or Landlock still keep files unchanged
        pass
    try:  # refused where /proc is partly masked (some container runtimes); not essential
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        applied.append("proc")
    except OSError:
        pass
    return applied


# --- the sample ------------------------------------------------------------------------------------------------


def set_limits(limits: dict[str, int], nproc: int) -> None:
    """Resource limits of the sample; hard limits equal soft ones, so the sample cannot raise them."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_s"], limits["cpu_s"] + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory_bytes"], limits["memory_bytes"]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["max_file_bytes"], limits["max_file_bytes"]))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits["max_open_files"], limits["max_open_files"]))
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))


def landlock(work_dir: str) -> str | None:
    """Landlock: writes only under ``work_dir`` (and to /dev/null), no TCP bind/connect (ABI ≥ 4), no signals to
    processes outside the sandbox and no abstract unix sockets (ABI ≥ 6). Reads stay unrestricted.

    Returns ``"landlock:<abi>"``, or None when the kernel has no Landlock.
    """
    abi = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), LANDLOCK_CREATE_RULESET_VERSION)
    if abi < 1:
        return None
    fs = (
        FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE_CHAR | FS_MAKE_DIR | FS_MAKE_REG
        | FS_MAKE_SOCK | FS_MAKE_FIFO | FS_MAKE_BLOCK | FS_MAKE_SYM
    )
    fs |= (FS_REFER if abi >= 2 else 0) | (FS_TRUNCATE if abi >= 3 else 0) | (FS_IOCTL_DEV if abi >= 5 else 0)
    net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0
    size = 8 if abi < 4 else 16 if abi < 6 else 24  # struct landlock_ruleset_attr grew with the ABI
    attr = ctypes.create_string_buffer(struct.pack("=QQQ", fs, net, scoped)[:size], size)
    ruleset = _check(
        _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, attr, ctypes.c_size_t(size), 0), "landlock_create_ruleset"
    )
    file_rights = fs & (FS_WRITE_FILE | FS_TRUNCATE | FS_IOCTL_DEV)
    for path, rights in [(work_dir, fs), *((dev, file_rights) for dev in WRITABLE_DEVICES)]:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        rule = ctypes.create_string_buffer(struct.pack("=Qi", rights, fd), 12)  # __attribute__((packed))
        _check(
            _libc.syscall(SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH, rule, 0),
            f"landlock_add_rule {path}",
        )
        os.close(fd)
    _check(_libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0), "landlock_restrict_self")
    os.close(ruleset)
    return f"landlock:{abi}"


def become_sample(cfg: dict[str, Any], applied: list[str], status: Status) -> None:
    """In the sample's process: limits, privileges dropped, Landlock, then exec the runner. Never returns."""
    try:
        os.chdir(cfg["work_dir"])
        in_user_ns = "user-ns" in applied
        # RLIMIT_NPROC counts every process of the uid: in our own user namespace only ours (the bootstrap and
        # init entered it too), otherwise all of the uid's processes on the host, counted by the evaluator.
        nproc = cfg["limits"]["max_processes"] + (2 if in_user_ns else cfg["uid_process_count"])
        set_limits(cfg["limits"], nproc)
        if cfg["drop_to"] is not None:
            uid, gid = cfg["drop_to"]
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)  # from root: drops every capability; RLIMIT_NPROC is enforced from here on
            applied.append(f"uid:{uid}")
        applied.append("rlimits")
        _prctl(PR_SET_NO_NEW_PRIVS, 1)  # setuid binaries cannot give privileges back
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after setuid, which clears it
        guard = []
        if cfg["landlock"]:
            name = landlock(cfg["work_dir"])
            if name is not None:
                applied.append(name)
        # A read-only mount tree contains only a sample without capabilities, i.e. one that is not root.
        contained = (
            cfg["drop_to"] is not None
            or any(a.startswith("landlock") for a in applied)
            or ("read-only-root" in applied and os.getuid() != 0)
        )
        if cfg["require_containment"] and not contained:
            raise SetupError(
                "no filesystem containment: expected an unprivileged uid (the evaluator runs as root), "
                "Landlock (Linux ≥ 5.13) or a read-only mount namespace, found none; "
                "set require_containment=False to run anyway"
            )
        if "net-ns" not in applied and not any(a.startswith("landlock:") and int(a[9:]) >= 4 for a in applied):
            guard = ["--no-network"]  # the weak fallback: a Python-level guard in the runner
            applied.append("socket-guard")
        status.send(event="isolation", applied=applied)
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": cfg["work_dir"], "TMPDIR": cfg["work_dir"]}
        python = cfg["python"]
        try:
            os.execve(python, [python, "-I", "-c", cfg["runner_source"], cfg["program_path"], *guard], env)
        except PermissionError:
            raise SetupError(
                f"expected uid {os.getuid()} to be able to run {python}, found it may not (no mount namespace "
                "to expose it?); set Isolation.python to an interpreter that user can run"
            ) from None
    except BaseException as err:
        status.send(event="error", message=f"sandbox setup failed: {type(err).__name__}: {err}")
        os._exit(EXIT_SETUP_ERROR)


def run_init(cfg: dict[str, Any], applied: list[str], status: Status) -> None:
    """pid 1 of the new pid namespace (or a plain child without one): mount the view, start the sample, reap
    every orphan, report the sample's wait status and CPU time. Never returns."""
    try:
        if "mount-ns" in applied:
            applied = applied + mount_view(cfg)
        sample = os.fork()
        if sample == 0:
            become_sample(cfg, applied, status)
        while True:
            pid, wait_status, usage = os.wait4(-1, 0)
            if pid == sample:
                break
        status.send(event="exit", wait_status=wait_status, cpu_s=usage.ru_utime + usage.ru_stime)
        os._exit(0)
    except BaseException as err:
        status.send(event="error", message=f"sandbox setup failed: {type(err).__name__}: {err}")
        os._exit(EXIT_SETUP_ERROR)


def main(argv: list[str]) -> int:
    cfg = json.loads(argv[1])
    status = Status(cfg["status_fd"])
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the evaluator dies → so does the sandbox
    if os.getppid() != cfg["evaluator_pid"]:  # the evaluator died before we could ask to follow it
        status.send(event="error", message="sandbox setup failed: the evaluator exited")
        return EXIT_SETUP_ERROR
    applied: list[str] = []
    try:
        if cfg["namespaces"]:
            applied += unshare_namespaces(unprivileged=os.geteuid() != 0)
        init = os.fork()
    except BaseException as err:
        status.send(event="error", message=f"sandbox setup failed: {type(err).__name__}: {err}")
        return EXIT_SETUP_ERROR
    if init == 0:
        run_init(cfg, applied, status)
    status.send(event="init", pid=init)
    os.waitpid(init, 0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
