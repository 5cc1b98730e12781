"""The run stage: grading submissions, each in its own scratch course directory.

- :mod:`~grading.run.autograde`: the class's setup, one worker per submission
  (``--jobs N``; :mod:`grading.cluster` sends it to Dask workers), and the grade rows;
- :mod:`~grading.run.worker`: one submission, in namespaces of its own: nbgrader's
  autograde in the sandbox, the probes, the verdicts into the gradebook, the feedback;
- :mod:`~grading.run.integrity`: test cells restored as released, each change said;
- :mod:`~grading.run.limits`: nbgrader's executor with an output cap while it runs;
- :mod:`~grading.run.check_base`, :mod:`~grading.run.checks`,
  :mod:`~grading.run.net_checks`: the hidden checks and notebook facts;
- :mod:`~grading.run.references`: the checks' reference outputs from the instructor's
  package;
- :mod:`~grading.run.probe`: the checks run here, each call of the student's package
  going to a sandboxed server (:mod:`grading.isolation.wire`);
- :mod:`~grading.run.judge`: the verdicts, probe outputs against references and facts;
- :mod:`~grading.run.grading_data`: the kernels' copy of the dataset, test labels
  withheld;
- :mod:`~grading.run.feedback`, :mod:`~grading.run.sanitize`: the notebooks students get
  back, and pages made safe to open;
- :mod:`~grading.run.execute`: the source notebooks run end to end.

It imports :mod:`grading.intake` and :mod:`grading.release` (the released notebooks'
cells), never :mod:`grading.course`.
"""
