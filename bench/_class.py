"""A generated class for the grading benchmarks: the demo's three kinds in turn."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from grading.release.samples import make_samples

KINDS = ("complete", "half", "untouched")


def make_class(root, size):
    """``size`` submissions named ``s01-complete``, ``s02-half``, ... in ``root/class``.

    Returns (the class folder, {kind: expected points per notebook}).
    """
    expected = make_samples(root / "kinds")
    subs = root / "class"
    for i in range(size):
        kind = KINDS[i % len(KINDS)]
        shutil.copytree(root / "kinds" / kind, subs / f"s{i + 1:02d}-{kind}")
    return subs, expected


def class_arguments(argv, description, size):
    """The grading benchmarks' options: ``--class-size`` (default ``size``), ``--data-dir``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--class-size", type=int, default=size)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder holding cifar-10-batches-py/ (default: datasets/)",
    )
    return parser.parse_args(argv)
