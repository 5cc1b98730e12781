"""grading.course.similarity on a small class made from the release.

ana and ben&co share three kNN functions (ben&co renamed every variable) and a written
answer holding a script tag; cy wrote two of the functions their own way and the third
as the one line everybody writes (COMMON); dee and eve handed in the release untouched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grading.course.similarity import Pair, extract_student_work, similarity_report

REPO = Path(__file__).resolve().parent.parent
RELEASE = REPO / "assignment1"
KNN = "cs231n_lib/classifiers/k_nearest_neighbor.py"
SCRIPT = "<script>alert(1)</script>"
ANSWER = (
    "Bright rows are test images far from every training image, "
    + SCRIPT
    + " since their pixel values are large and L2 sums squared differences."
)
COPIER = "ben&co"

# A line many students write alike: cy too.
COMMON = "dists[i, :] = np.sqrt(np.sum((self.X_train - X[i]) ** 2, axis=1))\n"
ANA = {
    "KNearestNeighbor.predict_labels": """\
        num_test = dists.shape[0]
        y_pred = np.zeros(num_test, dtype=np.int64)
        for i in range(num_test):
            nearest = np.argsort(dists[i], kind="stable")[:k]
            nearest_labels = self.y_train[nearest]
            counts = np.bincount(nearest_labels)
            y_pred[i] = np.argmax(counts)
        """,
    "KNearestNeighbor.compute_distances_no_loops": """\
        test_sq = np.sum(X ** 2, axis=1, keepdims=True)
        cross = X @ self.X_train.T
        dists = np.sqrt(np.maximum(test_sq - 2 * cross + self.train_sq, 0.0))
        """,
    "KNearestNeighbor.compute_distances_one_loop": COMMON,
}
RENAMES = {
    "num_test": "n_rows",
    "nearest_labels": "closest_lbls",
    "nearest": "order",
    "counts": "votes",
    "[i]": "[row]",
    " i ": " row ",
    "test_sq": "sq_norms",
    "cross": "inner",
}
CY = {
    "KNearestNeighbor.predict_labels": """\
        labels = self.y_train[np.argsort(dists, axis=1, kind="stable")[:, :k]]
        y_pred = np.array([min(set(row), key=lambda c: (-list(row).count(c), c))
                           for row in labels])
        """,
    "KNearestNeighbor.compute_distances_no_loops": """\
        squared = (X * X).sum(1)[:, None] + self.train_sq[None, :]
        squared -= 2.0 * np.dot(X, self.X_train.T)
        squared[squared < 0] = 0
        dists = squared ** 0.5
        """,
    "KNearestNeighbor.compute_distances_one_loop": COMMON,
}


def rename(code):
    for old, new in RENAMES.items():
        code = code.replace(old, new)
    return code


def fill_stub(folder, where, code):
    """Replace the stub of ``where`` in the kNN module with ``code``."""
    path = folder / KNN
    lines = path.read_text().splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.strip() == "raise NotImplementedError(" and f'"{where}:' in lines[i + 1]:
            indent = line[: len(line) - len(line.lstrip())]
            lines[i : i + 3] = [textwrap.indent(textwrap.dedent(code), indent)]
            path.write_text("".join(lines))
            return
    raise AssertionError(f"no stub for {where} in {KNN}")


def answer(folder, grade_id, text):
    path = folder / "knn.ipynb"
    notebook = json.loads(path.read_text())
    cells = [
        c
        for c in notebook["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id
    ]
    assert len(cells) == 1, grade_id
    cells[0]["source"] = "**Your answer:**\n\n" + text
    path.write_text(json.dumps(notebook))


def make_student(root, name, functions=None, written=None):
    folder = root / name
    shutil.copytree(RELEASE, folder)
    for where, code in (functions or {}).items():
        fill_stub(folder, where, code)
    if written:
        answer(folder, "knn-written-bright-rows", written)
    return folder


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    students = {
        "ana": make_student(root, "ana", ANA, ANSWER),
        COPIER: make_student(root, "ben", {w: rename(c) for w, c in ANA.items()}, ANSWER),
        "cy": make_student(
            root,
            "cy",
            CY,
            "Rows of images with a very different colour than all the training pictures.",
        ),
        "dee": make_student(root, "dee"),
        "eve": make_student(root, "eve"),
    }
    out = root / "report.html"
    pairs = similarity_report(students, RELEASE, out, threshold=0.0)
    return students, pairs, out.read_text(encoding="utf-8"), root


def score(pairs, a, b):
    (pair,) = [p for p in pairs if {p.a, p.b} == {a, b}]
    return pair


def test_every_pair_once_most_similar_first(made):
    _, pairs, _, _ = made
    assert len(pairs) == 10
    assert all(isinstance(p, Pair) and p.a < p.b for p in pairs)
    assert [p.similarity for p in pairs] == sorted((p.similarity for p in pairs), reverse=True)


def test_the_copying_pair_ranks_first_with_high_similarity(made):
    _, pairs, _, _ = made
    first = pairs[0]
    assert (first.a, first.b) == ("ana", COPIER)
    assert first.similarity > 0.9, first
    files = {name: (sim_a, sim_b) for name, sim_a, sim_b in first.files}
    assert set(files) == {KNN, "knn_written.txt"}
    for name, shares in files.items():
        assert min(shares) > 0.9, (name, shares)


@pytest.mark.parametrize("other", ["ana", COPIER, "cy", "eve"])
def test_untouched_release_is_never_similar(made, other):
    pair = score(made[1], "dee", other)
    assert pair.similarity == 0.0
    assert pair.files == []


@pytest.mark.parametrize("copier", ["ana", COPIER])
def test_independent_work_scores_low(made, copier):
    # The one line cy shares with ana (COMMON) is a fifth of the little either wrote.
    pair = score(made[1], copier, "cy")
    assert 0.1 < pair.similarity < 0.25, pair
    assert [name for name, _, _ in pair.files] == [KNN]


def test_report_highlights_the_copied_passage_on_both_sides(made):
    html = made[2]
    section = html[html.index('<section id="pair-1">') : html.index("</section>")]
    marked = "".join(re.findall(r"<mark>(.*?)</mark>", section, flags=re.S))
    assert "nearest_labels = self.y_train[nearest]" in marked
    assert "closest_lbls = self.y_train[order]" in marked
    assert "np.sqrt(np.maximum(sq_norms - 2 * inner + self.train_sq, 0.0))" in marked


def test_student_text_and_ids_are_escaped(made):
    html = made[2]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert "ben&amp;co" in html
    assert "ben&co" not in html
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    assert csp is not None
    assert "default-src 'none'" in csp.group(1)
    assert "unsafe" not in csp.group(1)
    assert "script-src" not in csp.group(1)


def test_report_is_the_same_bytes_every_run(made, tmp_path):
    students, _, html, _ = made
    again = tmp_path / "again.html"
    similarity_report(students, RELEASE, again, threshold=0.0)
    assert again.read_text(encoding="utf-8") == html
    # Another process hashes strings with another seed: copydetect's k-gram hashes change,
    # the report must not.
    elsewhere = tmp_path / "elsewhere.html"
    code = (
        "import sys, json; from pathlib import Path; "
        "from grading.course.similarity import similarity_report; "
        "s = {k: Path(v) for k, v in json.loads(sys.argv[1]).items()}; "
        "similarity_report(s, Path(sys.argv[2]), Path(sys.argv[3]), threshold=0.0)"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            json.dumps({k: str(v) for k, v in students.items()}),
            str(RELEASE),
            str(elsewhere),
        ],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )
    assert elsewhere.read_bytes() == html.encode("utf-8")


def test_threshold_and_top_choose_the_pairs_shown(made, tmp_path):
    students = made[0]
    out = tmp_path / "r.html"
    similarity_report(students, RELEASE, out, threshold=0.5)
    assert out.read_text().count("<section") == 1
    similarity_report(students, RELEASE, out, top=2, threshold=0.0)
    assert out.read_text().count("<section") == 2
    similarity_report({"dee": students["dee"], "eve": students["eve"]}, RELEASE, out)
    assert "No pair of students reaches 20%." in out.read_text()


def test_extract_writes_only_what_the_student_wrote(made, tmp_path):
    students = made[0]
    written = extract_student_work(students["ana"], RELEASE, tmp_path / "ana")
    names = sorted(p.relative_to(tmp_path / "ana" / "work").as_posix() for p in written)
    assert names == [KNN, "knn_written.txt"]
    code = (tmp_path / "ana" / "work" / KNN).read_text()
    assert "nearest_labels = self.y_train[nearest]" in code
    assert "class KNearestNeighbor" not in code  # release text stays out
    assert re.match(r"# line \d+\n", code)
    text = (tmp_path / "ana" / "work" / "knn_written.txt").read_text()
    assert text == f"## knn-written-bright-rows\n{ANSWER}\n\n"
    boilerplate = tmp_path / "ana" / "boilerplate"
    assert (boilerplate / KNN).read_text() == (RELEASE / KNN).read_text()
    assert "YOUR ANSWER HERE" in (boilerplate / "knn_written.txt").read_text()
    assert "YOUR CODE HERE" in (boilerplate / "knn_code.py").read_text()
    assert extract_student_work(students["dee"], RELEASE, tmp_path / "dee") == []


def test_bad_folders_and_options_are_explained(made, tmp_path):
    students = made[0]
    with pytest.raises(FileNotFoundError, match=r"release folder to hold cs231n_lib/"):
        similarity_report(students, tmp_path, tmp_path / "r.html")
    with pytest.raises(FileNotFoundError, match=r"a student's submission.*not a folder"):
        extract_student_work(tmp_path / "missing", RELEASE, tmp_path / "out")
    with pytest.raises(ValueError, match=r"for 30% pass 0\.3"):
        similarity_report(students, RELEASE, tmp_path / "r.html", threshold=30)
    with pytest.raises(ValueError, match=r"top to be a whole number >= 1, got 0"):
        similarity_report(students, RELEASE, tmp_path / "r.html", top=0)


def test_written_answers_lose_the_starter_text(tmp_path):
    """Starter text kept on the answer's line is cut too, and an untouched cell is skipped."""
    folder = tmp_path / "sub"
    folder.mkdir()
    shutil.copy(RELEASE / "knn.ipynb", folder)
    answer(folder, "knn-written-l1-preprocessing", "")
    path = folder / "knn.ipynb"
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "knn-written-bright-rows":
            cell["source"] = ["**Your answer:** They are   far\n", "from all training images."]
    path.write_text(json.dumps(notebook))
    (written,) = extract_student_work(folder, RELEASE, tmp_path / "out")
    assert written.name == "knn_written.txt"
    assert written.read_text() == (
        "## knn-written-bright-rows\nThey are far from all training images.\n\n"
    )
