"""The course folder: one folder holding a class's grading, from intake to final grades."""
