"""Tests for grading.sandbox: real programs run in the sandbox, and what they could do.

The layout mimics the grader's: ``out/`` (hidden) holds a secret and the student's
scratch folder ``out/alice/scratch``; ``data/`` is hidden but ``data/x.txt`` (and, in
one probe, the symlink ``data/link.txt``) is exposed; ``private/`` is hidden with nothing
exposed; ``token.txt`` is a hidden file; ``other.txt`` is a plain file next to them.
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

from grading.sandbox import Limits, _decode_mountinfo_path, available, sandbox_command

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
        root=root, out=root / "out", secret=root / "out" / "secret.txt",
        scratch=root / "out" / "alice" / "scratch", data=root / "data",
        exposed=root / "data" / "x.txt", private=root / "private", other=root / "other.txt",
        token=root / "token.txt", link=root / "data" / "link.txt",
    )
    paths.scratch.mkdir(parents=True)
    paths.data.mkdir()
    paths.private.mkdir()
    for path, text in ((paths.secret, "secret"), (paths.exposed, "exposed"),
                       (paths.data / "y.txt", "hidden"), (paths.private / "key.txt", "key"),
                       (paths.other, "other"), (paths.token, "token")):
        path.write_text(text)
    paths.hide = [paths.out, paths.data, paths.private, paths.token]
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
    options.setdefault("hide", layout.hide)
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

FS_PROBE = PREAMBLE + """
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
report["umount_private"] = libc_result(libc.umount2(cfg["private"].encode(), 0))
report["detach_private"] = libc_result(libc.umount2(cfg["private"].encode(), 2))
report["umount_proc"] = libc_result(libc.umount2(b"/proc", 2))
remount_rw = ctypes.c_ulong(32 | 4096)  # MS_REMOUNT | MS_BIND, without MS_RDONLY
for name, path in (("private", cfg["private"]), ("root", "/")):
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

# The launcher with mount_setattr(2) refused, as on kernels older than 5.12.
NO_MOUNT_SETATTR = f"""
import errno, sys
sys.path.insert(0, {str(REPO)!r})
import grading.sandbox as sandbox

def refuse(*args):
    raise OSError(errno.ENOSYS, "mount_setattr refused by the test")

sandbox._mount_setattr = refuse
sys.exit(sandbox.main())
"""


@pytest.fixture(scope="module", params=["mount_setattr", "remount fallback"])
def fs_report(request, sandbox, tmp_path_factory):
    """What FS_PROBE saw in the sandbox, and the layout it ran in (run once per mode)."""
    root = new_root(tmp_path_factory.mktemp("fs"))
    layout = make_layout(root)
    cfg = {name: str(getattr(layout, name))
           for name in ("secret", "out", "data", "private", "exposed", "other", "token", "link")}
    cfg.update(readme=str(REPO / "README.md"), marker=f"sandbox-{uuid.uuid4().hex}",
               test_pid=os.getpid())
    argv = sandbox_command(command(FS_PROBE, json.dumps(cfg)), layout.scratch,
                           hide=layout.hide, expose=[*layout.expose, layout.link])
    if request.param == "remount fallback":
        argv = [sys.executable, "-I", "-S", "-c", NO_MOUNT_SETATTR, *argv[argv.index("--scratch"):]]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    yield output(result), layout, cfg
    shutil.rmtree(root, ignore_errors=True)


def test_hidden_folders_show_only_exposed_paths(fs_report):
    report, _, _ = fs_report
    assert report["read_secret"] == "ENOENT"
    assert report["read_hidden_file"] == ""
    assert report["list_out"] == ["alice"]
    assert report["list_data"] == ["link.txt", "x.txt"]
    assert report["list_private"] == []
    assert report["read_exposed"] == "exposed"
    assert report["read_exposed_link"] == "other"  # a symlink shows its target's content


def test_only_the_scratch_folder_is_writable(fs_report):
    report, layout, _ = fs_report
    assert report["cwd"] == str(layout.scratch)
    assert report["write_scratch"] == "ok"
    assert (layout.scratch / "made-inside.txt").read_text() == "hello"
    assert report["write_exposed"] == report["write_other"] == "EROFS"
    # Root's files: read-only, and not ours either when the tests run as another user.
    for name in ("write_readme", "write_proc_sys", "create_in_etc"):
        assert report[name] in ("EROFS", "EACCES"), name
    assert layout.exposed.read_text() == "exposed"
    assert layout.other.read_text() == "other"


def test_tmp_and_dev_are_private(fs_report):
    report, _, cfg = fs_report
    assert report["list_tmp"] == []
    assert report["list_shm"] == []
    assert report["write_tmp"] == "ok"
    assert not os.path.exists("/tmp/" + cfg["marker"])
    assert set(report["list_dev"]) <= {"fd", "full", "null", "ptmx", "pts", "random", "shm",
                                       "stderr", "stdin", "stdout", "tty", "urandom", "zero"}
    assert {"null", "zero", "urandom", "shm"} <= set(report["list_dev"])
    assert report["env"] == {"HOME": "/tmp", "TMPDIR": "/tmp",
                             "MPLCONFIGDIR": "/tmp/.config/matplotlib"}


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


def test_venv_under_a_hidden_repo_stays_importable(sandbox, layout):
    code = probe("""
    import numpy
    attempt("list_repo", lambda: sorted(os.listdir(sys.argv[1])))
    attempt("read_readme", read, sys.argv[1] + "/README.md")
    print(json.dumps(report))
    """)
    venvs = [sys.prefix, *[path for path in [REPO / ".venv"] if path.is_dir()]]
    result = run(layout, code, REPO, hide=[REPO], expose=venvs)
    report = output(result)
    inside = {Path(path).resolve() for path in venvs}
    inside = sorted(path.relative_to(REPO).parts[0] for path in inside
                    if path.is_relative_to(REPO))
    assert report == {"list_repo": inside, "read_readme": "ENOENT"}


def test_scratch_and_exposed_paths_may_live_in_tmp(sandbox, tmp_path):
    layout = make_layout(tmp_path)
    code = probe("""
    attempt("read_exposed", read, sys.argv[1])
    attempt("write_scratch", write, "in-tmp.txt", "hi")
    attempt("write_exposed", open_for_writing, sys.argv[1])
    print(json.dumps(report))
    """)
    report = output(run(layout, code, layout.exposed))
    assert report == {"read_exposed": "exposed", "write_scratch": "ok", "write_exposed": "EROFS"}
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
from grading.sandbox import isolate_network, sandbox_command

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
    client = command(probe("""
    attempt("grader", connect, "127.0.0.1", int(sys.argv[1]))
    attempt("host_server", connect, "127.0.0.1", int(sys.argv[2]))
    attempt("internet", connect, "1.1.1.1", 53)
    print(json.dumps(report))
    """))
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
    from grading.sandbox import SandboxUnavailable, isolate_network
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


@pytest.mark.parametrize(("limit", "path", "expected"), [
    ("file_bytes", "big.bin", "EFBIG"),
    ("tmp_bytes", "/tmp/big.bin", "ENOSPC"),
])
def test_writing_past_a_size_limit_fails(sandbox, layout, limit, path, expected):
    code = probe("""
    attempt("write", write, sys.argv[1], "x" * (2 * 2**20))
    print(json.dumps(report))
    """)
    limits = Limits(**{limit: 2**20})
    assert output(run(layout, code, path, limits=limits)) == {"write": expected}


@pytest.mark.parametrize(("code", "expected"), [
    ("import sys; sys.exit(3)", 3),
    ("import ctypes; ctypes.string_at(0)", 128 + signal.SIGSEGV),
])
def test_exit_code_passes_through(sandbox, layout, code, expected):
    assert run(layout, code).returncode == expected


def wait_for(path, timeout=15):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear in {timeout} s"
        time.sleep(0.02)


def start(layout, code):
    argv = sandbox_command(command(code), layout.scratch, hide=layout.hide)
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sigint_reaches_the_command(sandbox, layout):
    proc = start(layout, """
    import time
    try:
        open("ready", "w").close()
        time.sleep(30)
    except KeyboardInterrupt:
        print("interrupted")
    """)
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
    proc = start(layout, """
    import subprocess, sys, time
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    open("ready", "w").close()
    time.sleep(60)
    """)
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
    argv = sandbox_command(command("print('ok')"), ".", hide=layout.hide)
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
    argv = sandbox_command(["python", "-c", "1"], "work", hide=["out"], expose=[Path("out/v")],
                           limits=limits, share_network=True)
    assert argv[:4] == [sys.executable, "-I", "-S", "-c"]
    split = argv.index("--")
    assert argv[5:split] == [
        "--scratch", str(tmp_path / "work"), "--hide", str(tmp_path / "out"),
        "--expose", str(tmp_path / "out" / "v"), "--memory", str(2**30), "--cpu", "60",
        "--file-size", str(2**20), "--tmp-size", str(2**21), "--share-network",
    ]
    assert argv[split + 1:] == ["python", "-c", "1"]
    assert sandbox_command(["true"], ".")[5:7] == ["--scratch", "."]


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: sandbox_command("python -c 1", "."), TypeError, "non-empty list of str"),
    (lambda: sandbox_command([], "."), TypeError, "non-empty list of str"),
    (lambda: Limits(cpu_seconds=0), ValueError, r"Limits.cpu_seconds must be a positive int"),
])
def test_bad_arguments_say_what_was_expected(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_decode_mountinfo_path():
    assert _decode_mountinfo_path(r"/a\040b\134c\011d") == "/a b\\c\td"
