"""What a sandboxed command may see, use and inherit: the allow-list, limits, environment.

Nothing of the machine is visible inside unless it is named here or exposed by the
caller: the system's programs and libraries (:data:`SYSTEM`), the Python environment
running the grader (:func:`python_paths`), a few files of ``/etc`` (:data:`ETC`, the
harmless ones, some of them written afresh), and what the caller exposes (the
submission's scratch folder, the dataset, the kernel's connection file).
"""

from __future__ import annotations

import dataclasses
import glob
import os
import sys

# The system's programs and libraries: read-only, as they are.
SYSTEM = ("/usr", "/bin", "/lib", "/lib32", "/lib64", "/libx32")
# Parts of /etc shown as they are (when present): files copied, folders read-only; the
# rest of /etc is not there.
ETC = ("/etc/ld.so.cache", "/etc/localtime", "/etc/mime.types", "/etc/fonts")
# Files written afresh instead of the machine's: no user list, no host names.
ETC_WRITTEN = {
    "/etc/passwd": "root:x:0:0:sandbox:/tmp:/bin/false\n",
    "/etc/group": "root:x:0:\n",
    "/etc/hosts": "127.0.0.1 localhost\n::1 localhost\n",
    "/etc/nsswitch.conf": "passwd: files\ngroup: files\nhosts: files\n",
}
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
PROC_READONLY = ("sys", "sysrq-trigger", "irq", "bus", "fs")
PROC_MASKED = ("kcore", "keys", "timer_list", "sched_debug", "latency_stats", "acpi", "scsi")
# When the grader runs as root, student code runs as this uid: no root-owned file it
# could reach is writable, and its process limit applies (root ignores RLIMIT_NPROC).
SANDBOX_UID = 65534
# The whole environment of a sandboxed command, besides what the caller passes.
BASE_ENV = {
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "IPYTHONDIR": "/tmp/.ipython",
    "MPLCONFIGDIR": "/tmp/.config/matplotlib",
    "XDG_CACHE_HOME": "/tmp/.cache",
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
}
# Variables a caller may pass through (``env=``); anything else is refused.
PASSED_ENV = (
    "CS231N_GRADING",
    "CS231N_DATA_DIR",
    "CS231N_RUN_EXTENSION",
    "MPLBACKEND",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "PYTHONHASHSEED",
    "TZ",
)


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits of a sandboxed command, and of a whole submission.

    Parameters
    ----------
    memory_bytes : int
        Address-space limit of each process (RLIMIT_AS: allocating beyond it raises
        MemoryError), and the most resident memory a submission's processes may hold
        together (:class:`~grading.isolation.worker_ns.Budget` stops them all beyond).
    cpu_seconds : int
        CPU-time limit (RLIMIT_CPU): SIGXCPU at this, SIGKILL 5 s of CPU later. The
        command is pid 1 of its pid namespace, which ignores SIGXCPU unless it handles
        it: it is killed at the later limit, and the processes it starts at the first.
    file_bytes : int
        Largest file the command may write (RLIMIT_FSIZE); larger writes fail with EFBIG.
    tmp_bytes : int
        Size of each of the private ``/tmp`` and ``/dev/shm`` tmpfs.
    processes : int
        Processes and threads the sandbox may run at once (RLIMIT_NPROC); a
        submission that reaches it is stopped as a fork bomb.
    scratch_bytes : int
        Size of a submission's scratch folders (a tmpfs each, with the submission's
        copy in it): writing beyond fails with ENOSPC.
    scratch_files : int
        Files and folders each scratch tmpfs may hold.
    """

    memory_bytes: int = 6 * 2**30
    cpu_seconds: int = 900
    file_bytes: int = 256 * 2**20
    tmp_bytes: int = 256 * 2**20
    processes: int = 64
    scratch_bytes: int = 512 * 2**20
    scratch_files: int = 20_000

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(
                    f"Limits.{field.name} must be a positive int, got {value!r}; "
                    f"for example Limits({field.name}={field.default})."
                )


DEFAULT_LIMITS = Limits()


def python_paths():
    """The folders of the Python running the grader (its environment and base install).

    The venv's ``bin/python`` is often a symlink into the base install: its target's
    prefix is included too.
    """
    exe = os.path.realpath(sys.executable)
    paths = {
        sys.prefix,
        sys.exec_prefix,
        sys.base_prefix,
        sys.base_exec_prefix,
        os.path.dirname(os.path.dirname(exe)),
    }
    return sorted(os.path.abspath(path) for path in paths if path)


# The kit's own packages. Installed (not editable) into the Python environment, they
# would sit in its site-packages, which the sandbox shows: the instructor's solutions
# and the hidden checks, for student code to call at grading time.
KIT_PACKAGES = ("cs231n_lib", "grading")


def installed_kit(prefixes=None):
    """The kit's packages installed inside the Python environment, covered in the sandbox.

    An editable install leaves only a path hook there (the sources stay in the
    repository, which is not shown); a regular one (a grading machine, a Dask worker,
    Gradescope's image) copies the sources in. The student's own ``cs231n_lib`` comes
    from the submission's folder, never from here.
    """
    found = {}  # real path -> the path under the prefix (lib64 is often a link to lib)
    for prefix in prefixes or python_paths():
        pattern = os.path.join(glob.escape(prefix), "lib*", "python3*", "*-packages")
        for site in sorted(glob.glob(pattern)):
            for name in KIT_PACKAGES:
                package = os.path.join(site, name)
                if os.path.isdir(package) and not os.path.islink(package):
                    found.setdefault(os.path.realpath(package), os.path.abspath(package))
    return sorted(found.values())


def command_env(extra):
    """The environment of a sandboxed command: :data:`BASE_ENV`, PATH and ``extra``.

    Raises
    ------
    ValueError
        If ``extra`` names a variable outside :data:`PASSED_ENV`.
    """
    unknown = sorted(set(extra) - set(PASSED_ENV))
    if unknown:
        raise ValueError(
            f"env: {', '.join(unknown)} may not be passed to student code; "
            f"allowed: {', '.join(PASSED_ENV)}"
        )
    bins = [os.path.join(path, "bin") for path in python_paths()]
    path = ":".join(
        dict.fromkeys(
            [os.path.dirname(sys.executable), *bins, "/usr/local/bin", "/usr/bin", "/bin"]
        )
    )
    return {**BASE_ENV, "PATH": path, **{k: str(v) for k, v in extra.items()}}
