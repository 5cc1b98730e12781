"""Hidden checks on a package in the sandbox: a crash or a hang costs only its checks.

The checks run in the test's process; only the student's code runs in the sandbox,
behind the wire format of :mod:`grading.isolation.wire`.
"""

import os
import shutil
import time

import numpy as np
import pytest

from grading import isolation
from grading.coursedir import REPO
from grading.isolation import wire
from grading.run import judge, probe

KNN_CELLS = {
    "knn-test-two-loops": 3,
    "knn-test-one-loop": 2,
    "knn-test-no-loops": 3,
    "knn-test-predict-labels": 3,
}
TIMEOUT = 8

pytestmark = pytest.mark.skipif(
    isolation.available() is not None and not os.environ.get("CI"),
    reason=f"no sandbox here: {isolation.available()}",
)


def _package(tmp_path, replace=None, append=""):
    """A copy of the instructor's package, with one text replacement in the kNN module."""
    package = tmp_path / "student" / "cs231n_lib"
    shutil.copytree(REPO / "cs231n_lib", package, ignore=shutil.ignore_patterns("__pycache__"))
    knn = package / "classifiers" / "k_nearest_neighbor.py"
    text = knn.read_text()
    if replace:
        old, new = replace
        assert old in text
        text = text.replace(old, new, 1)
    knn.write_text(text + append)
    return package


def _verdicts(tmp_path, package, refs):
    start = time.perf_counter()
    results = judge.run_probes(package, tmp_path / "probe", None, list(KNN_CELLS), timeout=TIMEOUT)
    verdicts = judge.judge_cells(KNN_CELLS, results, refs, {}, None)
    return verdicts, time.perf_counter() - start


@pytest.fixture(scope="module")
def refs(tmp_path_factory):
    from grading.run.references import build_references

    return build_references(tmp_path_factory.mktemp("refs") / "references", log=lambda *_: None)


def test_the_instructors_package_passes_in_the_sandbox(tmp_path, refs):
    verdicts, _ = _verdicts(tmp_path, _package(tmp_path), refs)
    assert {g: v.passed for g, v in verdicts.items()} == dict.fromkeys(KNN_CELLS, True)


def test_a_check_that_never_returns_costs_only_its_cell(tmp_path, refs):
    package = _package(
        tmp_path,
        replace=(
            "def compute_distances_one_loop(self, X):\n",
            "def compute_distances_one_loop(self, X):\n        while True:\n            pass\n",
        ),
    )
    verdicts, seconds = _verdicts(tmp_path, package, refs)
    assert not verdicts["knn-test-one-loop"].passed
    assert "did not finish" in verdicts["knn-test-one-loop"].problems[0]
    assert all(verdicts[g].passed for g in KNN_CELLS if g != "knn-test-one-loop")
    assert seconds < 4 * TIMEOUT + 20  # the watchdog, not the submission's time limit


def test_a_check_that_kills_the_process_costs_only_its_cell(tmp_path, refs):
    package = _package(
        tmp_path,
        replace=(
            "def compute_distances_two_loops(self, X):\n",
            "def compute_distances_two_loops(self, X):\n        import os\n        os._exit(3)\n",
        ),
    )
    verdicts, _ = _verdicts(tmp_path, package, refs)
    assert not verdicts["knn-test-two-loops"].passed
    assert all(verdicts[g].passed for g in KNN_CELLS if g != "knn-test-two-loops")


def test_an_import_that_hangs_fails_every_cell_once(tmp_path, refs):
    package = _package(tmp_path, append="\nwhile True:\n    pass\n")
    verdicts, seconds = _verdicts(tmp_path, package, refs)
    assert not any(v.passed for v in verdicts.values())
    assert seconds < 2 * TIMEOUT + 15  # no retry per check


SPY = """
import gc as _gc
import os as _os
import sys as _sys
_seen = sorted(_sys.modules)
_found = [p for p in ({readme!r}, {refs!r}, {grading!r}) if _os.path.exists(p)]
_code = [type(o).__name__ for o in _gc.get_objects() if type(o).__name__ == "Check"]
raise RuntimeError(f"grading modules: {{[m for m in _seen if m.startswith('grading')]}}; "
                   f"paths: {{_found}}; checks: {{len(_code)}}" + "x" * 5000)
"""


def test_student_code_runs_beside_no_check_code_and_no_reference(tmp_path, refs):
    spy = SPY.format(refs=str(refs), grading=str(REPO / "grading"), readme=str(REPO / "README.md"))
    verdicts, _ = _verdicts(tmp_path, _package(tmp_path, append=spy), refs)
    problem = verdicts["knn-test-two-loops"].problems[0]
    assert "grading modules: []; paths: []; checks: 0" in problem, problem[:300]
    assert len(problem) < 400  # cut short: the 5,000 characters do not reach feedback


def test_forged_answers_are_refused_without_harm(tmp_path, refs):
    # Student code owns its end of the channel: it writes a frame claiming huge arrays.
    forge = (
        "\ndef _forge(self, X):\n    import os, struct\n"
        "    os.write(4, struct.pack('>QQ', 10, 2**40) + b'{\"ok\": 1}')\n"
        "    import time; time.sleep(30)\n"
        "KNearestNeighbor.compute_distances_no_loops = _forge\n"
    )
    verdicts, seconds = _verdicts(tmp_path, _package(tmp_path, append=forge), refs)
    assert not verdicts["knn-test-no-loops"].passed
    assert "broke the rules" in verdicts["knn-test-no-loops"].problems[0]
    assert verdicts["knn-test-one-loop"].passed
    assert verdicts["knn-test-two-loops"].passed
    assert seconds < TIMEOUT + 20  # refused at once, not waited for


@pytest.mark.parametrize(
    ("header", "blob", "match"),
    [
        (b'{"a": [0, 8, "|O8", [1]]}', b"\0" * 8, "numbers only"),
        (b'{"a": [0, 800, "<f8", [10]]}', b"\0" * 80, "does not match"),
        (b"[" * 5000 + b"]" * 5000, b"", "unreadable|too deep"),
        (b'{"d": [[{"l": []}, 1]]}', b"", "not hashable"),
        (b'"' + b"x" * 20000 + b'"', b"", "characters"),
        (b'{"h": 1}', b"", "malformed handle"),
    ],
)
def test_the_wire_refuses_malformed_values(header, blob, match):
    def resolve(form):
        raise wire.WireError("a malformed handle")

    with pytest.raises(wire.WireError, match=match):
        wire.decode(header, blob, resolve)


def test_the_wire_round_trips_plain_values():
    value = {
        "a": [1, 2.5, float("nan"), None, True, "é"],
        (1, 2): np.arange(6).reshape(2, 3),
        "s": np.float32(1.5),
    }
    data = wire.frame(value, lambda obj: (_ for _ in ()).throw(TypeError))
    sizes = wire.FRAME.unpack(data[:16])
    back = wire.decode(data[16 : 16 + sizes[0]], data[16 + sizes[0] :], None)
    assert back["a"][:2] == [1, 2.5]
    assert np.isnan(back["a"][2])
    assert back["a"][3:] == [None, True, "é"]
    assert np.array_equal(back[(1, 2)], np.arange(6).reshape(2, 3))
    assert back["s"] == np.float32(1.5)
    assert isinstance(back["s"], np.float32)


def test_exception_text_is_plain_and_short():
    text = probe.plain_message("ValueError: <b>x</b>\x1b[31m\n" + "y" * 1000)
    assert "\x1b" not in text
    assert "\n" not in text
    assert len(text) <= probe.MAX_MESSAGE
