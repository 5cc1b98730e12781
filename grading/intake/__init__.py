"""Intake: submissions in, whatever shape they arrive in (the first stage of grading).

:mod:`~grading.intake.unpack` turns one student's folder or zip into a clean
submission folder, with every problem in words.
"""

from .unpack import DROPPED, VALID_ID, Submission, discover, prepare, student_id_for

__all__ = ["DROPPED", "VALID_ID", "Submission", "discover", "prepare", "student_id_for"]
