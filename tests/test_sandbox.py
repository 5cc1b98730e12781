"""Tests for grading.isolation: real programs run in the sandbox, and what they could do.

The layout mimics the grader's: ``out/`` holds a secret and the student's scratch folder
``out/alice/scratch``; in ``data/``, ``x.txt`` (and, in one probe, the symlink
``data/link.txt``) is exposed; ``private/`` and ``token.txt`` are not exposed;
``other.txt`` is a plain file next to them. Nothing but the allow-list, the exposed
paths and the scratch folder should exist inside.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from grading.isolation import Limits, available, policy, sandbox_command
from grading.isolation.syscalls import decode_mountinfo_path

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sandbox():
    """Skip (fail on CI) where namespaces do not work, with the reason."""
    reason = available()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the sandbox does not work on CI: {reason}")
        pytest.skip(f"the sandbox does not work here: {reason}")


def make_layout(root):
    root = Path(root)
    paths = SimpleNamespace(
        root=root,
        out=root / "out",
        secret=root / "out" / "secret.txt",
        scratch=root / "out" / "alice" / "scratch",
        data=root / "data",
        exposed=root / "data" / "x.txt",
        private=root / "private",
        other=root / "other.txt",
        token=root / "token.txt",
        link=root / "data" / "link.txt",
    )
    paths.scratch.mkdir(parents=True)
    paths.data.mkdir()
    paths.private.mkdir()
    for path, text in (
        (paths.secret, "secret"),
        (paths.exposed, "exposed"),
        (paths.data / "y.txt", "hidden"),
        (paths.private / "key.txt", "key"),
        (paths.other, "other"),
        (paths.token, "token"),
    ):
        path.write_text(text)
    paths.link.symlink_to(paths.other)
    paths.expose = [paths.exposed]
    return paths


def new_root(fallback):
    """A fresh folder outside /tmp when possible, so that /tmp inside should be empty."""
    if os.access("/var/tmp", os.W_OK):
        return Path(tempfile.mkdtemp(prefix="sandbox-test-", dir="/var/tmp"))
    return fallback


@pytest.fixture
def layout(tmp_path):
    root = new_root(tmp_path)
    yield make_layout(root)
    shutil.rmtree(root, ignore_errors=True)


def command(code, *args):
    return [sys.executable, "-c", textwrap.dedent(code), *map(str, args)]


def run(layout, code, *args, timeout=60, **options):
    options.setdefault("expose", layout.expose)
    argv = sandbox_command(command(code, *args), layout.scratch, **options)
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def probe(body):
    """A program: PREAMBLE's helpers, then `body` (which prints the report)."""
    return PREAMBLE + textwrap.dedent(body)


def output(result):
    assert result.returncode == 0, f"exit code {result.returncode}, stderr:\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


PREAMBLE = """
import ctypes, errno, json, os, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
report = {}

def attempt(name, func, *args):
    try:
        value = func(*args)
    except OSError as exc:
        value = errno.errorcode.get(exc.errno, str(exc))
    report[name] = "ok" if value is None else value

def libc_result(result):
    return "ok" if result == 0 else errno.errorcode[ctypes.get_errno()]

def read(path):
    with open(path) as f:
        return f.read()

def write(path, text="x"):
    with open(path, "w") as f:
        f.write(text)

def open_for_writing(path):  # changes nothing even if it succeeds
    os.close(os.open(path, os.O_WRONLY | os.O_APPEND))

def connect(host, port):
    with socket.create_connection((host, port), timeout=2) as sock:
        return sock.recv(16).decode() or "connected"
"""

FS_PROBE = (
    PREAMBLE
    + """
cfg = json.loads(sys.argv[1])
attempt("read_secret", read, cfg["secret"])
attempt("read_hidden_file", read, cfg["token"])
attempt("list_out", lambda: sorted(os.listdir(cfg["out"])))
attempt("list_data", lambda: sorted(os.listdir(cfg["data"])))
attempt("list_private", lambda: sorted(os.listdir(cfg["private"])))
attempt("read_exposed", read, cfg["exposed"])
attempt("read_exposed_link", read, cfg["link"])
attempt("write_exposed", open_for_writing, cfg["exposed"])
attempt("cwd", os.getcwd)
attempt("write_scratch", write, "made-inside.txt", "hello")
attempt("write_other", open_for_writing, cfg["other"])
attempt("write_readme", open_for_writing, cfg["readme"])
attempt("create_in_etc", write, "/etc/sandbox-probe")
attempt("list_tmp", lambda: sorted(os.listdir("/tmp")))
attempt("write_tmp", write, "/tmp/" + cfg["marker"])
attempt("list_shm", lambda: sorted(os.listdir("/dev/shm")))
attempt("list_dev", lambda: sorted(os.listdir("/dev")))
report["uid"] = os.getuid()
report["umount_private"] = libc_result(libc.umount2(b"/usr", 0))
report["detach_private"] = libc_result(libc.umount2(b"/usr", 2))
report["umount_proc"] = libc_result(libc.umount2(b"/proc", 2))
remount_rw = ctypes.c_ulong(32 | 4096)  # MS_REMOUNT | MS_BIND, without MS_RDONLY
for name, path in (("private", "/usr"), ("root", "/")):
    result = libc.mount(None, path.encode(), None, remount_rw, None)
    report["remount_rw_" + name] = libc_result(result)
attr = (ctypes.c_uint64 * 4)(0, 1, 0, 0)  # mount_attr: clear MOUNT_ATTR_RDONLY
report["setattr_rw_root"] = libc_result(libc.syscall(
    ctypes.c_long(442), ctypes.c_long(-100), b"/", ctypes.c_long(0x8000),
    ctypes.byref(attr), ctypes.c_long(32)))
sysctl = min(e.path for e in os.scandir("/proc/sys/kernel") if e.is_file())
attempt("write_proc_sys", open_for_writing, sysctl)
report["pid"] = os.getpid()
report["pids"] = sorted(int(name) for name in os.listdir("/proc") if name.isdigit())
attempt("signal_test_process", os.kill, cfg["test_pid"], 0)
report["env"] = {name: os.environ.get(name) for name in ("HOME", "TMPDIR", "MPLCONFIGDIR")}
print(json.dumps(report))
"""
)

# The launcher with mount_setattr(2) refused, as on kernels older than 5.12.
NO_MOUNT_SETATTR = f"""
import errno, sys
sys.path.insert(0, {str(REPO)!r})
import grading.isolation.syscalls as syscalls
from grading.isolation.launcher import main

def refuse(*args):
    raise OSError(errno.ENOSYS, "mount_setattr refused by the test")

syscalls.mount_setattr = refuse
sys.exit(main())
"""


@pytest.fixture(scope="module", params=["mount_setattr", "remount fallback"])
def fs_report(request, sandbox, tmp_path_factory):
    """What FS_PROBE saw in the sandbox, and the layout it ran in (run once per mode)."""
    root = new_root(tmp_path_factory.mktemp("fs"))
    layout = make_layout(root)
    cfg = {
        name: str(getattr(layout, name))
        for name in ("secret", "out", "data", "private", "exposed", "other", "token", "link")
    }
    cfg.update(
        readme=str(REPO / "README.md"), marker=f"sandbox-{uuid.uuid4().hex}", test_pid=os.getpid()
    )
    argv = sandbox_command(
        command(FS_PROBE, json.dumps(cfg)), layout.scratch, expose=[*layout.expose, layout.link]
    )
    if request.param == "remount fallback":
        argv = [
            sys.executable,
            "-I",
            "-S",
            "-c",
            NO_MOUNT_SETATTR,
            *argv[argv.index("--scratch") :],
        ]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    yield output(result), layout, cfg
    shutil.rmtree(root, ignore_errors=True)


def test_only_exposed_paths_exist(fs_report):
    report, _, _ = fs_report
    assert report["read_secret"] == "ENOENT"
    assert report["read_hidden_file"] == "ENOENT"
    assert report["list_out"] == ["alice"]  # the way to the scratch folder
    assert report["list_data"] == ["link.txt", "x.txt"]
    assert report["list_private"] == "ENOENT"
    assert report["read_exposed"] == "exposed"
    assert report["read_exposed_link"] == "other"  # a symlink shows its target's content


def test_only_the_scratch_folder_is_writable(fs_report):
    report, layout, _ = fs_report
    assert report["cwd"] == str(layout.scratch)
    assert report["write_scratch"] == "ok"
    assert (layout.scratch / "made-inside.txt").read_text() == "hello"
    assert report["write_exposed"] == "EROFS"
    assert report["write_other"] == "ENOENT"  # not exposed: not there
    # Root's files: read-only, and not ours either when the tests run as another user.
    assert report["write_readme"] == "ENOENT"  # the repository is not there at all
    for name in ("write_proc_sys", "create_in_etc"):
        assert report[name] in ("EROFS", "EACCES"), name
    assert layout.exposed.read_text() == "exposed"
    assert layout.other.read_text() == "other"


def test_tmp_and_dev_are_private(fs_report):
    report, _, cfg = fs_report
    # Only the way to the Python environment, when it lives under /tmp (a checkout there).
    ways = {
        Path(p).relative_to("/tmp").parts[0]
        for p in policy.python_paths()
        if Path(p).is_relative_to("/tmp")
    }
    assert set(report["list_tmp"]) == ways
    assert report["list_shm"] == []
    assert report["write_tmp"] == "ok"
    assert not os.path.exists("/tmp/" + cfg["marker"])
    assert set(report["list_dev"]) <= {
        "fd",
        "full",
        "null",
        "ptmx",
        "pts",
        "random",
        "shm",
        "stderr",
        "stdin",
        "stdout",
        "tty",
        "urandom",
        "zero",
    }
    assert {"null", "zero", "urandom", "shm"} <= set(report["list_dev"])
    assert report["env"] == {
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "MPLCONFIGDIR": "/tmp/.config/matplotlib",
    }


def test_mounts_are_locked_even_for_root_inside(fs_report):
    report, _, _ = fs_report
    assert report["uid"] == 0
    assert report["umount_private"] == "EINVAL"
    assert report["detach_private"] == "EINVAL"
    assert report["umount_proc"] == "EINVAL"
    assert report["remount_rw_private"] == "EPERM"
    assert report["remount_rw_root"] == "EPERM"
    assert report["setattr_rw_root"] == "EPERM"


def test_command_sees_only_its_own_processes(fs_report):
    report, _, _ = fs_report
    assert report["pid"] == 1
    assert report["pids"] == [1]
    assert report["signal_test_process"] == "ESRCH"


def test_venv_inside_the_repo_is_importable_and_the_repo_is_not_there(sandbox, layout):
    code = probe("""
    import numpy
    attempt("list_repo", lambda: sorted(os.listdir(sys.argv[1])))
    attempt("read_readme", read, sys.argv[1] + "/README.md")
    print(json.dumps(report))
    """)
    venvs = [sys.prefix, *[path for path in [REPO / ".venv"] if path.is_dir()]]
    result = run(layout, code, REPO, expose=venvs)
    report = output(result)
    inside = {Path(path).resolve() for path in venvs}
    inside = sorted(path.relative_to(REPO).parts[0] for path in inside if path.is_relative_to(REPO))
    assert report == {"list_repo": inside, "read_readme": "ENOENT"}


def test_scratch_and_exposed_paths_may_live_in_tmp(sandbox, tmp_path):
    layout = make_layout(tmp_path)
    code = probe("""
    attempt("read_exposed", read, sys.argv[1])
    attempt("write_scratch", write, "in-tmp.txt", "hi")
    attempt("write_exposed", open_for_writing, sys.argv[1])
    attempt("write_beside", write, sys.argv[2])
    print(json.dumps(report))
    """)
    report = output(run(layout, code, layout.exposed, layout.root / "README.md"))
    assert report == {
        "read_exposed": "exposed",
        "write_scratch": "ok",
        "write_exposed": "EROFS",
        "write_beside": "EROFS",
    }
    assert (layout.scratch / "in-tmp.txt").read_text() == "hi"


@pytest.fixture
def host_server():
    """A TCP server on the test's 127.0.0.1; yields its port."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


def test_no_network_by_default(sandbox, layout, host_server):
    code = probe("""
    attempt("host_server", connect, "127.0.0.1", int(sys.argv[1]))
    attempt("internet", connect, "1.1.1.1", 53)
    print(json.dumps(report))
    """)
    report = output(run(layout, code, host_server))
    assert report["host_server"] in ("ENETUNREACH", "ECONNREFUSED")
    assert report["internet"] in ("ENETUNREACH", "ETIMEDOUT")


ISOLATED_GRADER = """
import json, socket, subprocess, sys, threading
from grading.isolation import isolate_network, sandbox_command

isolate_network()  # first thing: the process is still single-threaded
server = socket.create_server(("127.0.0.1", 0))

def serve():
    connection, _ = server.accept()
    connection.sendall(b"hello")
    connection.close()

threading.Thread(target=serve, daemon=True).start()
client = sys.argv[1:4] + [str(server.getsockname()[1]), sys.argv[4]]
argv = sandbox_command(client, sys.argv[5], share_network=True)
result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
print(result.stdout.strip() or result.stderr)
"""


def test_isolated_grader_reaches_its_kernels_and_nothing_else(sandbox, layout, host_server):
    client = command(
        probe("""
    attempt("grader", connect, "127.0.0.1", int(sys.argv[1]))
    attempt("host_server", connect, "127.0.0.1", int(sys.argv[2]))
    attempt("internet", connect, "1.1.1.1", 53)
    print(json.dumps(report))
    """)
    )
    argv = [sys.executable, "-c", ISOLATED_GRADER, *client, str(host_server), str(layout.scratch)]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["grader"] == "hello"
    assert report["host_server"] == "ECONNREFUSED"
    assert report["internet"] in ("ENETUNREACH", "ETIMEDOUT")


def test_isolate_network_explains_a_multithreaded_caller():
    code = """
    import threading, time
    from grading.isolation import SandboxUnavailable, isolate_network
    threading.Thread(target=time.sleep, args=(10,), daemon=True).start()
    try:
        isolate_network()
    except SandboxUnavailable as exc:
        print(exc)
    """
    result = subprocess.run(command(code), capture_output=True, text=True, timeout=60, cwd=REPO)
    assert "unshare(CLONE_NEWUSER|CLONE_NEWNET) failed" in result.stdout
    assert "single-threaded" in result.stdout


def test_memory_limit_raises_memory_error(sandbox, layout):
    code = """
    try:
        bytearray(20 * 2**30)
    except MemoryError:
        print("MemoryError")
    """
    result = run(layout, code)
    assert (result.returncode, result.stdout.strip()) == (0, "MemoryError"), result.stderr


def test_cpu_limit_kills_a_busy_loop(sandbox, layout):
    start = time.monotonic()
    result = run(layout, "while True: pass", limits=Limits(cpu_seconds=1))
    # pid 1 of a pid namespace ignores SIGXCPU unless it handles it: the hard limit
    # (one second + 5) then kills it with SIGKILL.
    assert result.returncode in (128 + signal.SIGXCPU, 128 + signal.SIGKILL)
    assert time.monotonic() - start < 40  # 6 s of CPU, on a machine that may be busy


def test_cpu_limit_sends_sigxcpu_to_other_processes(sandbox, layout):
    code = """
    import subprocess, sys
    print(subprocess.run([sys.executable, "-c", "while True: pass"]).returncode)
    """
    result = run(layout, code, limits=Limits(cpu_seconds=1))
    assert result.stdout.strip() == str(-signal.SIGXCPU), result.stderr


@pytest.mark.parametrize(
    ("limit", "path", "expected"),
    [
        ("file_bytes", "big.bin", "EFBIG"),
        ("tmp_bytes", "/tmp/big.bin", "ENOSPC"),
    ],
)
def test_writing_past_a_size_limit_fails(sandbox, layout, limit, path, expected):
    code = probe("""
    attempt("write", write, sys.argv[1], "x" * (2 * 2**20))
    print(json.dumps(report))
    """)
    limits = Limits(**{limit: 2**20})
    assert output(run(layout, code, path, limits=limits)) == {"write": expected}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("import sys; sys.exit(3)", 3),
        ("import ctypes; ctypes.string_at(0)", 128 + signal.SIGSEGV),
    ],
)
def test_exit_code_passes_through(sandbox, layout, code, expected):
    assert run(layout, code).returncode == expected


def wait_for(path, timeout=15):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear in {timeout} s"
        time.sleep(0.02)


def start(layout, code):
    argv = sandbox_command(command(code), layout.scratch)
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sigint_reaches_the_command(sandbox, layout):
    proc = start(
        layout,
        """
    import time
    try:
        open("ready", "w").close()
        time.sleep(30)
    except KeyboardInterrupt:
        print("interrupted")
    """,
    )
    wait_for(layout.scratch / "ready")
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=15)
    assert (proc.returncode, stdout.strip()) == (0, "interrupted"), stderr


def test_sigterm_ends_a_command_that_ignores_it(sandbox, layout):
    proc = start(layout, 'import time; open("ready", "w").close(); time.sleep(30)')
    wait_for(layout.scratch / "ready")
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=15)
    assert proc.returncode == 128 + signal.SIGKILL


def test_killing_the_launcher_kills_everything_inside(sandbox, layout):
    proc = start(
        layout,
        """
    import subprocess, sys, time
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    open("ready", "w").close()
    time.sleep(60)
    """,
    )
    wait_for(layout.scratch / "ready")
    proc.kill()
    # Both processes inside hold the stdout pipe: end of file means both are gone.
    proc.communicate(timeout=15)
    assert proc.returncode == -signal.SIGKILL


def test_scratch_dot_is_the_launchers_working_directory(sandbox, layout):
    argv = sandbox_command(command("import os; print(os.getcwd())"), ".")
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=layout.scratch)
    assert result.stdout.strip() == str(layout.scratch), result.stderr


def test_modules_in_the_working_directory_do_not_run_in_the_launcher(sandbox, layout):
    # A student's folder is the launcher's working directory: files named like the
    # modules it imports must not run before the sandbox exists.
    shadow = f"open({str(layout.other)!r}, 'a').write('launcher ran student code')\n"
    for name in ("argparse", "ctypes", "dataclasses", "signal", "runpy", "grading"):
        (layout.scratch / f"{name}.py").write_text(shadow)
    argv = sandbox_command(command("print('ok')"), ".")
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=layout.scratch)
    assert (result.returncode, result.stdout) == (0, "ok\n"), result.stderr
    assert layout.other.read_text() == "other"


def test_setup_failure_exits_70_with_a_readable_message(sandbox, layout):
    missing = layout.root / "nowhere"
    argv = sandbox_command(command("print('ran')"), missing)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 70
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert f"--scratch '{missing}': expected an existing folder" in result.stderr


def test_missing_program_exits_127(sandbox, layout):
    missing = str(layout.root / "no-such-program")
    argv = sandbox_command([missing], layout.scratch)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 127
    assert f"cannot run {missing!r}: No such file or directory" in result.stderr


def test_sandbox_command_builds_absolute_argv(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    limits = Limits(memory_bytes=2**30, cpu_seconds=60, file_bytes=2**20, tmp_bytes=2**21)
    argv = sandbox_command(
        ["python", "-c", "1"],
        "work",
        expose=[Path("out/v"), "{file}"],
        limits=limits,
        share_network=True,
        env={"CS231N_GRADING": "1"},
    )
    assert argv[:4] == [sys.executable, "-I", "-S", "-c"]
    split = argv.index("--")
    pythons = [item for path in policy.python_paths() for item in ("--expose", path)]
    assert argv[5:split] == [
        "--scratch",
        str(tmp_path / "work"),
        *pythons,
        "--expose",
        str(tmp_path / "out" / "v"),
        "--expose",
        "{file}",
        "--env",
        "CS231N_GRADING=1",
        "--memory",
        str(2**30),
        "--cpu",
        "60",
        "--file-size",
        str(2**20),
        "--tmp-size",
        str(2**21),
        "--processes",
        str(Limits.processes),
        "--share-network",
    ]
    assert argv[split + 1 :] == ["python", "-c", "1"]
    assert sandbox_command(["true"], ".")[5:7] == ["--scratch", "."]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: sandbox_command("python -c 1", "."), TypeError, "non-empty list of str"),
        (lambda: sandbox_command([], "."), TypeError, "non-empty list of str"),
        (lambda: Limits(cpu_seconds=0), ValueError, r"Limits.cpu_seconds must be a positive int"),
        (
            lambda: sandbox_command(["true"], ".", env={"AWS_SECRET_ACCESS_KEY": "x"}),
            ValueError,
            "AWS_SECRET_ACCESS_KEY may not be passed to student code",
        ),
    ],
)
def test_bad_arguments_say_what_was_expected(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_decode_mountinfo_path():
    assert decode_mountinfo_path(r"/a\040b\134c\011d") == "/a b\\c\td"


# ----------------------------------------------------------------------------- issue 22

WALK = """
import json, os, stat, sys
found, sockets = [], []
for folder, dirs, files in os.walk("/", followlinks=False):
    if folder == "/proc" or folder.startswith("/proc/"):
        dirs[:] = []
        continue
    for name in dirs + files:
        path = os.path.join(folder, name)
        found.append(path)
        if stat.S_ISSOCK(os.lstat(path).st_mode):
            sockets.append(path)
print(json.dumps({"paths": found, "sockets": sockets}))
"""


def _allowed(path, roots, ancestors):
    return path in ancestors or any(
        path == r or path.startswith(r.rstrip("/") + "/") for r in roots
    )


def test_walking_the_root_finds_nothing_outside_the_allow_list(sandbox, layout):
    # A host unix socket where student code could once see it (a Docker or Jupyter one).
    host_socket = socket.socket(socket.AF_UNIX)
    socket_path = layout.root / "host.sock"
    host_socket.bind(str(socket_path))
    host_socket.listen()
    try:
        result = run(layout, WALK, expose=[layout.exposed, layout.data / "y.txt"])
    finally:
        host_socket.close()
    report = output(result)
    roots = [
        *policy.SYSTEM,
        *policy.python_paths(),
        *policy.ETC,
        *policy.ETC_WRITTEN,
        "/tmp",
        "/dev",
        "/proc",
        str(layout.scratch),
        str(layout.exposed),
        str(layout.data / "y.txt"),
    ]
    ancestors = {str(parent) for root in roots for parent in Path(root).parents}
    outside = [p for p in report["paths"] if not _allowed(p, roots, ancestors)]
    assert outside == []
    assert report["sockets"] == []
    assert not any(
        p.endswith("host.sock") or p.startswith(("/run", "/home", "/root/.ssh"))
        for p in report["paths"]
    )
    # The walk did see the system and the scratch folder: it can fail.
    assert "/usr/bin" in report["paths"]
    assert str(layout.scratch) in report["paths"]


def test_a_host_unix_socket_cannot_be_reached(sandbox, layout):
    server = socket.socket(socket.AF_UNIX)
    path = layout.root / "daemon.sock"
    server.bind(str(path))
    server.listen()
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind("\0cs231n-test-" + uuid.uuid4().hex)
    abstract.listen()
    code = probe("""
    def unix(address):
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(address)
    attempt("path", unix, sys.argv[1])
    attempt("abstract", unix, sys.argv[2])
    print(json.dumps(report))
    """)
    try:
        report = output(run(layout, code, path, abstract.getsockname()))
    finally:
        server.close()
        abstract.close()
    assert report["path"] == "ENOENT"
    assert report["abstract"] in ("ECONNREFUSED", "ENOENT")  # another network namespace


def test_shared_memory_made_inside_dies_with_the_sandbox(sandbox, layout):
    key = 0x5A22_0000 + os.getpid() % 0xFFFF
    code = f"""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    shmid = libc.shmget({key}, 4096, 0o1000 | 0o666)  # IPC_CREAT
    print(shmid >= 0)
    """
    result = run(layout, code)
    assert result.stdout.strip() == "True", result.stderr
    with open("/proc/sysvipc/shm") as f:
        keys = [int(line.split()[0]) for line in f.readlines()[1:]]
    assert key not in keys


def test_student_code_gets_a_small_explicit_environment(sandbox, layout, monkeypatch):
    monkeypatch.setenv("INSTRUCTOR_API_TOKEN", "secret-token")
    code = "import json, os; print(json.dumps(dict(os.environ)))"
    argv = sandbox_command(command(code), layout.scratch, env={"CS231N_GRADING": "1"})
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    env = json.loads(result.stdout)
    assert "secret-token" not in result.stdout
    assert set(env) == {*policy.BASE_ENV, "PATH", "PWD", "CS231N_GRADING"}


def test_a_fork_bomb_stops_at_the_process_limit(sandbox, layout):
    code = """
    import os, time
    count = 0
    for _ in range(500):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            time.sleep(5)
            os._exit(0)
        count += 1
    print(count)
    """
    result = run(layout, code, limits=Limits(processes=20))
    assert result.returncode == 0, result.stderr
    assert 0 < int(result.stdout) < 20


@pytest.mark.skipif(os.getuid() != 0, reason="only root maps student code to another uid")
def test_as_root_student_code_runs_as_the_sandbox_uid(sandbox, layout):
    secret = layout.data / "root-only.txt"
    secret.write_text("root")
    secret.chmod(0o600)
    code = probe("""
    attempt("read", read, sys.argv[1])
    write("made.txt")
    print(json.dumps(report))
    """)
    report = output(run(layout, code, secret, expose=[secret.parent]))
    assert report == {"read": "EACCES"}
    assert (layout.scratch / "made.txt").stat().st_uid == policy.SANDBOX_UID


def test_runs_from_a_checkout_under_tmp_with_spaces_behind_a_symlink(sandbox, tmp_path):
    """A clone in /tmp, in a folder with a space, reached through a symlink, works."""
    real = tmp_path / "check out"
    shutil.copytree(
        REPO / "grading", real / "grading", ignore=shutil.ignore_patterns("__pycache__")
    )
    (real / "scratch").mkdir()
    (real / "data file.txt").write_text("exposed")
    link = tmp_path / "link"
    link.symlink_to(real)
    argv = sandbox_command(
        command(
            "import os; print(open(os.sys.argv[1]).read(), os.getcwd())", link / "data file.txt"
        ),
        link / "scratch",
        expose=[link / "data file.txt"],
    )
    boot = argv[4].replace(repr(str(REPO)), repr(str(link)))
    assert boot != argv[4]
    result = subprocess.run(
        [*argv[:4], boot, *argv[5:]], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["exposed", str(link / "scratch")]


def test_the_kit_installed_in_the_environment_is_not_shown(sandbox, tmp_path):
    """A regular install copies the solutions and checks into site-packages: covered.

    A throwaway venv stands for a grading machine's (``pip install .``), shown as the
    grader shows its own environment.
    """
    venv = Path(tempfile.mkdtemp(prefix="kit-venv-", dir="/var/tmp"))
    venv.chmod(0o755)  # readable by the sandbox's uid, as an environment is
    try:
        base = os.path.realpath(sys.executable)  # not through .venv, which is not shown
        subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True)
        [site] = venv.glob("lib/python3*/site-packages")
        for relative, text in (
            ("cs231n_lib/classifiers/linear_svm.py", "SOLUTION = 'the instructor'\n"),
            ("grading/run/checks.py", "HIDDEN = 'checks'\n"),
            ("otherpkg/mod.py", "VALUE = 'shown'\n"),
        ):
            (site / relative).parent.mkdir(parents=True, exist_ok=True)
            (site / relative).write_text(text)
        python = str(venv / "bin" / "python")
        assert policy.installed_kit([str(venv)]) == [
            str(site / "cs231n_lib"),
            str(site / "grading"),
        ]
        code = (
            "import json, os, sys; site = sys.argv[1]; print(json.dumps({n: sorted(os.listdir("
            "os.path.join(site, n))) for n in ('cs231n_lib', 'grading', 'otherpkg')}))"
        )
        scratch = tmp_path / "scratch"
        scratch.mkdir()
        # The grader's Python passes its environment (its sys.prefix) to the launcher.
        argv = sandbox_command([python, "-c", code, str(site)], scratch, expose=[venv])
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {
            "cs231n_lib": [],
            "grading": [],
            "otherpkg": ["mod.py"],
        }
    finally:
        shutil.rmtree(venv, ignore_errors=True)
