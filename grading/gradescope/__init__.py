"""Gradescope's autograder, built from the same sources and grading the same way.

The stage after :mod:`grading.course` (it imports the stages before it, never after):

- :mod:`~grading.gradescope.build`: the zip Gradescope expects (``setup.sh``,
  ``run_autograder``, the project with the references prebuilt, optionally the data);
- :mod:`~grading.gradescope.scripts`: the text of those two scripts;
- :mod:`~grading.gradescope.layout`: the ``/autograder`` tree and the zip's settings;
- :mod:`~grading.gradescope.image`: what ``setup.sh`` builds once (dataset, course
  folder, template, class inputs);
- :mod:`~grading.gradescope.submission`: ``/autograder/submission`` made a class
  folder of one, and the submission's metadata;
- :mod:`~grading.gradescope.runner`: what ``run_autograder`` runs: one submission
  graded by :func:`grading.course.autograde.autograde_class`, results written always;
- :mod:`~grading.gradescope.cells`: the graded cells (points, names) and what a
  graded notebook shows;
- :mod:`~grading.gradescope.results`: ``results.json``, Gradescope's schema, checked.
"""

from importlib import import_module

# Where each public name lives; imported on first use, so that the command line can
# read the settings (layout) without importing the whole grader.
_PUBLIC = {
    "Layout": "layout",
    "Settings": "layout",
    "build_zip": "build",
    "check_results": "results",
    "not_graded": "results",
    "prepare": "image",
    "results_for": "results",
    "run": "runner",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        return getattr(import_module(f".{_PUBLIC[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
