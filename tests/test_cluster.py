"""Grading on a real Dask cluster whose workers share no files with the coordinator.

The samples graded exactly on two such workers: ``graded_samples`` (conftest.py) and
test_autograde.py. Here: the transport and the environment check as units, then real
``dask scheduler``/``dask worker`` processes (tests/cluster.py) for a worker with
another kit or none, a worker killed while grading, and the scheduler lost mid-run.
Submissions hold only knn.ipynb (and the package), so each grades in seconds.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path

import pytest

from grading.cluster import environment, transport
from grading.coursedir import NOTEBOOKS

pytestmark = pytest.mark.cifar
REPO = Path(__file__).resolve().parent.parent


# ----------------------------------------------------------------------------- units


def test_pack_round_trip_skips_links_and_is_deterministic(tmp_path):
    src = tmp_path / "src"
    (src / "a" / "b").mkdir(parents=True)
    (src / "a" / "b" / "f.txt").write_bytes(b"data")
    (src / "top.ipynb").write_text("{}")
    (tmp_path / "secret").write_text("other student's")
    (src / "link").symlink_to(tmp_path / "secret")
    (src / "dirlink").symlink_to(tmp_path, target_is_directory=True)
    data = transport.pack(src)
    os.utime(src / "top.ipynb", (1, 1))  # times are not packed: the same bytes again
    assert transport.pack(src) == data
    out = tmp_path / "out"
    transport.unpack(data, out)
    assert (out / "a" / "b" / "f.txt").read_bytes() == b"data"
    assert sorted(p.name for p in out.iterdir()) == ["a", "top.ipynb"]


def _tar(*members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for info, body in members:
            tar.addfile(info, io.BytesIO(body) if body is not None else None)
    return buffer.getvalue()


def _file(name, body=b"x"):
    info = tarfile.TarInfo(name)
    info.size = len(body)
    return info, body


def _link(name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


@pytest.mark.parametrize(
    ("member", "said"),
    [
        (_file("../escape.txt"), "outside the folder"),
        (_file("/etc/evil"), "outside the folder"),
        (_file("a/../../escape.txt"), "outside the folder"),
        (_link("feedback.html", "/etc/passwd"), "only plain files"),
        (_link("hard", "/etc/passwd", tarfile.LNKTYPE), "only plain files"),
    ],
)
def test_unpack_refuses_what_is_not_a_plain_file_inside(tmp_path, member, said):
    with pytest.raises(transport.TransportError, match=said):
        transport.unpack(_tar(_file("ok.txt"), member), tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()


def test_mismatches_name_what_differs():
    ours = environment.environment_report(sandbox=False)
    assert environment.mismatches(ours, dict(ours)) == []
    theirs = {**ours, "numpy": "1.26.0", "kit": "0" * 64, "sandbox": "no user namespaces"}
    lines = environment.mismatches(ours, theirs)
    assert f"numpy 1.26.0 (here: {ours['numpy']})" in lines
    assert any("another version of the grading kit" in line for line in lines)
    assert "the sandbox does not work there: no user namespaces" in lines
    assert len(lines) == 3


def test_kit_fingerprint_follows_the_files(tmp_path):
    """A copy of the kit fingerprints alike; one changed line changes it."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from grading.cluster.environment import kit_fingerprint; print(kit_fingerprint())"
    )

    def fingerprint(root):
        run = subprocess.run(
            [sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=True
        )
        return run.stdout.strip()

    copy = _kit_copy(tmp_path / "kit")
    assert fingerprint(copy) == environment.kit_fingerprint()
    with open(copy / "cs231n_lib" / "toy_data.py", "a") as f:
        f.write("\n# week 10 edit\n")
    assert fingerprint(copy) != environment.kit_fingerprint()


def _kit_copy(dest):
    ignore = shutil.ignore_patterns("__pycache__")
    for package in ("grading", "cs231n_lib"):
        shutil.copytree(REPO / package, dest / package, ignore=ignore)
    return dest


# ----------------------------------------------------------------------- real cluster


@pytest.fixture(scope="module")
def caches():
    """Worker caches kept for the module's clusters (machines that graded before)."""
    folder = Path(tempfile.mkdtemp(prefix="cs231n-caches-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def knn_class(tmp_path_factory):
    """Three submissions holding knn.ipynb and the package; {name: expected knn points}."""
    from grading.release.samples import make_samples

    root = tmp_path_factory.mktemp("knn_class")
    expected = make_samples(root / "full")
    subs = root / "submissions"
    points = {}
    for name in ("complete", "half", "untouched"):
        dest = subs / name
        shutil.copytree(root / "full" / name, dest)
        for nb in NOTEBOOKS[1:]:
            for found in dest.rglob(f"{nb}.ipynb"):
                found.unlink()
        points[name] = expected[name]["knn"]
    return subs, points


@pytest.fixture(scope="module")
def one_submission(knn_class):
    subs, points = knn_class
    one = subs.parent / "one"
    shutil.copytree(subs / "half", one / "half")
    return one, {"half": points["half"]}


def _grades(course):
    from grading.course.autograde import state_grades

    return {g.student_id: g.scores.get("knn", {}).get("score") for g in state_grades(course)}


def _log_lines(course):
    return (Path(course) / "log" / "autograde.log").read_text().splitlines()


def _check_class(course, points):
    assert _grades(course) == pytest.approx(points)
    graded = [line.split(" graded ")[1].split(" ")[0] for line in _log_lines(course)]
    assert sorted(graded) == sorted(points), "each submission is recorded exactly once"


def test_workers_with_another_kit_or_none_get_nothing(
    tmp_path, cifar_root, one_submission, hide_from_workers, caches
):
    from cluster import Cluster

    from grading.cluster import ClusterError
    from grading.course.autograde import autograde_class

    subs, points = one_submission
    other = _kit_copy(Path(tempfile.mkdtemp(prefix="cs231n-otherkit-")))
    with open(other / "cs231n_lib" / "toy_data.py", "a") as f:
        f.write("\n# another version\n")
    same = _kit_copy(Path(tempfile.mkdtemp(prefix="cs231n-samekit-")))
    none = Path(tempfile.mkdtemp(prefix="cs231n-nokit-"))
    (none / "grading").mkdir()
    (none / "grading" / "__init__.py").write_text("raise ImportError('no grading kit here')\n")
    try:
        with Cluster(hide_from_workers, workers=0, caches=caches) as cluster:
            cluster.start_worker(env={"PYTHONPATH": str(other)})
            cluster.start_worker(env={"PYTHONPATH": str(none)})
            cluster.wait_for_workers(2)
            lines = []

            def grade(course):
                return autograde_class(
                    subs,
                    course,
                    data_dir=cifar_root,
                    progress=False,
                    dask_scheduler=cluster.address,
                    log=lines.append,
                )

            with pytest.raises(ClusterError, match="None of the 2 worker"):
                grade(tmp_path / "refused")
            said = "\n".join(lines)
            assert "another version of the grading kit" in said
            assert "no grading kit here" in said
            assert not (tmp_path / "refused" / "state").exists() or not any(
                (tmp_path / "refused" / "state").iterdir()
            )

            # A good one joins, and grades alone: the kit installed as plain files (as
            # `pip install .` copies them), the repository's own copy out of its sight.
            cluster.start_worker(
                env={"PYTHONPATH": str(same)}, hide=[REPO / "grading", REPO / "cs231n_lib"]
            )
            cluster.wait_for_workers(3)
            lines.clear()
            grade(tmp_path / "course")
            assert "1 worker(s) checked" in "\n".join(lines)
            _check_class(tmp_path / "course", points)
    finally:
        for folder in (other, same, none):
            shutil.rmtree(folder, ignore_errors=True)


def _grading_started(cluster, index):
    """The student id a worker has started grading (its scratch folder), or None."""
    cache = cluster.caches / f"worker-{index}" / "cache"
    for work in cache.glob("*/class/work/*"):
        return work.name
    return None


def test_a_worker_killed_while_grading_costs_nothing(
    tmp_path, cifar_root, knn_class, hide_from_workers, caches
):
    from cluster import Cluster

    from grading.course.autograde import autograde_class

    subs, points = knn_class
    outcome = {}
    with Cluster(hide_from_workers, workers=2, caches=caches) as cluster:

        def grade():
            try:
                outcome["grades"] = autograde_class(
                    subs,
                    tmp_path / "course",
                    data_dir=cifar_root,
                    progress=False,
                    dask_scheduler=cluster.address,
                    log=lambda *_: None,
                )
            except BaseException as error:  # reported by the assertion below
                outcome["error"] = error

        thread = threading.Thread(target=grade)
        thread.start()
        deadline = time.monotonic() + 300
        while (victim := _grading_started(cluster, 0)) is None:
            assert time.monotonic() < deadline, cluster.worker_log(0)[-2000:]
            assert thread.is_alive(), outcome
            time.sleep(0.2)
        cluster.kill(cluster.workers[0])
        thread.join(timeout=600)
        assert not thread.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert victim in points
    assert len(outcome["grades"]) == len(points)
    _check_class(tmp_path / "course", points)


def _autograde_command(subs, course, address, data_dir):
    return [
        sys.executable,
        "-m",
        "grading",
        "autograde",
        str(subs),
        str(course),
        "--dask-scheduler",
        address,
        "--data-dir",
        str(data_dir),
        "--no-progress",
    ]


def test_the_scheduler_lost_stops_the_run_and_the_next_run_resumes(
    tmp_path, cifar_root, knn_class, hide_from_workers, caches
):
    from cluster import Cluster

    subs, points = knn_class
    course = tmp_path / "course"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with Cluster(hide_from_workers, workers=2, caches=caches) as cluster:
        command = _autograde_command(subs, course, cluster.address, cifar_root)
        with subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as run:
            deadline = time.monotonic() + 300
            log = course / "log" / "autograde.log"
            while not (log.is_file() and log.read_text().strip()):
                assert run.poll() is None, run.stderr.read()
                assert time.monotonic() < deadline
                time.sleep(0.2)
            cluster.kill_scheduler()
            _, stderr = run.communicate(timeout=120)
        assert run.returncode == 2, stderr
        assert "Lost the Dask scheduler" in stderr
        assert "Traceback" not in stderr, stderr
    first = _grades(course)
    assert 1 <= len(first) < len(points)

    with Cluster(hide_from_workers, workers=2, caches=caches) as cluster:
        again = subprocess.run(
            _autograde_command(subs, course, cluster.address, cifar_root),
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert again.returncode == 0, again.stderr
    assert f"{len(first)} already graded are kept" in again.stdout
    _check_class(course, points)


def test_an_unreachable_scheduler_is_said_plainly(tmp_path, monkeypatch):
    from cluster import free_port

    from grading.cluster import ClusterError, coordinator

    monkeypatch.setattr(coordinator, "CONNECT_TIMEOUT", "2s")
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(ClusterError, match="Could not reach a Dask scheduler") as error:
        coordinator._connect(address)
    assert "dask worker ADDRESS --nthreads 1" in str(error.value)
