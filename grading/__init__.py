"""Grading tools for assignment 1: release, autograde, feedback (``python -m grading``).

Modules: :mod:`~grading.regions` (solution regions), :mod:`~grading.release` (build
``assignment1/``), :mod:`~grading.leaks` (the leak check), :mod:`~grading.checks`,
:mod:`~grading.references`, :mod:`~grading.probe`, :mod:`~grading.wire` and
:mod:`~grading.judge` (the hidden checks and the grader's verdicts),
:mod:`~grading.isolation` (the sandbox of student code), :mod:`~grading.integrity`
(restore test cells), :mod:`~grading.limits` (output cap), :mod:`~grading.intake`
(clean up submissions), :mod:`~grading.autograde` and :mod:`~grading.worker` (grade a
class with nbgrader), :mod:`~grading.feedback` (what students get back),
:mod:`~grading.sanitize` (pages made safe to open), :mod:`~grading.samples` (the demo's
generated submissions), :mod:`~grading.execute` (run the source notebooks),
:mod:`~grading.coursedir` (nbgrader course directories), and the course folder
(:mod:`~grading.course`).
"""
