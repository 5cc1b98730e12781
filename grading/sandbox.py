"""Run student code isolated in Linux namespaces: ``python -m grading.sandbox OPTIONS -- CMD``.

The launcher enters new user, mount and pid namespaces (and a new, empty network
namespace unless ``--share-network``), then shows the command a read-only view of the
machine: hidden folders (``--hide``) are covered by empty read-only tmpfs, chosen paths
inside them come back read-only (``--expose``), ``/tmp`` and ``/dev/shm`` are private
tmpfs, ``/dev`` holds only the harmless devices, and the scratch folder (``--scratch``) is
the one real folder the command may write. The command runs as pid 1 of its pid
namespace, behind one more user namespace that locks all of those mounts, with resource
limits (:class:`Limits`). Anything that fails while setting up ends the launcher with
exit code 70: the command never runs unsandboxed.

:func:`isolate_network` cuts a trusted process (the grader) off the network, so that the
kernels it starts with ``share_network=True`` reach it on 127.0.0.1 and nothing else.

Running the grader as root maps root inside to the real root: read-only mounts then do
not stop connecting to root-only unix sockets (``/run/...``); hide ``/run`` in that case.
The launcher's own imports are kept to a few cheap modules: it starts once per kernel.
"""

from __future__ import annotations

import argparse
import ctypes
import dataclasses
import os
import signal
import sys

__all__ = ["Limits", "SandboxUnavailable", "available", "die_with_parent", "isolate_network",
           "main", "sandbox_command"]

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC = 32, 1024, 2048, 4096, 16384
MS_PRIVATE, MS_RELATIME, MS_STRICTATIME = 1 << 18, 1 << 21, 1 << 24
SYS_MOUNT_SETATTR = 442  # the same number on every architecture since Linux 5.12
AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY = -100, 0x8000, 1
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38

SETUP_FAILED = 70  # exit code when the sandbox could not be set up (EX_SOFTWARE)
FORWARDED_SIGNALS = (
    signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
)
KILL_GRACE_SECONDS = 5  # after SIGTERM, the command gets this long before SIGKILL
SMALL_TMPFS = "size=1m,mode=0755"
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
PROC_READONLY = ("sys", "sysrq-trigger", "irq", "bus", "fs")
PROC_MASKED = ("kcore", "keys", "timer_list", "sched_debug", "latency_stats", "acpi", "scsi")
PRIVATE_ENV = {
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "IPYTHONDIR": "/tmp/.ipython",
    "MPLCONFIGDIR": "/tmp/.config/matplotlib",
    "XDG_CACHE_HOME": "/tmp/.cache",
}
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENABLE_USERNS = (
    "Enable unprivileged user namespaces (sysctl -w user.max_user_namespaces=10000; "
    "sysctl -w kernel.unprivileged_userns_clone=1 where that setting exists; "
    "kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu 23.10 and later), "
    "or run the grader in a container that allows them "
    "(docker run --security-opt seccomp=unconfined --security-opt apparmor=unconfined)."
)


class SandboxUnavailable(RuntimeError):
    """Linux namespaces cannot be used here; the message says why and how to fix it."""


class _SetupError(Exception):
    """A step of the launcher's setup failed; the message names the step."""


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits of a sandboxed command.

    Parameters
    ----------
    memory_bytes : int
        Address-space limit (RLIMIT_AS); allocating beyond it raises MemoryError.
    cpu_seconds : int
        CPU-time limit (RLIMIT_CPU): SIGXCPU at this, SIGKILL 5 s of CPU later. The
        command is pid 1 of its pid namespace, which ignores SIGXCPU unless it handles
        it: it is killed at the later limit, and the processes it starts at the first.
    file_bytes : int
        Largest file the command may write (RLIMIT_FSIZE); larger writes fail with EFBIG.
    tmp_bytes : int
        Size of each of the private ``/tmp`` and ``/dev/shm`` tmpfs.
    """

    memory_bytes: int = 6 * 2**30
    cpu_seconds: int = 900
    file_bytes: int = 256 * 2**20
    tmp_bytes: int = 256 * 2**20

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(
                    f"Limits.{field.name} must be a positive int, got {value!r}; "
                    f"for example Limits({field.name}={field.default})."
                )


DEFAULT_LIMITS = Limits()


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    """Raise OSError naming `what` when a libc call returned -1."""
    if result == -1:
        err = ctypes.get_errno()
        raise OSError(err, f"{what} failed: {os.strerror(err)}")


def _mount(source, target, fstype, flags, data=None):
    encode = os.fsencode
    _check(
        _libc().mount(
            None if source is None else encode(source), encode(target),
            None if fstype is None else encode(fstype), ctypes.c_ulong(flags),
            None if data is None else encode(data),
        ),
        f"mount({source!r} on {target!r}, type {fstype!r})",
    )


def _prctl(option, value):
    _check(_libc().prctl(option, ctypes.c_ulong(value), 0, 0, 0), f"prctl({option})")


class _MountAttr(ctypes.Structure):
    _fields_ = (
        ("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64),
    )


def _mount_setattr(path, attr_set, attr_clr, recursive):
    attr = _MountAttr(attr_set, attr_clr, 0, 0)
    flags = AT_RECURSIVE if recursive else 0
    result = _libc().syscall(
        ctypes.c_long(SYS_MOUNT_SETATTR), ctypes.c_int(AT_FDCWD), os.fsencode(path),
        ctypes.c_uint(flags), ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)),
    )
    _check(result, f"mount_setattr({path!r})")


def _remount(path, readonly):
    """Bind-remount `path` read-only or read-write, keeping its other (locked) flags."""
    st = os.statvfs(path).f_flag
    flags = MS_BIND | MS_REMOUNT | (MS_RDONLY if readonly else 0)
    for st_flag, ms_flag in (
        (os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC),
        (os.ST_NOATIME, MS_NOATIME), (os.ST_NODIRATIME, MS_NODIRATIME),
        (os.ST_RELATIME, MS_RELATIME),
    ):
        flags |= ms_flag if st & st_flag else 0
    if not st & (os.ST_NOATIME | os.ST_RELATIME):
        flags |= MS_STRICTATIME
    _mount(None, path, None, flags)


def _decode_mountinfo_path(text):
    r"""Undo the octal escapes of /proc/self/mountinfo (``\040`` is a space)."""
    parts = text.split("\\")
    out = [parts[0]]
    for part in parts[1:]:
        out.append(chr(int(part[:3], 8)) + part[3:])
    return "".join(out)


def _mount_points(under):
    """Mount points at or below `under`, from /proc/self/mountinfo, parents first."""
    with open("/proc/self/mountinfo") as f:
        points = [_decode_mountinfo_path(line.split()[4]) for line in f]
    return [point for point in points if _is_within(point, under)]


def _set_readonly(path, readonly=True, recursive=False):
    """Set or clear read-only on the mount at `path` (and the ones below if `recursive`)."""
    import errno

    try:
        _mount_setattr(path, MOUNT_ATTR_RDONLY if readonly else 0,
                       0 if readonly else MOUNT_ATTR_RDONLY, recursive)
        return
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOSYS):
            raise
    import contextlib

    _remount(path, readonly)  # older kernels: one mount at a time
    for point in _mount_points(path)[1:] if recursive else ():
        with contextlib.suppress(OSError):  # covered by another mount, or refused
            _remount(point, readonly)


def _unshare(flags):
    import errno

    names = [name for bit, name in (
        (CLONE_NEWUSER, "CLONE_NEWUSER"), (CLONE_NEWNS, "CLONE_NEWNS"),
        (CLONE_NEWPID, "CLONE_NEWPID"), (CLONE_NEWNET, "CLONE_NEWNET"),
    ) if flags & bit]
    if _libc().unshare(flags) == 0:
        return
    err = ctypes.get_errno()
    message = f"unshare({'|'.join(names)}) failed: {os.strerror(err)}."
    threads = len(os.listdir("/proc/self/task"))
    if err == errno.EINVAL and threads > 1:
        message += (f" The process has {threads} threads and a user namespace needs a "
                    "single-threaded one: call it first thing, before starting threads.")
    else:
        message += " " + ENABLE_USERNS
    raise SandboxUnavailable(message)


def _write_id_maps(uid, gid):
    """Map root of the new user namespace to `uid`/`gid` of the parent namespace."""
    for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"),
                       ("gid_map", f"0 {gid} 1")):
        path = f"/proc/self/{name}"
        if name == "setgroups" and not os.path.exists(path):
            continue  # kernels before 3.19
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, text.encode())  # one write(2), as the kernel requires
        finally:
            os.close(fd)


def _enter_namespaces(flags):
    uid, gid = os.getuid(), os.getgid()
    _unshare(flags)
    try:
        _write_id_maps(uid, gid)
    except OSError as exc:
        raise SandboxUnavailable(f"writing the user namespace's id maps failed: {exc}. "
                                 + ENABLE_USERNS) from exc


def available() -> str | None:
    """Whether the sandbox works here: None if it does, else the reason it does not.

    Runs the launcher once (in a child process) on an empty command; the answer is
    cached for the life of the process.

    Returns
    -------
    reason : str or None
    """
    if "reason" not in _AVAILABILITY:
        _AVAILABILITY["reason"] = _try_sandbox()
    return _AVAILABILITY["reason"]


_AVAILABILITY = {}  # the cache of available(): the machine does not change under us


def _try_sandbox():
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        argv = sandbox_command([sys.executable, "-I", "-S", "-c", ""], scratch,
                               expose=[sys.prefix, sys.base_prefix])  # even from /tmp
        try:
            result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as exc:
            return f"the sandbox launcher could not run: {exc}"
    if result.returncode == 0:
        return None
    lines = result.stderr.strip().splitlines()
    return lines[-1] if lines else f"the sandbox launcher exited with {result.returncode}"


def die_with_parent(parent=None) -> bool:
    """Have the kernel SIGKILL this process when the thread that started it ends.

    A grading run stopped by SIGKILL cleans nothing up: without this its workers, and
    the kernels and probes they start in their own sessions, would go on grading (and
    writing into the scratch folders the next run uses) for nobody.

    Parameters
    ----------
    parent : int, optional
        The pid that started this process. When given, returns False if it is no
        longer the parent: it died before the request took effect.

    Returns
    -------
    bool
        False when the parent is already gone (the caller should stop), else True.
    """
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    return parent is None or os.getppid() == parent


def isolate_network() -> None:
    """Cut the calling process and the processes it starts off the network.

    Moves the process into a new user namespace (root inside is the caller's uid and
    gid) and a new network namespace whose only interface, loopback, is up: processes
    it starts (sandboxes with ``share_network=True`` included) reach each other on
    127.0.0.1, and nothing else. Call it first thing in ``main``: the process must
    still be single-threaded.

    Raises
    ------
    SandboxUnavailable
        If the namespaces cannot be created, with the reason and how to fix it.
    """
    _enter_namespaces(CLONE_NEWUSER | CLONE_NEWNET)
    try:
        _bring_up_loopback()
    except OSError as exc:
        raise SandboxUnavailable(f"bringing up the loopback interface failed: {exc}") from exc


def _bring_up_loopback():
    import fcntl
    import socket
    import struct

    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    ifreq = "16sH22x"  # struct ifreq: the name, then ifr_flags in a 24-byte union
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        reply = fcntl.ioctl(sock, siocgifflags, struct.pack(ifreq, b"lo", 0))
        flags = struct.unpack(ifreq, reply)[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack(ifreq, b"lo", flags | iff_up))


def sandbox_command(command, scratch, hide=(), expose=(), limits=DEFAULT_LIMITS,
                    share_network=False) -> list[str]:
    """The argv that runs `command` in the sandbox.

    Parameters
    ----------
    command : list of str
        The program and its arguments, looked up in PATH inside the sandbox.
    scratch : str or path-like
        The one writable folder, the command's working directory; ``"."`` means the
        launcher's working directory when it starts (as for a Jupyter kernel).
    hide : iterable of str or path-like
        Folders to show empty (missing ones are skipped).
    expose : iterable of str or path-like
        Paths, typically inside hidden folders, to show read-only (the venv, the data).
    limits : Limits
    share_network : bool
        Stay in the caller's network namespace (see :func:`isolate_network`) instead of
        a new, empty one.

    Returns
    -------
    argv : list of str
        ``[sys.executable, "-I", "-S", "-c", BOOT, OPTIONS..., "--", *command]``: like
        ``python -m grading.sandbox``, but without the working directory (nor
        site-packages, which the launcher does not need) on sys.path.
    """
    if isinstance(command, (str, bytes)) or not command or not all(
            isinstance(arg, str) for arg in command):
        raise TypeError("command must be a non-empty list of str, like "
                        f"[sys.executable, '-c', 'print(1)'], got {command!r}.")
    if not isinstance(limits, Limits):
        raise TypeError(f"limits must be a grading.sandbox.Limits, got {limits!r}.")
    scratch = os.fspath(scratch)
    options = ["--scratch", scratch if scratch == "." else os.path.abspath(scratch)]
    for flag, paths in (("--hide", hide), ("--expose", expose)):
        for path in paths:
            options += [flag, os.path.abspath(os.fspath(path))]
    options += ["--memory", str(limits.memory_bytes), "--cpu", str(limits.cpu_seconds),
                "--file-size", str(limits.file_bytes), "--tmp-size", str(limits.tmp_bytes)]
    if share_network:
        options.append("--share-network")
    # -I keeps the (student's) working directory off sys.path: a file named like a
    # module the launcher imports must not run before the sandbox exists.
    boot = (f"import sys; sys.path.insert(0, {REPO!r}); "
            "from grading.sandbox import main; sys.exit(main())")
    return [sys.executable, "-I", "-S", "-c", boot, *options, "--", *command]


def _parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m grading.sandbox", description="Run COMMAND in the sandbox.",
        usage="%(prog)s --scratch DIR [options] -- COMMAND [ARG...]")
    parser.add_argument("--scratch", required=True, help="the writable working folder")
    parser.add_argument("--hide", action="append", default=[], help="show this folder empty")
    parser.add_argument("--expose", action="append", default=[], help="show this path read-only")
    for flag, dest, default in (("--memory", "memory_bytes", Limits.memory_bytes),
                                ("--cpu", "cpu_seconds", Limits.cpu_seconds),
                                ("--file-size", "file_bytes", Limits.file_bytes),
                                ("--tmp-size", "tmp_bytes", Limits.tmp_bytes)):
        parser.add_argument(flag, dest=dest, type=int, default=default)
    parser.add_argument("--share-network", action="store_true",
                        help="keep the caller's network namespace")
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        parser.error("expected the command after `--`, as in: --scratch . -- python -c 1")
    split = argv.index("--")
    opts = parser.parse_args(argv[:split])
    opts.command = argv[split + 1:]
    try:
        opts.limits = Limits(opts.memory_bytes, opts.cpu_seconds, opts.file_bytes,
                             opts.tmp_bytes)
    except ValueError as exc:
        parser.error(str(exc))
    return opts


@dataclasses.dataclass
class _Plan:
    """The launcher's paths, resolved before anything changes."""

    scratch: str
    hide: list
    expose: list  # (path, is_dir), parents before children
    fds: dict = dataclasses.field(default_factory=dict)  # path -> O_PATH fd


def _is_within(path, folder):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _plan(opts):
    scratch = os.path.abspath(opts.scratch)
    if not os.path.isdir(scratch):
        raise _SetupError(f"--scratch {opts.scratch!r}: expected an existing folder, "
                          f"but {scratch!r} is not one; create it before starting the sandbox")
    # /tmp and /dev are replaced by private tmpfs anyway: hiding inside them is moot.
    hide = [path for path in map(os.path.realpath, opts.hide)
            if not _is_within(path, "/tmp") and not _is_within(path, "/dev")]
    # Exposed paths appear where they were named, even through a symlink.
    expose = sorted({(os.path.abspath(p), os.path.isdir(p))
                     for p in opts.expose if os.path.exists(p)},
                    key=lambda item: item[0].count("/"))
    return _Plan(scratch, hide, expose)


def _open_paths(plan):
    """O_PATH descriptors that still reach the real paths once the hiding mounts are on."""
    wanted = [plan.scratch] + [path for path, _ in plan.expose]
    wanted += [f"/dev/{name}" for name in DEVICES if os.path.exists(f"/dev/{name}")]
    for path in wanted:
        plan.fds[path] = os.open(path, os.O_PATH)


def _bind_fd(plan, path, target):
    _mount(f"/proc/self/fd/{plan.fds[path]}", target, None, MS_BIND | MS_REC)


def _mountpoint(path, is_dir):
    """Create `path` (in a tmpfs) so that something can be mounted on it."""
    if os.path.lexists(path):
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if is_dir:
        os.mkdir(path)
    else:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o644))


def _hide(plan):
    hidden = []
    for path in plan.hide:
        if os.path.isdir(path):
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, SMALL_TMPFS)
            hidden.append(path)
        elif os.path.lexists(path):
            _mount("/dev/null", path, None, MS_BIND)  # a hidden file reads as empty
    return hidden


def _private_tmp(plan, size):
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
    _mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, SMALL_TMPFS)
    for name in DEVICES:
        if f"/dev/{name}" in plan.fds:
            _mountpoint(f"/dev/{name}", is_dir=False)
            _bind_fd(plan, f"/dev/{name}", f"/dev/{name}")
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"/dev/{name}")
    os.mkdir("/dev/shm")
    _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
    os.mkdir("/dev/pts")
    try:
        _mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
               "newinstance,ptmxmode=0666,mode=0620")
        os.symlink("pts/ptmx", "/dev/ptmx")
    except OSError:
        pass  # no pseudo-terminals; kernels and probes do not need them


def _bind_exposed(plan):
    for path, is_dir in plan.expose:
        _mountpoint(path, is_dir)
        _bind_fd(plan, path, path)
        _set_readonly(path, recursive=True)
    _mountpoint(plan.scratch, is_dir=True)
    _bind_fd(plan, plan.scratch, plan.scratch)
    _set_readonly(plan.scratch, readonly=False)


def _step(name, func, *args):
    try:
        return func(*args)
    except (OSError, SandboxUnavailable) as exc:
        raise _SetupError(f"{name} failed: {exc}") from exc


def _set_up(opts):
    """Steps 2-7: namespaces and mounts; returns the scratch folder."""
    plan = _plan(opts)
    flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID
    _step("entering namespaces", _enter_namespaces,
          flags if opts.share_network else flags | CLONE_NEWNET)
    # Descriptors opened before unshare(CLONE_NEWNS) belong to the old mount namespace,
    # and mount(2) refuses to bind from them (EINVAL): open them now, before any mount.
    _step("opening the scratch and exposed paths", _open_paths, plan)
    _step("making mounts private", _mount, None, "/", None, MS_REC | MS_PRIVATE)
    _step("making / read-only", _set_readonly, "/", True, True)
    hidden = _step("hiding folders", _hide, plan)
    _step("mounting private /tmp and /dev", _private_tmp, plan, opts.limits.tmp_bytes)
    _step("exposing paths and the scratch folder", _bind_exposed, plan)
    for path in [*hidden, "/dev"]:
        _step(f"making {path} read-only", _set_readonly, path)
    return plan.scratch


def _mount_proc():
    """A /proc of the new pid namespace, without the files that act on the whole machine."""
    try:
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except PermissionError as exc:
        raise PermissionError(exc.errno, f"{exc.strerror}; the kernel refuses a new /proc "
                              "while parts of the current one are covered by other mounts "
                              "(Docker does that: run the container with "
                              "--security-opt systempaths=unconfined)") from exc
    for name in PROC_READONLY:
        path = f"/proc/{name}"
        if os.path.exists(path):
            _mount(path, path, None, MS_BIND | MS_REC)
            _set_readonly(path, recursive=True)
    for name in PROC_MASKED:
        path = f"/proc/{name}"
        if os.path.isdir(path):
            _mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                   "size=4k,mode=0555")
        elif os.path.exists(path):
            _mount("/dev/null", path, None, MS_BIND)


def _lock_mounts():
    """Enter one more user and mount namespace: mounts inherited into a less privileged
    mount namespace are locked (no umount, no clearing read-only, even for root)."""
    _enter_namespaces(CLONE_NEWUSER | CLONE_NEWNS)


def _set_limits(limits):
    import resource

    for which, soft, hard in (
        (resource.RLIMIT_AS, limits.memory_bytes, limits.memory_bytes),
        (resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 5),
        (resource.RLIMIT_FSIZE, limits.file_bytes, limits.file_bytes),
        (resource.RLIMIT_CORE, 0, 0),
    ):
        current = resource.getrlimit(which)[1]
        cap = hard if current == resource.RLIM_INFINITY else min(hard, current)
        resource.setrlimit(which, (min(soft, cap), cap))


def _exec(opts, scratch, old_mask, parent_alive):
    """In the child, pid 1 of the new pid namespace: finish the sandbox and exec."""
    _step("asking for SIGKILL when the launcher dies", _prctl, PR_SET_PDEATHSIG, signal.SIGKILL)
    os.set_blocking(parent_alive, False)
    try:
        os.read(parent_alive, 1)
        os._exit(SETUP_FAILED)  # end of file: the launcher died before the prctl
    except BlockingIOError:
        pass
    os.setsid()  # a signal to the launcher's process group reaches the command once
    _step("mounting /proc", _mount_proc)
    _step("locking the mounts", _lock_mounts)
    _step("setting no_new_privs", _prctl, PR_SET_NO_NEW_PRIVS, 1)
    _step("setting resource limits", _set_limits, opts.limits)
    _step("entering the scratch folder", os.chdir, scratch)
    env = {**os.environ, **PRIVATE_ENV, "PWD": scratch}
    for signum in FORWARDED_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # too large a write fails with EFBIG
    signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
    try:
        os.execvpe(opts.command[0], opts.command, env)
    except OSError as exc:
        print(f"sandbox: cannot run {opts.command[0]!r}: {exc.strerror}; the command runs "
              "with the sandbox's PATH and sees only exposed paths", file=sys.stderr,
              flush=True)
        os._exit(127 if isinstance(exc, FileNotFoundError) else 126)


def _supervise(pid, old_mask):
    """Forward signals to the command, wait for it, and return its exit code."""
    import contextlib

    def forward(signum, frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            return
        if signum == signal.SIGTERM:
            signal.alarm(signal.alarm(0) or KILL_GRACE_SECONDS)

    def kill(signum, frame):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)  # pid 1 ignores SIGTERM unless it handles it

    for signum in FORWARDED_SIGNALS:
        signal.signal(signum, forward)
    signal.signal(signal.SIGALRM, kill)
    signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)  # blocked since before the fork
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def main(argv=None) -> int:
    """Run the launcher: ``python -m grading.sandbox OPTIONS -- COMMAND...``.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    code : int
        The command's exit code (128 + N if signal N killed it), 70 if the sandbox
        could not be set up.
    """
    parent = os.getppid()
    opts = _parse_args(argv)
    try:
        scratch = _set_up(opts)
    except _SetupError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return SETUP_FAILED
    # After the namespaces (a change of credentials would clear it).
    if not die_with_parent(parent):
        print("sandbox: the process that started the launcher has ended", file=sys.stderr)
        return SETUP_FAILED
    parent_alive, launcher_alive = os.pipe()
    blocked = (*FORWARDED_SIGNALS, signal.SIGALRM)
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    pid = os.fork()
    if pid == 0:
        try:
            os.close(launcher_alive)
            _exec(opts, scratch, old_mask, parent_alive)
        except _SetupError as exc:
            print(f"sandbox: {exc}", file=sys.stderr, flush=True)
        except BaseException as exc:  # never fall back into the launcher's code
            print(f"sandbox: unexpected error before running the command: {exc!r}",
                  file=sys.stderr, flush=True)
        finally:
            os._exit(SETUP_FAILED)
    os.close(parent_alive)
    return _supervise(pid, old_mask)


if __name__ == "__main__":
    sys.exit(main())
