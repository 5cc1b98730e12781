"""The release: ``assignment1/`` built from the sources (``python -m grading release``).

- :mod:`~grading.release.regions`: the ``### BEGIN SOLUTION`` regions of the package:
  find, stub, complete;
- :mod:`~grading.release.release`: builds ``assignment1/`` (and checks it is fresh),
  with ``student_README.md`` as its README;
- :mod:`~grading.release.leaks`: the leak check, no line of a solution region in the
  release;
- :mod:`~grading.release.samples`: the demo's complete, half-completed and untouched
  submissions, and the points each must earn.

This stage comes first: it imports no other stage of ``grading``.
"""
