"""Grading on a Dask cluster whose machines share no files with this one.

- :mod:`~grading.cluster.environment`: what a machine runs (kit, Python, packages,
  sandbox), compared before a worker gets any submission;
- :mod:`~grading.cluster.transport`: folders as bytes, and back, plain files only;
- :mod:`~grading.cluster.bundle`: the class's files, sent once per worker and cached;
- :mod:`~grading.cluster.tasks`: what runs on a worker (data in, data out);
- :mod:`~grading.cluster.coordinator`: :func:`map_cluster`, the run, and its faults.

It imports :mod:`grading.run` and :mod:`grading.intake`; :mod:`grading.course` imports it.
"""

from .coordinator import ClusterError, map_cluster

__all__ = ["ClusterError", "map_cluster"]
