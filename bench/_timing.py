"""Timing shared by the benchmarks: best of repeats, interleaved between candidates."""

from __future__ import annotations

import time


def best_time(fn, repeats=1):
    """The shortest of ``repeats`` wall-clock timings of ``fn()``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def interleaved(fns, rounds, repeats=1):
    """``{name: best time}`` of each function, round by round, so that noise hits all alike."""
    best = {name: float("inf") for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            best[name] = min(best[name], best_time(fn, repeats))
    return best
