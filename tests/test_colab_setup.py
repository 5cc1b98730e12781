"""cs231n_lib.datasets.colab_setup, with real subprocesses standing in for pip and the build."""

from __future__ import annotations

import importlib.metadata
import sys
import textwrap
import time

import pytest

from cs231n_lib.datasets import BATCHES_FOLDER, SetupError, colab_setup
from cs231n_lib.datasets._official import OFFICIAL_URL
from cs231n_lib.datasets.cifar10 import TEST_BATCH, TRAIN_BATCHES
from cs231n_lib.datasets.colab import missing_requirements

FAIL = (sys.executable, "-c", "import sys; print('must not run'); sys.exit(9)")
NUMPY = importlib.metadata.version("numpy")


def python(code):
    """A command that runs ``code``; the arguments colab_setup appends are in sys.argv[1:]."""
    return (sys.executable, "-c", textwrap.dedent(code))


def write_requirements(folder, *lines):
    (folder / "requirements.txt").write_text("\n".join(lines) + "\n")
    return folder


def make_batches(data_dir):
    batches = data_dir / BATCHES_FOLDER
    batches.mkdir(parents=True)
    for name in (*TRAIN_BATCHES, TEST_BATCH):
        (batches / name).write_bytes(b"")
    return batches


# A stand-in for `python -m cs231n_lib.datasets --dest DIR`: progress, then the files.
FAKE_BUILD = python(
    """
    import sys
    from pathlib import Path
    dest = Path(sys.argv[sys.argv.index("--dest") + 1]) / "cifar-10-batches-py"
    print("downloading", end="\\r", flush=True)
    print("downloading 100%", flush=True)
    dest.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (dest / name).write_bytes(b"")
    """
)


@pytest.mark.parametrize(
    ("line", "missing"),
    [
        ("numpy", False),
        ("numpy>=1.0", False),
        (f"numpy>={NUMPY}", False),
        ("NumPy >= 1.0  # what the notebooks need", False),
        ("numpy>=999.0", True),
        ("cs231n-surely-not-installed>=1.0", True),
        ("cs231n-surely-not-installed", True),
        (f"numpy=={NUMPY}", True),  # not a form it checks: left to pip
        ("# a comment", False),
        ("", False),
    ],
)
def test_missing_requirements_compares_with_installed_versions(tmp_path, line, missing):
    write_requirements(tmp_path, line)
    expected = [line.split("#")[0].replace(" ", "")] if missing else []
    assert missing_requirements(tmp_path / "requirements.txt") == expected


def test_nothing_runs_when_everything_is_there(tmp_path, capsys):
    write_requirements(tmp_path, "numpy>=1.0")
    batches = make_batches(tmp_path / "data")
    got = colab_setup(tmp_path, tmp_path / "data", install_command=FAIL, build_command=FAIL)
    assert got == batches
    out = capsys.readouterr().out
    assert "All requirements are installed." in out
    assert "must not run" not in out
    assert "Downloading" not in out


def test_only_the_missing_requirements_are_installed(tmp_path, capsys):
    write_requirements(tmp_path, "numpy>=1.0", "cs231n-missing-a>=2.0", "numpy>=999", "scipy")
    make_batches(tmp_path / "data")
    install = python("import sys; print('pip got', *sys.argv[1:])")
    colab_setup(tmp_path, tmp_path / "data", install_command=install, build_command=FAIL)
    out = capsys.readouterr().out
    assert "pip got cs231n-missing-a>=2.0 numpy>=999\n" in out


def test_output_is_printed_while_the_command_runs(tmp_path, monkeypatch):
    # The command waits for a file that the parent creates when it prints "first":
    # reading the output only at the end would make it time out.
    gate = tmp_path / "gate"
    install = python(
        f"""
        import sys, time
        from pathlib import Path
        print("first", flush=True)
        deadline = time.monotonic() + 20
        while not Path({str(gate)!r}).exists():
            if time.monotonic() > deadline:
                sys.exit("timed out: the output was not read as it came")
            time.sleep(0.01)
        print("second")
        """
    )

    class Console:
        text = ""

        def write(self, s):
            self.text += s
            if "first" in self.text:
                gate.touch()

        def flush(self):
            pass

    console = Console()
    monkeypatch.setattr(sys, "stdout", console)
    write_requirements(tmp_path, "cs231n-missing-a")
    make_batches(tmp_path / "data")
    colab_setup(tmp_path, tmp_path / "data", install_command=install, build_command=FAIL)
    assert "first\nsecond\n" in console.text


def test_interrupting_the_cell_stops_the_command(tmp_path, monkeypatch):
    stopped = tmp_path / "stopped"
    install = python(
        f"""
        import signal, sys, time
        from pathlib import Path
        def on_sigterm(signum, frame):
            Path({str(stopped)!r}).write_text("SIGTERM")
            sys.exit(143)
        signal.signal(signal.SIGTERM, on_sigterm)
        print("started", flush=True)
        time.sleep(30)
        """
    )

    class InterruptedConsole:
        def write(self, s):
            if "started" in s:
                raise KeyboardInterrupt  # what the stop button of a cell raises

        def flush(self):
            pass

    monkeypatch.setattr(sys, "stdout", InterruptedConsole())
    write_requirements(tmp_path, "cs231n-missing-a")
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        colab_setup(tmp_path, tmp_path / "data", install_command=install, build_command=FAIL)
    while not stopped.exists() and time.monotonic() < start + 20:
        time.sleep(0.01)
    assert stopped.read_text() == "SIGTERM"
    assert time.monotonic() - start < 20


def test_a_failed_install_names_the_step_its_last_lines_and_the_fix(tmp_path):
    write_requirements(tmp_path, "cs231n-missing-a")
    install = python(
        """
        import sys
        for i in range(40):
            print(f"line {i}")
        print("ERROR: No matching distribution found for", sys.argv[1])
        sys.exit(3)
        """
    )
    with pytest.raises(SetupError) as info:
        colab_setup(tmp_path, tmp_path / "data", install_command=install, build_command=FAIL)
    message = str(info.value)
    assert message.startswith("Could not install the requirements:")
    assert "exit code 3" in message
    assert "No matching distribution found for cs231n-missing-a" in message
    assert "line 39" in message
    assert "line 3\n" not in message  # only the last lines
    assert "internet" in message
    assert "Runtime > Restart session" in message


def test_the_data_is_built_when_missing(tmp_path, capsys):
    write_requirements(tmp_path, "numpy")
    got = colab_setup(tmp_path, tmp_path / "data", install_command=FAIL, build_command=FAKE_BUILD)
    assert got == tmp_path / "data" / BATCHES_FOLDER
    assert (got / TEST_BATCH).is_file()
    out = capsys.readouterr().out
    assert "about 170 MB" in out
    assert "1-3 minutes" in out
    assert "downloading\rdownloading 100%\n" in out  # carriage returns kept: bars redraw
    assert "CIFAR-10 is ready, in " in out


def test_a_failed_build_says_how_to_build_from_a_manual_download(tmp_path):
    write_requirements(tmp_path, "numpy")
    build = python("import sys; sys.exit('error: could not download: Network is unreachable')")
    data_dir = tmp_path / "my data"
    with pytest.raises(SetupError) as info:
        colab_setup(tmp_path, data_dir, install_command=FAIL, build_command=build)
    message = str(info.value)
    assert message.startswith("Could not download and build CIFAR-10:")
    assert "Network is unreachable" in message
    assert "exit code 1" in message
    assert OFFICIAL_URL in message
    assert f"into {tmp_path.resolve()}" in message
    assert f"--from cifar-10-python.tar.gz --dest '{data_dir}'" in message
    assert not (data_dir / BATCHES_FOLDER).exists()


def test_a_command_that_cannot_start_is_reported(tmp_path):
    write_requirements(tmp_path, "cs231n-missing-a")
    with pytest.raises(SetupError, match=r"Could not install the requirements: cannot run"):
        colab_setup(tmp_path, tmp_path / "data", install_command=[str(tmp_path / "no-pip")])


def test_a_missing_requirements_file_says_where_to_change_into(tmp_path):
    with pytest.raises(SetupError, match=r"Expected requirements\.txt in .*%cd "):
        colab_setup(tmp_path, tmp_path / "data", install_command=FAIL, build_command=FAIL)
