"""The Linux system calls the sandbox needs, through ctypes (no compiled code).

Each wrapper raises :class:`OSError` naming what failed. Only cheap standard modules
are imported here: the launcher imports this module once per kernel.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import signal

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC = 32, 1024, 2048, 4096, 16384
MS_PRIVATE, MS_RELATIME, MS_STRICTATIME = 1 << 18, 1 << 21, 1 << 24
MNT_DETACH = 2
SYS_MOUNT_SETATTR = 442  # the same number on every architecture since Linux 5.12
SYS_PIVOT_ROOT = {
    "x86_64": 155,
    "aarch64": 41,
    "arm64": 41,
    "riscv64": 41,
    "ppc64le": 203,
    "s390x": 217,
    "armv7l": 218,
    "i686": 217,
}
AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY = -100, 0x8000, 1
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38

FLAG_NAMES = (
    (CLONE_NEWUSER, "CLONE_NEWUSER"),
    (CLONE_NEWNS, "CLONE_NEWNS"),
    (CLONE_NEWPID, "CLONE_NEWPID"),
    (CLONE_NEWNET, "CLONE_NEWNET"),
    (CLONE_NEWIPC, "CLONE_NEWIPC"),
)
ENABLE_USERNS = (
    "Enable unprivileged user namespaces (sysctl -w user.max_user_namespaces=10000; "
    "sysctl -w kernel.unprivileged_userns_clone=1 where that setting exists; "
    "kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu 23.10 and later), "
    "or run the grader in a container that allows them "
    "(docker run --security-opt seccomp=unconfined --security-opt apparmor=unconfined)."
)


class SandboxUnavailable(RuntimeError):
    """Linux namespaces cannot be used here; the message says why and how to fix it."""


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def check(result, what):
    """Raise OSError naming ``what`` when a libc call returned -1."""
    if result == -1:
        err = ctypes.get_errno()
        raise OSError(err, f"{what} failed: {os.strerror(err)}")


def mount(source, target, fstype, flags, data=None):
    encode = os.fsencode
    check(
        _libc().mount(
            None if source is None else encode(source),
            encode(target),
            None if fstype is None else encode(fstype),
            ctypes.c_ulong(flags),
            None if data is None else encode(data),
        ),
        f"mount({source!r} on {target!r}, type {fstype!r})",
    )


def umount(target, flags=0):
    check(_libc().umount2(os.fsencode(target), ctypes.c_int(flags)), f"umount({target!r})")


def pivot_root(new_root, put_old):
    number = SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(
            errno.ENOSYS, f"pivot_root: unknown system call number on {platform.machine()}"
        )
    check(
        _libc().syscall(ctypes.c_long(number), os.fsencode(new_root), os.fsencode(put_old)),
        "pivot_root",
    )


def prctl(option, value):
    check(_libc().prctl(option, ctypes.c_ulong(value), 0, 0, 0), f"prctl({option})")


class _MountAttr(ctypes.Structure):
    _fields_ = (
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    )


def mount_setattr(path, attr_set, attr_clr, recursive):
    attr = _MountAttr(attr_set, attr_clr, 0, 0)
    flags = AT_RECURSIVE if recursive else 0
    result = _libc().syscall(
        ctypes.c_long(SYS_MOUNT_SETATTR),
        ctypes.c_int(AT_FDCWD),
        os.fsencode(path),
        ctypes.c_uint(flags),
        ctypes.byref(attr),
        ctypes.c_size_t(ctypes.sizeof(attr)),
    )
    check(result, f"mount_setattr({path!r})")


def remount(path, readonly):
    """Bind-remount ``path`` read-only or read-write, keeping its other (locked) flags."""
    st = os.statvfs(path).f_flag
    flags = MS_BIND | MS_REMOUNT | (MS_RDONLY if readonly else 0)
    for st_flag, ms_flag in (
        (os.ST_NOSUID, MS_NOSUID),
        (os.ST_NODEV, MS_NODEV),
        (os.ST_NOEXEC, MS_NOEXEC),
        (os.ST_NOATIME, MS_NOATIME),
        (os.ST_NODIRATIME, MS_NODIRATIME),
        (os.ST_RELATIME, MS_RELATIME),
    ):
        flags |= ms_flag if st & st_flag else 0
    if not st & (os.ST_NOATIME | os.ST_RELATIME):
        flags |= MS_STRICTATIME
    mount(None, path, None, flags)


def decode_mountinfo_path(text):
    r"""Undo the octal escapes of /proc/self/mountinfo (``\040`` is a space)."""
    parts = text.split("\\")
    out = [parts[0]]
    for part in parts[1:]:
        out.append(chr(int(part[:3], 8)) + part[3:])
    return "".join(out)


def is_within(path, folder):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def mount_points(under):
    """Mount points at or below ``under``, from /proc/self/mountinfo, parents first."""
    with open("/proc/self/mountinfo") as f:
        points = [decode_mountinfo_path(line.split()[4]) for line in f]
    return [point for point in points if is_within(point, under)]


def set_readonly(path, readonly=True, recursive=False):
    """Set or clear read-only on the mount at ``path`` (and the ones below if ``recursive``)."""
    try:
        mount_setattr(
            path,
            MOUNT_ATTR_RDONLY if readonly else 0,
            0 if readonly else MOUNT_ATTR_RDONLY,
            recursive,
        )
        return
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOSYS):
            raise
    import contextlib

    remount(path, readonly)  # older kernels: one mount at a time
    for point in mount_points(path)[1:] if recursive else ():
        with contextlib.suppress(OSError):  # covered by another mount, or refused
            remount(point, readonly)


def unshare(flags):
    """unshare(2), or :class:`SandboxUnavailable` with the reason and the fix."""
    if _libc().unshare(flags) == 0:
        return
    err = ctypes.get_errno()
    names = "|".join(name for bit, name in FLAG_NAMES if flags & bit)
    message = f"unshare({names}) failed: {os.strerror(err)}."
    threads = len(os.listdir("/proc/self/task"))
    if err == errno.EINVAL and threads > 1:
        message += (
            f" The process has {threads} threads and a user namespace needs a "
            "single-threaded one: call it first thing, before starting threads."
        )
    elif flags & CLONE_NEWUSER:
        message += " " + ENABLE_USERNS
    raise SandboxUnavailable(message)


def _write_maps(pid, uid_line, gid_line, deny_setgroups):
    for name, text in (
        ("setgroups", "deny" if deny_setgroups else None),
        ("uid_map", uid_line),
        ("gid_map", gid_line),
    ):
        path = f"/proc/{pid}/{name}"
        if text is None or (name == "setgroups" and not os.path.exists(path)):
            continue  # kernels before 3.19 have no setgroups file
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, text.encode())  # one write(2), as the kernel requires
        finally:
            os.close(fd)


def enter_user_namespace(flags, inside_uid=None, then=None):
    """unshare(``flags`` | CLONE_NEWUSER) and become root of the new user namespace.

    Parameters
    ----------
    flags : int
        The other namespaces to enter at the same time.
    inside_uid : int, optional
        The real uid (and gid) that root inside maps to. By default the caller's own;
        another one needs root outside: a helper process that stays outside writes the
        maps (a process inside may map only its own uid), then this process takes that
        uid, so files it creates and the processes it starts count against it.
    then : callable, optional
        Called once the namespaces exist, before taking ``inside_uid``: what must
        still be done with the caller's rights (opening paths only it may reach).
    """
    uid, gid = os.getuid(), os.getgid()
    if inside_uid is None or inside_uid == uid:
        unshare(flags | CLONE_NEWUSER)
        try:
            _write_maps("self", f"0 {uid} 1", f"0 {gid} 1", deny_setgroups=True)
        except OSError as exc:
            raise SandboxUnavailable(
                f"writing the user namespace's id maps failed: {exc}. " + ENABLE_USERNS
            ) from exc
        if then is not None:
            then()
        return
    me = os.getpid()
    go_read, go_write = os.pipe()
    helper = os.fork()
    if helper == 0:  # stays outside, with the rights to map another uid
        try:
            os.close(go_write)
            if os.read(go_read, 1):
                _write_maps(me, f"0 {inside_uid} 1", f"0 {inside_uid} 1", deny_setgroups=False)
                os._exit(0)
        except BaseException:
            pass
        os._exit(1)
    os.close(go_read)
    try:
        unshare(flags | CLONE_NEWUSER)
        os.write(go_write, b"x")
    finally:
        os.close(go_write)
    _, status = os.waitpid(helper, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SandboxUnavailable(
            f"mapping the sandbox's uid {inside_uid} failed: the grader "
            "runs as root but cannot write another process's uid_map"
        )
    if then is not None:
        then()
    os.setresgid(0, 0, 0)
    os.setgroups([])
    os.setresuid(0, 0, 0)
    # A change of uid makes the process non-dumpable, and its /proc files root's: it
    # could not write the id maps of the namespace it enters next.
    prctl(PR_SET_DUMPABLE, 1)


def die_with_parent(parent=None) -> bool:
    """Have the kernel SIGKILL this process when the thread that started it ends.

    A grading run stopped by SIGKILL cleans nothing up: without this its workers, and
    the kernels and probes they start, would go on grading for nobody.

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
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    return parent is None or os.getppid() == parent


def bring_up_loopback():
    """Set the loopback interface of the current network namespace up."""
    import fcntl
    import socket
    import struct

    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    ifreq = "16sH22x"  # struct ifreq: the name, then ifr_flags in a 24-byte union
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        reply = fcntl.ioctl(sock, siocgifflags, struct.pack(ifreq, b"lo", 0))
        flags = struct.unpack(ifreq, reply)[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack(ifreq, b"lo", flags | iff_up))
