"""Grading tools for assignment 1: release, autograde, feedback (``python -m grading``).

One sub-package a stage; a stage imports the stages before it, never after:

- :mod:`~grading.release`: build ``assignment1/`` (solution regions, the leak check, the
  demo's samples);
- :mod:`~grading.intake`: submissions in, from LMS downloads, within limits;
- :mod:`~grading.run`: grading submissions (the worker, the hidden checks and their
  references, the judge, restored test cells, the feedback notebooks);
- :mod:`~grading.cluster`: the same grading on a Dask cluster's workers, which share
  no files with this machine;
- :mod:`~grading.course`: the course folder (incremental autograde, late policy, final
  grades, feedback pages, similarity).

Beneath them, :mod:`~grading.isolation` (the sandbox of student code, and the probe's
wire format) imports nothing else of ``grading``, and :mod:`~grading.coursedir` (the
assignment's names, nbgrader course directories) no stage.
"""
