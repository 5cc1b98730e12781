"""Timing shared by the benchmarks: best of repeats, interleaved between candidates."""

from __future__ import annotations

import statistics
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


def median_times(fns, calls):
    """``{name: median time}`` over ``calls`` calls of each function, taken in turn.

    For functions of a few milliseconds: one call of each, then the next round, so
    that slow minutes of a noisy machine hit every function alike; the median of
    many rounds moves much less from run to run than the minimum of a few.
    """
    times = {name: [] for name in fns}
    for _ in range(calls):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}
