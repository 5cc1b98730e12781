"""Stored XSS: a hostile submission through every page the kit writes, in headless Chromium.

One notebook carries the usual ways in (``<script>``, event handlers, ``javascript:``
links, SVG, raw HTML in markdown, a mermaid block, ``text/html``, ``text/markdown`` and
JavaScript outputs, an image whose ``width`` breaks out of its tag, HTML in an error)
next to legitimate work (a plot, plain text, tables, markdown with math). Each hostile
script would print ``XSSRAN:<name>`` on the console of whatever frame runs it and mark
``<html data-xss>``. The pages are made by the kit's own functions, as the worker and
``grading.course.feedback`` make them: nbgrader's feedback after
:func:`grading.run.feedback.public_notebook` and :func:`grading.run.feedback.protect_pages`,
formgrader's view of the autograded notebook, the exported page of
:func:`grading.course.feedback.student_page`, and the similarity report. Control pages
built the same way without the sanitizer and without the policy show that the scripts
do run there, so the browser check can fail.
"""

from __future__ import annotations

import base64
import html
import io
import re
import shutil
import subprocess
import warnings
from concurrent.futures import ThreadPoolExecutor

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from grading.course._similarity_html import page as similarity_page
from grading.course.feedback import student_page
from grading.course.policy import Penalty
from grading.course.similarity import _fingerprint, _score
from grading.coursedir import ASSIGNMENT, nbgrader_env, write_config
from grading.run import sanitize
from grading.run.feedback import protect_pages, public_notebook
from grading.run.judge import Verdict
from grading.run.worker import PUBLIC, _api

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NOTEBOOK, TEST_CELL, ANSWER_CELL = "hostile", "hostile-test", "hostile-written"
# The hostile scripts that run when nothing protects the page (Chromium 156; the others
# are stopped by nbconvert itself or need a click).
LIVE = {
    "answer",
    "html-img",
    "html-script",
    "html-svg",
    "markdown-output",
    "md-details",
    "md-iframe",
    "md-img",
    "md-mermaid",
    "md-script",
    "md-svg",
    "png-width",
}
LEGIT = (
    "accuracy on the validation set: 0.282",
    "knn-val-acc",
    "\\frac{1}{1+e^{-x}}",
    "Bright rows are far from the training images",
    "<strong>bold</strong>",
)


def js(name):
    """A script that leaves a marker when it runs (no spaces: it fits unquoted attributes)."""
    return (
        f"console.log('XSS'+'RAN:{name}');"
        f"document.documentElement.setAttribute('data-'+'xss','{name}')"
    )


def _png():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot(np.arange(5) ** 2)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _nbgrader(cell, grade_id, **flags):
    cell.metadata["nbgrader"] = {
        "schema_version": 3,
        "grade_id": grade_id,
        "locked": False,
        "solution": False,
        "grade": False,
        "task": False,
        **flags,
    }
    return cell


def hostile_notebook(png):
    markdown = (
        "# Results\n\nThe sigmoid $\\sigma(x) = \\frac{1}{1+e^{-x}}$, and $a<b$.\n\n"
        "| k | accuracy |\n|--:|--:|\n| 10 | 0.282 |\n\n"
        f"<script>{js('md-script')}</script>\n\n"
        f'<img src="x" onerror="{js("md-img")}">\n\n'
        f'<svg onload="{js("md-svg")}"></svg>\n\n'
        f'<details open ontoggle="{js("md-details")}">d</details>\n\n'
        f'<a href="javascript:{js("md-a")}">html link</a> and [md link](javascript:{js("md-link")})'
        f'\n\n<iframe srcdoc="<script>{js("md-iframe")}</script>"></iframe>\n\n'
        f'```mermaid\n</pre><img src="x" onerror="{js("md-mermaid")}">\n```\n'
    )
    outputs = [
        new_output("stream", name="stdout", text=f"{LEGIT[0]}\n<script>{js('stream')}</script>\n"),
        new_output(
            "display_data",
            data={
                "text/html": (
                    f"<table><tr><th>k</th><td>knn-val-acc</td></tr></table>"
                    f'<script>{js("html-script")}</script><img src="x" onerror="{js("html-img")}">'
                    f'<a href="javascript:{js("html-a")}">a</a>'
                    f'<svg onload="{js("html-svg")}"></svg>'
                )
            },
        ),
        new_output(
            "display_data",
            data={
                "image/svg+xml": (
                    f'<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20" '
                    f'onload="{js("svg-output")}"><script>{js("svg-script")}</script>'
                    '<rect width="20" height="20"/></svg>'
                ),
                "text/plain": "<Figure>",
            },
        ),
        new_output(
            "display_data",
            data={"text/markdown": f'**bold** <img src="x" onerror="{js("markdown-output")}">'},
        ),
        new_output(
            "display_data",
            data={
                "application/javascript": js("javascript-output"),
                "text/plain": "<IPython.core.display.Javascript>",
            },
        ),
        new_output(
            "display_data",
            data={"image/png": png, "text/plain": "<Figure>"},
            metadata={"image/png": {"width": f"100 onload={js('png-width')}"}},
        ),
        new_output(
            "execute_result",
            data={"text/plain": f"'<script>{js('repr')}</script>'"},
            execution_count=1,
        ),
        new_output(
            "error",
            ename="ValueError",
            evalue=f'<img src=x onerror="{js("evalue")}">',
            traceback=[f"<script>{js('traceback')}</script>", "ValueError: bad"],
        ),
    ]
    answer = f'{LEGIT[3]}. <img src="x" onerror="{js("answer")}">'
    return new_notebook(
        cells=[
            new_markdown_cell(markdown),
            new_code_cell("show_results()", outputs=outputs, execution_count=1),
            _nbgrader(new_code_cell("assert best_k == 10"), TEST_CELL, grade=True, points=2.0),
            _nbgrader(
                new_markdown_cell(answer), ANSWER_CELL, grade=True, solution=True, points=2.0
            ),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )


def _gradebook(course, students):
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        gb.add_assignment(ASSIGNMENT)
        gb.add_notebook(NOTEBOOK, ASSIGNMENT)
        gb.add_grade_cell(TEST_CELL, NOTEBOOK, ASSIGNMENT, max_score=2.0, cell_type="code")
        gb.add_grade_cell(ANSWER_CELL, NOTEBOOK, ASSIGNMENT, max_score=2.0, cell_type="markdown")
        gb.add_solution_cell(ANSWER_CELL, NOTEBOOK, ASSIGNMENT)
        for sid in students:
            gb.add_student(sid)
            gb.add_submission(ASSIGNMENT, sid)


def _formgrader_view(path, student, name):
    """The page formgrader serves for one autograded notebook (as its SubmissionHandler)."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config import Config

    config = Config()
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    resources = {
        "assignment_id": ASSIGNMENT,
        "notebook_id": NOTEBOOK,
        "submission_id": "1",
        "index": 0,
        "total": 1,
        "base_url": "",
        "student": student,
        "last_name": name,
        "first_name": name,
        "notebook_path": "/autograded",
    }
    return HTMLExporter(config=config).from_filename(str(path), resources=resources)[0]


def _similarity(tmp):
    """The similarity report of two students who wrote the same hostile answer."""
    text = f"Bright rows, as the lecture said: <script>{js('similarity')}</script>. " * 4
    name = f'knn_written<img src=x onerror="{js("sim-file")}">.txt'
    prints = {}
    for i, student in enumerate(("ana", f'<img src=x onerror="{js("sim-id")}">')):
        path = tmp / f"{i}.txt"
        path.write_text(text)
        prints[student] = {name: _fingerprint(path, {False: [], True: []})}
    pairs = _score(prints)
    assert pairs[0].similarity > 0.9
    return similarity_page(pairs, prints, 2, 0.0)


@pytest.fixture(scope="module")
def png():
    return _png()


@pytest.fixture(scope="module")
def pages(tmp_path_factory, monkeypatch_module, png):
    """{name: path} of every page, each built the way the kit builds it."""
    tmp = tmp_path_factory.mktemp("xss")
    course, out = tmp / "course", tmp / "pages"
    course.mkdir()
    out.mkdir()
    monkeypatch_module.setenv("PATH", nbgrader_env()["PATH"])  # nbgrader runs alembic
    write_config(course)
    _gradebook(course, ("safe", "control"))
    nb = hostile_notebook(png)
    verdicts = {
        TEST_CELL: Verdict(
            TEST_CELL,
            2.0,
            False,
            ["<b>best_k</b> is 3", f"see [the notes](javascript:{js('verdict')})"],
        )
    }
    for sid in ("safe", "control"):  # the worker: autograded/ copied, then made public
        public = course / PUBLIC / sid / ASSIGNMENT
        public.mkdir(parents=True)
        nbformat.write(nb, public / f"{NOTEBOOK}.ipynb")
        if sid == "safe":
            assert public_notebook(public / f"{NOTEBOOK}.ipynb", verdicts) == 1
        assert _api(course, autograded_directory=PUBLIC).generate_feedback(ASSIGNMENT, sid)[
            "success"
        ]
    feedback = {
        sid: course / "feedback" / sid / ASSIGNMENT / f"{NOTEBOOK}.html"
        for sid in ("safe", "control")
    }
    control = feedback["control"].read_text()
    made = {
        "feedback-sanitized-only": feedback["safe"].read_text(),
        "feedback-csp-only": sanitize.protect_page(control),
        "control-feedback": control,
    }
    assert protect_pages(feedback["safe"].parent) == [feedback["safe"]]  # as the worker will
    made["feedback"] = feedback["safe"].read_text()
    name = f'<img src=x onerror="{js("formgrader-name")}">'  # from a roster students edit
    for sid in ("safe", "control"):
        view = _formgrader_view(
            course / PUBLIC / sid / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
            sid,
            sanitize.inert_name(name) if sid == "safe" else name,
        )
        made["formgrader" if sid == "safe" else "control-formgrader"] = view
    points = {NOTEBOOK: {"auto": 0.0, "manual": 0.0, "max": 4.0, "pending": 2.0, "waiting": 1}}
    made["export"] = student_page(
        "safe",
        f'<img src=x onerror="{js("name")}">',
        "attempt",
        points,
        Penalty(0.0, 0, "on time"),
        {NOTEBOOK: made["feedback"]},
    )
    made["control-export"] = (
        f'<!DOCTYPE html><html><head></head><body><iframe srcdoc="'
        f'{html.escape(control, quote=True)}"></iframe></body></html>'
    )
    made["similarity"] = _similarity(tmp)
    paths = {}
    for name, text in made.items():
        paths[name] = out / f"{name}.html"
        paths[name].write_text(text, encoding="utf-8")
    return paths


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def load(path, profile):
    """(DOM after scripts, the console's ``XSSRAN`` markers) of ``path`` in headless Chromium."""
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=3000",
        "--dump-dom",
        path.as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert "<html" in result.stdout, f"Chromium showed nothing of {path}: {result.stderr[-2000:]}"
    return result.stdout, set(re.findall(r"XSSRAN:([\w-]+)", result.stderr))


@pytest.fixture(scope="module")
def browsed(pages, tmp_path_factory):
    """{name: (dom, markers)}: every page loaded in its own browser profile, four at a time."""
    if CHROMIUM is None:
        pytest.skip(
            "headless Chromium is not installed (`apt-get install chromium`; "
            ".ci/run installs it): the pages cannot be loaded in a browser"
        )
    profiles = tmp_path_factory.mktemp("profiles")
    with ThreadPoolExecutor(4) as pool:
        runs = {name: pool.submit(load, path, profiles / name) for name, path in pages.items()}
        return {name: run.result() for name, run in runs.items()}


def _ran(dom, console):
    marks = set(re.findall(r'<html[^>]*\bdata-xss="([\w-]+)"', dom))
    return console | marks


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("control-feedback", LIVE),
        ("control-formgrader", LIVE | {"formgrader-name"}),
        ("control-export", LIVE),
    ],
)
def test_the_scripts_run_in_pages_without_sanitizer_or_policy(browsed, name, expected):
    dom, console = browsed[name]
    ran = _ran(dom, console)
    assert expected <= ran, f"{name}: expected {sorted(expected - ran)} to run too"


@pytest.mark.parametrize(
    "name",
    [
        "feedback",
        "feedback-sanitized-only",
        "feedback-csp-only",
        "formgrader",
        "export",
        "similarity",
    ],
)
def test_no_script_runs_in_any_page_the_kit_writes(browsed, name):
    dom, console = browsed[name]
    assert _ran(dom, console) == set(), f"{name}: hostile scripts ran"
    if name != "feedback-csp-only":  # what the policy alone protects still has the links
        assert not re.search(r"(href|src)=\"\s*javascript:", dom, re.IGNORECASE)
        assert not re.search(r"<[^>]+\son\w+=\S*XSS", dom), "a hostile event handler is left"


@pytest.mark.parametrize("name", ["feedback", "formgrader"])
def test_legitimate_work_still_shows(browsed, png, name):
    dom, _ = browsed[name]
    assert f'src="data:image/png;base64,{png[:40]}' in dom
    assert 'src="data:image/svg+xml;base64,' in dom
    assert re.search(r"<table>.*0\.282", dom, re.DOTALL)
    text = html.unescape(dom)
    shown = [legit for legit in LEGIT if legit in text or legit in dom]
    assert shown == list(LEGIT)
    if name == "feedback":
        words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", dom)).split())
        assert "Grader: 0 / 2 points. What failed: <b>best_k</b> is 3 see the notes" in words


def test_grades_are_the_same_with_and_without_sanitizing(pages):
    scores = {
        name: re.findall(r"Score: [\d.]+ / [\d.]+", pages[name].read_text())
        for name in ("feedback", "control-feedback")
    }
    assert scores["feedback"] == scores["control-feedback"] != []


# ---------------------------------------------------------------- the sanitizer's parts


@pytest.mark.parametrize(
    "source",
    [
        '# Results: "best" k\n\nThe loss $L = \\frac{1}{N}\\sum_i L_i$ with $a<b$ and $b > c$.',
        "$$\n\\nabla_W L = X^T (P - Y)\n$$\n\n\\begin{align}a &< b\\end{align}",
        "| k | accuracy |\n|:--|--:|\n| 10 | 0.282 |",
        "```python\nif x < 3 and y > 2:\n    print('<b>')\n```\n\n    indented <code>",
        "> quoted & *emphasised* text, `a<b`, ~~old~~\n\n- [x] done\n- item\n\n1. one",
        "[the notes](https://cs231n.github.io) [mail](mailto:ta@example.org) [top](#results) "
        "[rel](../README.md) ![plot](data:image/png;base64,iVBORw0KGgo=)",
        "Escaped, so shown as text: &lt;script&gt;alert(1)&lt;/script&gt; and 3 &lt; 4",
    ],
)
def test_markdown_that_is_only_markdown_stays_as_written(source):
    assert sanitize.clean_markdown(source) == source


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        'an <img src="x" onerror="alert(1)"> inline',
        "<svg onload=alert(1)>",
        "[x](javascript:alert(1))",
        "[x](JaVa&#115;cript:alert(1))",
        "<javascript:alert(1)>",
        "[x](data:text/html,<script>alert(1)</script>)",
        "![x](javascript:alert(1))",
        "```mermaid\n</pre><img src=x onerror=alert(1)>\n```",
        '<a href="java\tscript:alert(1)">x</a>',
        "<iframe srcdoc='<script>alert(1)</script>'>",
        "<style>body{display:none}</style>text",
        "<form action=https://evil><input></form>",
        "<details open ontoggle=alert(1)>x</details>",
        '<p style="position:fixed;top:0">x</p>',
    ],
)
def test_markdown_with_html_or_unsafe_links_becomes_its_cleaned_rendering(source):
    out = sanitize.clean_markdown(source)
    assert re.fullmatch(r"<div>[^\n]*</div>", out), out
    for bad in ("<script", "<svg", "<iframe", "<style", "<form", "data:text", "position"):
        assert bad not in out.lower(), out
    assert not re.search(r"\son\w+=", out), out
    assert not re.search(r"(href|src)=[^>]*script:", out, re.IGNORECASE), out
    assert sanitize.clean_markdown(out) == out, "sanitizing twice changes nothing more"
    assert sanitize.render_markdown(out).strip() == out, "rendered as one HTML block"


def test_cleaned_markdown_keeps_the_text_the_math_and_the_formatting():
    source = "An answer with <b>bold</b> HTML,\n\nmath $a<b$ and\n\n| k |\n|--|\n| 10 |"
    out = sanitize.clean_markdown(source)
    for kept in ("<b>bold</b>", "$a&lt;b$", "<td>10</td>", "<table>"):
        assert kept in out


def test_html_keeps_images_of_image_types_only():
    clean = sanitize.clean_html
    image = '<img src="data:image/png;base64,iVBO">'
    assert clean(image) == image
    assert "src" not in clean('<img src="data:text/html;base64,PHNjcmlwdD4=">')
    assert "href" not in clean('<a href="data:image/png;base64,iVBO">x</a>')
    assert "href" not in clean('<a href=" JAVA&#09;SCRIPT:alert(1)">x</a>')
    for hidden in ("&#10; d&#09;ata:text/html,x", "&#100;ata:text/html,x", "\x01DATA:text/html,"):
        assert "href" not in clean(f'<a href="{hidden}">x</a>'), hidden
    assert clean('<table><tr><td style="text-align: right; color: red">1</td></tr></table>') == (
        '<table><tbody><tr><td style="text-align:right">1</td></tr></tbody></table>'
    )


def _output(kind, data, **metadata):
    return (
        new_output(kind, data=data, metadata=metadata)
        if kind != "stream"
        else (new_output("stream", name="stdout", text=data))
    )


def test_outputs_keep_what_is_safe_and_say_what_went():
    png = _output(
        "display_data",
        {"image/png": "iVBO", "text/plain": "<Figure>"},
        **{"image/png": {"width": 320, "height": "1 onload=alert(1)"}},
    )
    svg = _output("display_data", {"image/svg+xml": "<svg onload=alert(1)/>", "text/plain": "f"})
    script = _output("display_data", {"application/javascript": "alert(1)"})
    widget = _output(
        "display_data",
        {"application/vnd.jupyter.widget-view+json": {"a": 1}, "text/plain": "IntSlider(value=3)"},
    )
    stream = _output("stream", "<script>alert(1)</script>")
    error = new_output("error", ename="E", evalue="<b>", traceback=["<script>"])
    changed = [sanitize.sanitize_output(o) for o in (png, svg, script, widget, stream, error)]
    assert changed == [True, True, True, True, False, False]
    assert png.data == {"image/png": "iVBO", "text/plain": "<Figure>"}
    assert png.metadata == {"image/png": {"width": 320}}
    assert svg.data["text/html"] == (
        '<img src="data:image/svg+xml;base64,'
        f'{base64.b64encode(b"<svg onload=alert(1)/>").decode()}">'
    )
    assert "image/svg+xml" not in svg.data
    assert script.data == {
        "text/plain": "[output removed by the grader: application/"
        "javascript could run code in the pages that show this notebook]"
    }
    assert widget.data == {"text/plain": "IntSlider(value=3)"}
    assert (stream.text, error.evalue) == ("<script>alert(1)</script>", "<b>")


def test_a_notebook_keeps_its_grading_metadata_code_and_safe_cells(tmp_path, png):
    nb = hostile_notebook(png)
    nb.metadata["widgets"] = {"state": {"html": "<img src=x onerror=alert(1)>"}}
    nb.cells.append(
        nbformat.v4.new_raw_cell(
            "<img src=x onerror=alert(1)>", metadata={"raw_mimetype": "text/html"}
        )
    )
    nb.cells.append(
        nbformat.v4.new_raw_cell("\\section{<a & b>}", metadata={"raw_mimetype": "text/latex"})
    )
    before = nbformat.from_dict(nb)
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    assert sanitize.sanitize_notebook_file(path) == 5  # widgets, 2 markdown, outputs, raw
    after = nbformat.read(path, as_version=4)
    assert "widgets" not in after.metadata
    for old, new in zip(before.cells, after.cells, strict=True):
        assert (new.id, new.cell_type, new.metadata) == (old.id, old.cell_type, old.metadata)
        if new.cell_type == "code":
            assert new.source == old.source
    assert after.cells[2] == before.cells[2], "a test cell without output stays as it is"
    assert after.cells[-2].source == '<img src="x">'
    assert after.cells[-1].source == "\\section{<a & b>}"
    assert [o.output_type for o in after.cells[1].outputs] == [
        o.output_type for o in before.cells[1].outputs
    ]
    assert sanitize.sanitize_notebook_file(path) == 0, "a sanitized notebook stays as it is"


def test_the_policy_goes_first_in_the_head_once():
    page = '<!DOCTYPE html>\n<html>\n<HEAD lang="en">\n<meta charset="utf-8">\n</HEAD><body>x'
    protected = sanitize.protect_page(page)
    assert protected == page.replace('<HEAD lang="en">', '<HEAD lang="en">' + sanitize.CSP_META)
    assert sanitize.protect_page(protected) == protected
    with pytest.raises(ValueError, match="Expected an HTML page with a <head> element"):
        sanitize.protect_page("<body><head></head></body>")
    assert sanitize.CSP.startswith("default-src 'none';")
    assert "script-src" not in sanitize.CSP


def test_a_framed_page_keeps_its_styles_and_loses_its_scripts():
    page = (
        "<!DOCTYPE html><html><head><title>knn</title><style>td > b{color:red}</style>"
        '<script src="https://cdn/x.js"></script></head><body class="nb">'
        '<a name="top"></a><div class="panel" style="width:50%" onclick="alert(1)">'
        "<b>ok</b></div><script>alert(2)</script></body></html>"
    )
    framed = sanitize.frame_document(page)
    assert framed.startswith(
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">' + sanitize.CSP_META
    )
    assert "<style>td > b{color:red}</style>" in framed
    assert (
        '<a name="top" rel="noopener noreferrer"></a><div class="panel" style="width:50%">'
        "<b>ok</b></div>"
    ) in framed
    assert not re.search("script|alert|knn", framed)


def test_a_name_cannot_start_an_element():
    name = sanitize.inert_name('Ann <img src=x onerror="alert(1)"> O\'Neil & co')
    assert name == 'Ann \u2039img src=x onerror="alert(1)"\u203a O\'Neil & co'
    assert sanitize.clean_html(f"<p>{name}</p>") == f"<p>{html.escape(name, quote=False)}</p>"
