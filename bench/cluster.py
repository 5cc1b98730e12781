"""Benchmark: grading on a Dask cluster, one worker against two, and its cost over --jobs.

Generates a class of ``--class-size`` submissions (default 6), the demo's three kinds in
turn, and grades it four times, each into a fresh course folder, every grade checked:

1. ``--jobs 1`` on this machine (the baseline);
2. a cluster of one worker (``dask scheduler`` and ``dask worker --nthreads 1``, real
   processes on 127.0.0.1 that share no folder with this one: see tests/cluster.py),
   whose cache is empty, so the class's files are sent and prepared first;
3. the same worker again, its cache warm: the transport overhead per submission is
   (3 - 1) / class size: the submission's bytes there, the graded files back, the
   environment check;
4. a cluster of two workers (cache warm), each given half the cores
   (``CS231N_WORKER_CORES``) as two machines would have.

Prints each run's time, the one-time cost of sending the class's files, the transport
overhead per submission, and the throughput of two workers over one (target: at least
1.7 on 2 cores; on separate machines it is the number of machines).

Run from the project root: ``python bench/cluster.py`` (needs datasets/ and the
``unshare`` command; about 25 minutes for 6 submissions on 2 cores).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the grading package
sys.path.insert(0, str(ROOT / "tests"))  # cluster.py: real scheduler and worker processes

from _class import KINDS, class_arguments, make_class  # noqa: E402  (bench/_class.py)
from cluster import Cluster, can_hide_folders  # noqa: E402

from grading.cluster.transport import pack  # noqa: E402
from grading.course.autograde import autograde_class  # noqa: E402

TARGET_RATIO = 1.7


def grade(subs, out, expected, data_dir, **options):
    """Grade the class into ``out``; (seconds, timestamped log lines). Exits on a wrong grade."""
    lines = []
    start = time.perf_counter()
    try:
        grades = autograde_class(
            subs,
            out,
            data_dir=data_dir,
            progress=True,
            log=lambda text: lines.append((time.perf_counter() - start, str(text))),
            **options,
        )
    except Exception:
        print("\n".join(text for _, text in lines), file=sys.stderr)
        raise
    seconds = time.perf_counter() - start
    wrong = [
        g.submission
        for g in grades
        if {nb: s["score"] for nb, s in g.scores.items()} != expected[g.submission.split("-", 1)[1]]
    ]
    if wrong or len(grades) != len(list(Path(subs).iterdir())):
        sys.exit(f"error: graded {wrong[:3]} wrongly ({options})")
    return seconds, lines


def shipping_seconds(lines):
    """From "Sending the class's files" to "... are ready", in a run's log; 0 if not sent."""
    sent = [t for t, text in lines if text.startswith("Sending the class's files")]
    ready = [t for t, text in lines if text.startswith("The class's files are ready")]
    return ready[0] - sent[0] if sent and ready else 0.0


def main(argv=None):
    args = class_arguments(argv, __doc__.splitlines()[0], size=6)
    reason = can_hide_folders()
    if reason:
        sys.exit(f"error: the cluster runs its workers in a mount namespace: {reason}")
    cores = os.cpu_count() or 1
    n = args.class_size
    with (
        tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp,
        tempfile.TemporaryDirectory(prefix="bench-cluster-caches-") as caches,
    ):
        tmp, caches = Path(tmp), Path(caches)  # the workers see the caches, not tmp
        subs, expected = make_class(tmp, n)
        sizes = [len(pack({p.name: p})) for p in sorted(subs.iterdir())]
        times = {}
        times["jobs1"], _ = grade(subs, tmp / "jobs1", expected, args.data_dir, jobs=1)
        with Cluster([tmp], workers=1, caches=caches) as cluster:
            times["cold1"], cold = grade(
                subs, tmp / "cold1", expected, args.data_dir, dask_scheduler=cluster.address
            )
            times["warm1"], _ = grade(
                subs, tmp / "warm1", expected, args.data_dir, dask_scheduler=cluster.address
            )
        half = str(max(1, cores // 2))
        # The second machine graded this class before too: its cache is as warm.
        shutil.copytree(caches / "worker-0", caches / "worker-1")
        with Cluster([tmp], workers=0, caches=caches) as cluster:
            for _ in range(2):
                cluster.start_worker(env={"CS231N_WORKER_CORES": half})
            cluster.wait_for_workers(2)
            times["warm2"], warm2 = grade(
                subs, tmp / "warm2", expected, args.data_dir, dask_scheduler=cluster.address
            )
    ship = shipping_seconds(cold)
    overhead = (times["warm1"] - times["jobs1"]) / n
    print(f"class of {n} submissions ({', '.join(KINDS)} in turn), every grade correct:")
    print(f"  --jobs 1 here:                   {times['jobs1']:6.0f} s")
    print(f"  1 worker, cold cache:            {times['cold1']:6.0f} s (sending and preparing")
    print(f"                                          the class's files: {ship:.0f} s, once)")
    print(f"  1 worker, warm cache:            {times['warm1']:6.0f} s")
    print(f"  2 workers, warm, {half} core(s) each: {times['warm2']:6.0f} s")
    print(
        f"submission sent: {sum(sizes) / len(sizes) / 2**20:.1f} MB on average; transport "
        f"overhead per submission (1 worker warm - --jobs 1): {overhead:+.1f} s, "
        f"{overhead / (times['jobs1'] / n) * 100:+.0f}% of its grading"
    )
    ratio = times["warm1"] / times["warm2"]
    print(f"throughput 2 workers / 1 worker: {ratio:.2f}x (target >= {TARGET_RATIO})")
    return 0 if shipping_seconds(warm2) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
