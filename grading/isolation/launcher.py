"""The sandbox launcher: ``python -m grading.isolation OPTIONS -- CMD``.

The launcher enters new user, mount, pid and IPC namespaces (and a new, empty network
namespace unless ``--share-network``) and builds the command a root of its own: an
empty tmpfs in which only allow-listed paths appear (:mod:`~grading.isolation.policy`:
the system's libraries, the Python environment, a few files of ``/etc``; then what the
caller exposes with ``--expose``, read-only), a private ``/tmp`` and ``/dev/shm``,
a ``/dev`` of harmless devices, a ``/proc`` of its own processes, and the scratch
folder (``--scratch``), the one real folder it may write. It then ``pivot_root``\\ s
into it: the machine's own root is not reachable any more, nor its unix sockets.
The command runs as pid 1 of its pid namespace, behind one more user namespace that
locks all of those mounts, with resource limits and an environment made of
:data:`~grading.isolation.policy.BASE_ENV` and the ``--env`` values only. Anything
that fails while setting up ends the launcher with exit code 70: the command never
runs unsandboxed.

When the grader runs as root, root inside is mapped to
:data:`~grading.isolation.policy.SANDBOX_UID`, not to root: the scratch folder is
handed to that uid first.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys

from . import policy
from . import syscalls as sc
from .policy import DEFAULT_LIMITS, Limits
from .syscalls import SandboxUnavailable

SETUP_FAILED = 70  # exit code when the sandbox could not be set up (EX_SOFTWARE)
FORWARDED_SIGNALS = (
    signal.SIGINT,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
)
SMALL_TMPFS = "size=1m,mode=0755"
COPIED_FILE_BYTES = 4 * 2**20  # exposed files up to this size are copied in, not bound
STAGE = "/tmp"  # where the new root is assembled (in the launcher's own mount namespace)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class _SetupError(Exception):
    """A step of the launcher's setup failed; the message names the step."""


def sandbox_command(
    command, scratch, expose=(), limits=DEFAULT_LIMITS, share_network=False, env=None
) -> list[str]:
    """The argv that runs ``command`` in the sandbox.

    Parameters
    ----------
    command : list of str
        The program and its arguments, looked up in the sandbox's PATH.
    scratch : str or path-like
        The one writable folder, the command's working directory; ``"."`` means the
        launcher's working directory when it starts (as for a Jupyter kernel).
    expose : iterable of str or path-like
        Paths to show read-only, where they were named (the dataset, a connection
        file); a ``{placeholder}`` is passed on as it is, for Jupyter to fill in.
    limits : Limits
    share_network : bool
        Stay in the caller's network namespace (see :func:`isolate_network`) instead of
        a new, empty one.
    env : dict, optional
        Variables to set besides :data:`~grading.isolation.policy.BASE_ENV` and PATH,
        among :data:`~grading.isolation.policy.PASSED_ENV`.

    Returns
    -------
    argv : list of str
        ``[sys.executable, "-I", "-S", "-c", BOOT, OPTIONS..., "--", *command]``: like
        ``python -m grading.isolation``, without the working directory (nor
        site-packages, which the launcher does not need) on sys.path.
    """
    if (
        isinstance(command, (str, bytes))
        or not command
        or not all(isinstance(arg, str) for arg in command)
    ):
        raise TypeError(
            "command must be a non-empty list of str, like "
            f"[sys.executable, '-c', 'print(1)'], got {command!r}."
        )
    if not isinstance(limits, Limits):
        raise TypeError(f"limits must be a grading.isolation.Limits, got {limits!r}.")
    policy.command_env(env or {})  # refuse unknown names now, not in the launcher
    scratch = os.fspath(scratch)
    options = ["--scratch", scratch if scratch == "." else os.path.abspath(scratch)]
    # The launcher runs with -S: without site.py, its sys.prefix is not the venv's.
    for path in [*policy.python_paths(), *expose]:
        path = os.fspath(path)
        options += ["--expose", path if path.startswith("{") else os.path.abspath(path)]
    for name, value in (env or {}).items():
        options += ["--env", f"{name}={value}"]
    options += [
        "--memory",
        str(limits.memory_bytes),
        "--cpu",
        str(limits.cpu_seconds),
        "--file-size",
        str(limits.file_bytes),
        "--tmp-size",
        str(limits.tmp_bytes),
        "--processes",
        str(limits.processes),
    ]
    if share_network:
        options.append("--share-network")
    # -I keeps the (student's) working directory off sys.path: a file named like a
    # module the launcher imports must not run before the sandbox exists.
    boot = (
        f"import sys; sys.path.insert(0, {REPO!r}); "
        "from grading.isolation.launcher import main; sys.exit(main())"
    )
    return [sys.executable, "-I", "-S", "-c", boot, *options, "--", *command]


def _parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m grading.isolation",
        description="Run COMMAND in the sandbox.",
        usage="%(prog)s --scratch DIR [options] -- COMMAND [ARG...]",
    )
    parser.add_argument("--scratch", required=True, help="the writable working folder")
    parser.add_argument("--expose", action="append", default=[], help="show this path read-only")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the command")
    for flag, dest in (
        ("--memory", "memory_bytes"),
        ("--cpu", "cpu_seconds"),
        ("--file-size", "file_bytes"),
        ("--tmp-size", "tmp_bytes"),
        ("--processes", "processes"),
    ):
        parser.add_argument(flag, dest=dest, type=int, default=getattr(Limits, dest))
    parser.add_argument(
        "--share-network", action="store_true", help="keep the caller's network namespace"
    )
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        parser.error("expected the command after `--`, as in: --scratch . -- python -c 1")
    split = argv.index("--")
    opts = parser.parse_args(argv[:split])
    opts.command = argv[split + 1 :]
    try:
        opts.limits = Limits(
            memory_bytes=opts.memory_bytes,
            cpu_seconds=opts.cpu_seconds,
            file_bytes=opts.file_bytes,
            tmp_bytes=opts.tmp_bytes,
            processes=opts.processes,
        )
        opts.environment = policy.command_env(dict(item.partition("=")[::2] for item in opts.env))
    except ValueError as exc:
        parser.error(str(exc))
    return opts


@dataclasses.dataclass
class _Plan:
    """What goes into the new root, read before anything changes."""

    scratch: str
    binds: list  # (path inside, real path, is_dir), parents before children
    links: dict  # path inside -> symlink target (/bin -> usr/bin)
    files: dict  # path inside -> bytes (small exposed files, /etc)
    masks: list = dataclasses.field(default_factory=list)  # folders shown empty
    fds: dict = dataclasses.field(default_factory=dict)  # real path -> O_PATH fd


def _plan(opts):
    scratch = os.path.abspath(opts.scratch)
    if not os.path.isdir(scratch):
        raise _SetupError(
            f"--scratch {opts.scratch!r}: expected an existing folder, "
            f"but {scratch!r} is not one; create it before starting the sandbox"
        )
    binds, links, files = {}, {}, {k: v.encode() for k, v in policy.ETC_WRITTEN.items()}
    for path in policy.SYSTEM:
        if os.path.islink(path):
            links[path] = os.readlink(path)
        elif os.path.isdir(path):
            binds[path] = (os.path.realpath(path), True)
    for path in policy.ETC:
        if os.path.isfile(path):
            files[path] = _read_small(path)
        elif os.path.isdir(path):
            binds[path] = (os.path.realpath(path), True)
    for path in [*policy.python_paths(), *opts.expose]:
        path = os.path.abspath(path)
        if path in links or path in files or not os.path.exists(path):
            continue
        if any(sc.is_within(path, other) and binds[other][1] for other in binds):
            continue  # already inside a folder shown
        if os.path.isdir(path):
            binds[path] = (os.path.realpath(path), True)
        elif os.path.getsize(path) <= COPIED_FILE_BYTES:
            files[path] = _read_small(path)  # readable here even when not by the sandbox uid
        else:
            binds[path] = (os.path.realpath(path), False)
    ordered = sorted(
        ((p, real, is_dir) for p, (real, is_dir) in binds.items()),
        key=lambda item: item[0].count("/"),
    )
    masks = [
        path
        for path in policy.installed_kit([shown for shown, _, is_dir in ordered if is_dir])
        if any(sc.is_within(path, shown) for shown, _, is_dir in ordered if is_dir)
    ]
    return _Plan(scratch, ordered, links, files, masks)


def _read_small(path):
    with open(path, "rb") as f:
        return f.read(COPIED_FILE_BYTES + 1)[:COPIED_FILE_BYTES]


def _inside_uid():
    """The real uid root inside maps to: the caller's, or SANDBOX_UID for the real root.

    Only root of the machine's own user namespace may map another uid; root of a
    nested one (a grader after :func:`~grading.isolation.isolate_network`) maps itself.
    """
    if os.getuid() != 0:
        return None
    with open("/proc/self/uid_map") as f:
        whole = f.read().split() == ["0", "0", "4294967295"]
    return policy.SANDBOX_UID if whole else None


def _hand_scratch_over(scratch, uid):
    """Make the scratch folder (and what is in it) the sandbox uid's, so it can write it."""
    for folder, dirs, names in os.walk(scratch):
        for name in [*dirs, *names]:
            os.lchown(os.path.join(folder, name), uid, uid)
    os.chown(scratch, uid, uid)


def _open_paths(plan):
    """O_PATH descriptors that still reach the real paths once the new root is on."""
    wanted = [plan.scratch] + [real for _, real, _ in plan.binds]
    wanted += [f"/dev/{name}" for name in policy.DEVICES if os.path.exists(f"/dev/{name}")]
    for path in wanted:
        if path not in plan.fds:
            plan.fds[path] = os.open(path, os.O_PATH)


def _bind_fd(plan, real, target):
    sc.mount(f"/proc/self/fd/{plan.fds[real]}", target, None, sc.MS_BIND | sc.MS_REC)


def _mountpoint(path, is_dir):
    """Create ``path`` (in a tmpfs) so that something can be mounted on it."""
    if os.path.lexists(path):
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if is_dir:
        os.mkdir(path)
    else:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o644))


def _devices(plan, root, size):
    dev = root + "/dev"
    os.mkdir(dev)
    sc.mount("tmpfs", dev, "tmpfs", sc.MS_NOSUID | sc.MS_NOEXEC, SMALL_TMPFS)
    for name in policy.DEVICES:
        if f"/dev/{name}" in plan.fds:
            _mountpoint(f"{dev}/{name}", is_dir=False)
            _bind_fd(plan, f"/dev/{name}", f"{dev}/{name}")
    for name, target in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        os.symlink(target, f"{dev}/{name}")
    os.mkdir(f"{dev}/shm")
    sc.mount("tmpfs", f"{dev}/shm", "tmpfs", sc.MS_NOSUID | sc.MS_NODEV, f"size={size},mode=1777")
    os.mkdir(f"{dev}/pts")
    try:
        sc.mount(
            "devpts",
            f"{dev}/pts",
            "devpts",
            sc.MS_NOSUID | sc.MS_NOEXEC,
            "newinstance,ptmxmode=0666,mode=0620",
        )
        os.symlink("pts/ptmx", f"{dev}/ptmx")
    except OSError:
        pass  # no pseudo-terminals; kernels and probes do not need them
    sc.set_readonly(dev)


def _build_root(plan, limits):
    """Assemble the new root on a tmpfs at STAGE; return its path."""
    root = STAGE
    sc.mount("tmpfs", root, "tmpfs", sc.MS_NOSUID | sc.MS_NODEV, "size=16m,mode=0755")
    os.mkdir(root + "/tmp")
    sc.mount(
        "tmpfs",
        root + "/tmp",
        "tmpfs",
        sc.MS_NOSUID | sc.MS_NODEV,
        f"size={limits.tmp_bytes},mode=1777",
    )
    _devices(plan, root, limits.tmp_bytes)
    os.mkdir(root + "/proc")
    # The kernel mounts a new /proc only where a proc is already fully visible: the
    # current one goes here, and the command's own is mounted over it before the
    # mounts are locked.
    sc.mount("/proc", root + "/proc", None, sc.MS_BIND | sc.MS_REC)
    for path, target in plan.links.items():
        os.symlink(target, root + path)
    for path, _, is_dir in plan.binds:
        _mountpoint(root + path, is_dir)
    _mountpoint(root + plan.scratch, is_dir=True)
    for path, content in plan.files.items():
        os.makedirs(os.path.dirname(root + path), exist_ok=True)
        with open(root + path, "wb") as f:
            f.write(content)
    # What leads to paths shown under /tmp (a checkout there) is in the writable /tmp:
    # made read-only, so that no one writes beside them (a file named like the repo's).
    for top in sorted(
        {
            "/tmp/" + p[len("/tmp/") :].split("/")[0]
            for p in [*(b[0] for b in plan.binds), *plan.files, plan.scratch]
            if sc.is_within(p, "/tmp") and p != "/tmp"
        }
    ):
        sc.mount(root + top, root + top, None, sc.MS_BIND)
        sc.set_readonly(root + top)
    for path, real, _ in plan.binds:
        _bind_fd(plan, real, root + path)
    for path in plan.masks:  # the installed kit: an empty folder (made read-only below)
        sc.mount("tmpfs", root + path, "tmpfs", sc.MS_NOSUID | sc.MS_NODEV, "size=4k,mode=0555")
    for path, _, _ in plan.binds:
        sc.set_readonly(root + path, recursive=True)
    _bind_fd(plan, plan.scratch, root + plan.scratch)
    sc.set_readonly(root + plan.scratch, readonly=False)
    sc.set_readonly(root)  # only this mount: /tmp, /dev/shm and the scratch stay writable
    return root


def _switch_root(root):
    """pivot_root into ``root`` and drop the machine's root (no path leads back)."""
    os.chdir(root)
    sc.pivot_root(".", ".")
    sc.umount(".", sc.MNT_DETACH)
    os.chdir("/")


def _step(name, func, *args):
    try:
        return func(*args)
    except (OSError, SandboxUnavailable) as exc:
        raise _SetupError(f"{name} failed: {exc}") from exc


def _set_up(opts):
    """Namespaces and the new root; returns the scratch folder."""
    plan = _step("reading what to show", _plan, opts)
    uid = _inside_uid()
    if uid is not None:
        _step(
            "handing the scratch folder to the sandbox uid", _hand_scratch_over, plan.scratch, uid
        )
    flags = sc.CLONE_NEWNS | sc.CLONE_NEWPID | sc.CLONE_NEWIPC
    # Descriptors opened before unshare(CLONE_NEWNS) belong to the old mount namespace,
    # and mount(2) refuses to bind from them (EINVAL): they are opened once inside, but
    # before taking the sandbox uid (which may not reach them: a Python under /root).
    _step(
        "entering namespaces",
        sc.enter_user_namespace,
        flags if opts.share_network else flags | sc.CLONE_NEWNET,
        uid,
        lambda: _step("opening the scratch and exposed paths", _open_paths, plan),
    )
    _step("making mounts private", sc.mount, None, "/", None, sc.MS_REC | sc.MS_PRIVATE)
    root = _step("building the sandbox's root", _build_root, plan, opts.limits)
    _step("entering the sandbox's root", _switch_root, root)
    for fd in plan.fds.values():
        os.close(fd)
    return plan.scratch


def _mount_proc():
    """A /proc of the new pid namespace, without the files that act on the whole machine."""
    try:
        sc.mount("proc", "/proc", "proc", sc.MS_NOSUID | sc.MS_NODEV | sc.MS_NOEXEC)
    except PermissionError as exc:
        raise PermissionError(
            exc.errno,
            f"{exc.strerror}; the kernel refuses a new /proc "
            "while parts of the current one are covered by other mounts "
            "(Docker does that: run the container with "
            "--security-opt systempaths=unconfined)",
        ) from exc
    for name in policy.PROC_READONLY:
        path = f"/proc/{name}"
        if os.path.exists(path):
            sc.mount(path, path, None, sc.MS_BIND | sc.MS_REC)
            sc.set_readonly(path, recursive=True)
    for name in policy.PROC_MASKED:
        path = f"/proc/{name}"
        if os.path.isdir(path):
            sc.mount(
                "tmpfs",
                path,
                "tmpfs",
                sc.MS_RDONLY | sc.MS_NOSUID | sc.MS_NODEV | sc.MS_NOEXEC,
                "size=4k,mode=0555",
            )
        elif os.path.exists(path):
            sc.mount("/dev/null", path, None, sc.MS_BIND)


def _lock_mounts():
    """Enter one more user and mount namespace: mounts inherited into a less privileged
    mount namespace are locked (no umount, no clearing read-only, even for root)."""
    sc.enter_user_namespace(sc.CLONE_NEWNS)


def _set_limits(limits):
    import resource

    for which, soft, hard in (
        (resource.RLIMIT_AS, limits.memory_bytes, limits.memory_bytes),
        (resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 5),
        (resource.RLIMIT_FSIZE, limits.file_bytes, limits.file_bytes),
        (resource.RLIMIT_NPROC, limits.processes, limits.processes),
        (resource.RLIMIT_CORE, 0, 0),
    ):
        current = resource.getrlimit(which)[1]
        cap = hard if current == resource.RLIM_INFINITY else min(hard, current)
        resource.setrlimit(which, (min(soft, cap), cap))


def _exec(opts, scratch, old_mask, parent_alive):
    """In the child, pid 1 of the new pid namespace: finish the sandbox and exec."""
    _step(
        "asking for SIGKILL when the launcher dies", sc.prctl, sc.PR_SET_PDEATHSIG, signal.SIGKILL
    )
    os.set_blocking(parent_alive, False)
    try:
        os.read(parent_alive, 1)
        os._exit(SETUP_FAILED)  # end of file: the launcher died before the prctl
    except BlockingIOError:
        pass
    os.setsid()  # a signal to the launcher's process group reaches the command once
    _step("mounting /proc", _mount_proc)
    _step("locking the mounts", _lock_mounts)
    _step("setting no_new_privs", sc.prctl, sc.PR_SET_NO_NEW_PRIVS, 1)
    _step("setting resource limits", _set_limits, opts.limits)
    _step("entering the scratch folder", os.chdir, scratch)
    env = {**opts.environment, "PWD": scratch}
    for signum in (*FORWARDED_SIGNALS, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # too large a write fails with EFBIG
    signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
    try:
        os.execvpe(opts.command[0], opts.command, env)
    except OSError as exc:
        print(
            f"sandbox: cannot run {opts.command[0]!r}: {exc.strerror}; the command runs "
            "with the sandbox's PATH and sees only the allow-listed and exposed paths",
            file=sys.stderr,
            flush=True,
        )
        os._exit(127 if isinstance(exc, FileNotFoundError) else 126)


def _supervise(pid, old_mask):
    """Forward signals to the command, wait for it, and return its exit code.

    SIGTERM ends the command's whole pid namespace at once (SIGKILL to its pid 1):
    nothing it started, daemons included, outlives it.
    """
    import contextlib

    def forward(signum, frame):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    def kill(signum, frame):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

    for signum in FORWARDED_SIGNALS:
        signal.signal(signum, forward)
    signal.signal(signal.SIGTERM, kill)
    signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)  # blocked since before the fork
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def main(argv=None) -> int:
    """Run the launcher: ``python -m grading.isolation OPTIONS -- COMMAND...``.

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
    if not sc.die_with_parent(parent):
        print("sandbox: the process that started the launcher has ended", file=sys.stderr)
        return SETUP_FAILED
    parent_alive, launcher_alive = os.pipe()
    blocked = (*FORWARDED_SIGNALS, signal.SIGTERM)
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    pid = os.fork()
    if pid == 0:
        try:
            os.close(launcher_alive)
            _exec(opts, scratch, old_mask, parent_alive)
        except _SetupError as exc:
            print(f"sandbox: {exc}", file=sys.stderr, flush=True)
        except BaseException as exc:  # never fall back into the launcher's code
            print(
                f"sandbox: unexpected error before running the command: {exc!r}",
                file=sys.stderr,
                flush=True,
            )
        finally:
            os._exit(SETUP_FAILED)
    os.close(parent_alive)
    return _supervise(pid, old_mask)
