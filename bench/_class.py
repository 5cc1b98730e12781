"""A generated class for the grading benchmarks: the demo's three kinds in turn."""

from __future__ import annotations

import shutil

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
