"""Grade a class on a Dask cluster whose machines share no files with this one.

:func:`map_cluster` is what ``autograde --dask-scheduler ADDRESS`` runs:

1. every worker reports its environment; one that differs from this machine (another
   kit, Python, numpy, nbgrader…, or no working sandbox) is named and gets nothing;
2. the class bundle (:mod:`grading.cluster.bundle`: template, references, release,
   dataset) goes once to each checked worker that does not have it yet;
3. each submission's files go to a worker as bytes (a few at a time per worker, so the
   scheduler never holds the whole class) and come back graded, as bytes, into
   ``COURSE/work/<id>/``; the caller commits each one (only this machine writes the
   course folder).

Faults: a worker that dies while grading is replaced by Dask, which grades that
submission again on another worker; it is received once. The scheduler gone, or
every checked worker gone, stops the run with :class:`ClusterError`: what was
received is committed, and the same command grades the rest.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import shutil
import time
import uuid
from collections import deque
from pathlib import Path

from ..run import autograde as run
from . import tasks
from .bundle import pack_class
from .environment import environment_report, mismatches
from .transport import pack, unpack

CONNECT_TIMEOUT = "30s"
POLL_SECONDS = 2.0
GRACE_SECONDS = 60.0  # how long every checked worker may be gone before the run stops
IN_FLIGHT_PER_WORKER = 2


class ClusterError(RuntimeError):
    """The cluster cannot grade (unreachable, no usable worker, or lost mid-run)."""


def _connect(address):
    try:
        from distributed import Client
    except ImportError as error:
        raise ClusterError(
            "--dask-scheduler needs the distributed package: install the grading tools "
            "with `pip install --require-hashes -r requirements/grading.txt`"
        ) from error
    try:
        return Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as error:
        raise ClusterError(
            f"Could not reach a Dask scheduler at {address} within {CONNECT_TIMEOUT}: "
            f"{error}. Start one with `dask scheduler` (it prints its address) and "
            "workers with `dask worker ADDRESS --nthreads 1`, then run this again."
        ) from error


def check_workers(client, address, log=print):
    """The addresses of the workers whose environment matches this machine's.

    Raises :class:`ClusterError` when the scheduler cannot run the grading tools or
    no worker can.
    """
    ours = environment_report(sandbox=False)
    try:
        client.wait_for_workers(1, timeout=GRACE_SECONDS)
    except TimeoutError as error:
        raise ClusterError(
            f"The Dask scheduler at {address} has no workers (waited {GRACE_SECONDS:.0f} s): "
            "start them with `dask worker ADDRESS --nthreads 1`."
        ) from error
    try:
        client.run_on_scheduler(tasks.report, sandbox=False)
    except Exception as error:
        raise ClusterError(
            f"The Dask scheduler at {address} cannot load the grading tools "
            f"({type(error).__name__}: {error}): start it from an environment where "
            "they are installed (requirements/grading.txt, then `pip install --no-deps .`)."
        ) from error
    reports = client.run(tasks.report, on_error="return")
    usable, refused = [], []
    for worker, report in sorted(reports.items()):
        if isinstance(report, BaseException):
            lines = [
                f"cannot run the grading tools ({type(report).__name__}: {report}); "
                "install them there from requirements/grading.txt"
            ]
            where = worker
        else:
            lines = mismatches(ours, report)
            where = f"{worker} ({report.get('host', '?')})"
        if lines:
            refused.append(f"  {where}: {'; '.join(lines)}")
        else:
            usable.append(worker)
    if refused:
        log("Not grading on these workers, whose environment differs from this machine's:")
        for line in refused:
            log(line)
    if not usable:
        raise ClusterError(
            f"None of the {len(reports)} worker(s) of the Dask cluster at {address} can grade "
            "(see above). Install the same commit of the kit on them, from "
            "requirements/grading.txt, and restart them."
        )
    log(
        f"{len(usable)} worker(s) checked: the same kit, Python {ours['python']}, numpy "
        f"{ours['numpy']}, nbgrader {ours['nbgrader']}, and a working sandbox."
    )
    return usable


def ship_class(client, setup, workers, log=print):
    """Send the class bundle to the workers that lack it; returns (key, workers ready)."""
    from distributed import wait

    bundle = pack_class(setup)
    have = client.run(tasks.has_bundle, bundle.key, workers=workers)
    lacking = [w for w in workers if not have.get(w)]
    if not lacking:
        log(f"Every worker has this class's files already (bundle {bundle.key[:12]}).")
        return bundle.key, workers
    log(
        f"Sending the class's files (template, references, release, dataset: "
        f"{bundle.megabytes:.0f} MB) to {len(lacking)} worker(s); each prepares it once."
    )
    start = time.monotonic()
    [data] = client.scatter([bundle.data], workers=lacking, broadcast=True, hash=False)
    installs = {
        client.submit(
            tasks.install_bundle,
            bundle.key,
            data,
            workers=[w],
            allow_other_workers=False,
            pure=False,
            key=f"install-{bundle.key[:12]}-{uuid.uuid4().hex[:8]}",
        ): w
        for w in lacking
    }
    wait(list(installs))
    failed = {}
    for future, worker in installs.items():
        if future.status != "finished":
            failed[worker] = future.exception()
    client.cancel([data, *installs])
    for worker, error in failed.items():
        log(f"  Not grading on {worker}: installing the class failed ({error})")
    ready = [w for w in workers if w not in failed]
    if not ready:
        raise ClusterError("No worker could install the class's files (see above).")
    log(
        f"The class's files are ready on {len(ready)} worker(s) ({time.monotonic() - start:.0f} s)."
    )
    return bundle.key, ready


def payload(sub, only):
    """One submission as data: its files (a folder or a zip) as tar bytes."""
    path = Path(sub.path)
    return {
        "name": sub.name,
        "student_id": sub.student_id,
        "problems": list(sub.problems),
        "only": list(only) if only else None,
        "filename": path.name,
        "files": pack({path.name: path}),
    }


def receive(result, output):
    """The :class:`~grading.run.autograde.Grade` of a worker's result; files into work/<id>."""
    grade = run.Grade(**result["grade"])
    scratch = Path(output) / "work" / grade.student_id
    shutil.rmtree(scratch, ignore_errors=True)
    unpack(result["files"], scratch)
    grade.workdir = str(scratch)
    return grade


def map_cluster(address, work, setup, log=print):
    """Grade ``work`` (pairs of submission and notebooks) on the cluster at ``address``.

    Yields each :class:`~grading.run.autograde.Grade` as it comes back, its files in
    ``setup.output/work/<id>/``. Raises :class:`ClusterError` for a cluster that cannot
    grade, or at the end when some submissions could not be graded (named).
    """
    with _quiet_dask():
        yield from _map(address, work, setup, log)


@contextlib.contextmanager
def _quiet_dask():
    """Dask's own logging off: a lost connection is said once, by :class:`ClusterError`.

    Without this, the client logs each failed reconnection with a traceback. After a
    lost scheduler it stays off: the client's reconnection outlives the run by seconds.
    """
    with contextlib.suppress(ImportError):  # its loggers exist once it is imported
        import distributed  # noqa: F401
    names = ["distributed"] + [
        name for name in logging.root.manager.loggerDict if name.startswith("distributed.")
    ]
    levels = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _map(address, work, setup, log):
    client = _connect(address)
    try:
        workers = check_workers(client, address, log)
        key, workers = ship_class(client, setup, workers, log)
        options = {
            "limits": setup.limits,
            "timeout": setup.timeout,
            "cell_timeout": setup.cell_timeout,
            "probe_timeout": setup.probe_timeout,
        }
        queue = deque(work)
        window = IN_FLIGHT_PER_WORKER * len(workers)
        running = {}

        def submit_more():
            while queue and len(running) < window:
                sub, only = queue.popleft()
                future = client.submit(
                    tasks.grade,
                    key,
                    payload(sub, only),
                    options,
                    workers=workers,
                    allow_other_workers=False,
                    pure=False,
                    key=f"grade-{sub.student_id}-{uuid.uuid4().hex[:8]}",
                )
                running[future] = sub

        submit_more()
        failed = yield from _collect(client, address, running, workers, setup, submit_more)
    finally:
        with contextlib.suppress(Exception):  # a lost scheduler: do not wait to reconnect
            client.close(timeout=5)
    if failed:
        names = "; ".join(f"{sub.student_id} ({error})" for sub, error in failed)
        raise ClusterError(
            f"{len(failed)} submission(s) were not graded: {names}. The others are saved; "
            "run the same command again to grade these."
        )


def _collect(client, address, running, workers, setup, submit_more):
    from distributed import wait

    failed = []
    gone_since = None
    while running:
        try:
            done, _ = wait(list(running), timeout=POLL_SECONDS, return_when="FIRST_COMPLETED")
        except TimeoutError:
            done = set()
        except concurrent.futures.CancelledError:
            done = {f for f in running if f.status == "cancelled"}
        for future in done:
            sub = running.pop(future)
            if future.status == "finished":
                yield receive(future.result(), setup.output)
            elif future.status == "cancelled" or client.status != "running":
                running[future] = sub
                raise _scheduler_lost(address, len(running))
            else:
                error = future.exception()
                failed.append((sub, f"{type(error).__name__}: {str(error)[:200]}"))
        if client.status != "running":
            raise _scheduler_lost(address, len(running))
        alive = set(client.scheduler_info().get("workers", {})) & set(workers)
        if alive:
            gone_since = None
        elif gone_since is None:
            gone_since = time.monotonic()
        elif time.monotonic() - gone_since > GRACE_SECONDS:
            raise ClusterError(
                f"Every checked worker left the Dask cluster at {address} "
                f"{GRACE_SECONDS:.0f} s ago; {len(running)} submission(s) were in flight. "
                "What was graded is saved: start workers again and run the same command."
            )
        submit_more()
    return failed


def _scheduler_lost(address, in_flight):
    return ClusterError(
        f"Lost the Dask scheduler at {address} (it stopped, or the network failed) with "
        f"{in_flight} submission(s) in flight. Every submission graded before is saved in "
        "the course folder: start the scheduler and workers again and run the same "
        "command; it grades only the rest."
    )
