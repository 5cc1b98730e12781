"""A real Jupyter server with nbgrader's formgrader, and a client of formgrader's HTTP API.

:func:`running_formgrader` starts ``python -m jupyter_server`` in a course folder with
only the formgrader extension enabled, as ``jupyter lab`` would load it there. The
client calls the endpoints formgrader's own pages call (nbgrader 0.9.6,
``nbgrader/server_extensions/formgrader/apihandlers.py``, ``default_handlers``):

=============================================================  =========================
``GET  /formgrader/api/status``                                 the server is up
``GET  /formgrader/api/submissions/<assignment>``               one row per student
``GET  /formgrader/api/student_notebook_submissions/<s>/<a>``   a student's notebooks
``GET  /formgrader/api/grades?submission_id=<notebook id>``     a notebook's grades
``GET  /formgrader/api/comments?submission_id=<notebook id>``   a notebook's comments
``GET|PUT /formgrader/api/grade/<id>``                          ``manual_score``, ``extra_credit``
``GET|PUT /formgrader/api/comment/<id>``                        ``manual_comment``
``POST /formgrader/api/submission/<a>/<s>/autograde``           the autograde button
=============================================================  =========================

Authentication: the server's token in an ``Authorization: token ...`` header
(``jupyter_server/auth/identity.py``, ``IdentityProvider.get_token``). A request
authenticated by token needs no XSRF cookie (``JupyterHandler.check_xsrf_cookie`` in
``jupyter_server/base/handlers.py``); formgrader's pages, logged in by cookie, send
the ``_xsrf`` cookie back as ``X-CSRFToken`` instead (``static/js/backbone_xsrf.js``).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

FORMGRADER_EXTENSION = "nbgrader.server_extensions.formgrader"
LOG_TAIL = 6000  # characters of the server's log quoted in errors


class FormgraderError(RuntimeError):
    """Formgrader answered with an HTTP error; ``status`` and ``body`` say which."""

    def __init__(self, method, url, status, body):
        super().__init__(f"formgrader answered {status} to {method} {url}: {body[:500]}")
        self.status = status
        self.body = body


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A request without a valid token is redirected to the login page: report the 302.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class FormgraderClient:
    """Formgrader's HTTP API at ``base_url`` (``http://127.0.0.1:PORT``), as a token holder.

    With ``token=None`` requests are sent without credentials (to check they fail).
    Every method returns the parsed JSON answer and raises :class:`FormgraderError`
    on an HTTP error status.
    """

    def __init__(self, base_url, token, timeout=30):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirect)
        self.server_log = None  # running_formgrader: a callable giving the log's tail

    def request(self, method, path, body=None, query=None):
        url = self.base_url + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        if self.token is not None:
            headers["Authorization"] = f"token {self.token}"
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with self._opener.open(req, timeout=self.timeout) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as e:
            raise FormgraderError(method, url, e.code, e.read().decode(errors="replace")) from None
        return json.loads(text) if text else None

    def _api(self, method, *segments, body=None, query=None):
        path = "/formgrader/api/" + "/".join(urllib.parse.quote(s, safe="") for s in segments)
        return self.request(method, path, body=body, query=query)

    def status(self):
        return self._api("GET", "status")

    def submissions(self, assignment):
        """One dict per student who submitted ``assignment`` (``autograded``, ``score``...)."""
        return self._api("GET", "submissions", assignment)

    def notebook_submissions(self, assignment, student):
        """One dict per notebook of the student's submission; ``id`` is the notebook's."""
        return self._api("GET", "student_notebook_submissions", student, assignment)

    def submission_notebook(self, assignment, student, notebook):
        """The student's ``notebook`` row, with its ``grades`` and ``comments`` lists.

        Each grade and comment is a dict with its ``id`` and ``name`` (the cell's
        ``grade_id``), as formgrader's grading page loads them.
        """
        rows = self.notebook_submissions(assignment, student)
        matches = [row for row in rows if row["name"] == notebook]
        if not matches or matches[0]["id"] is None:
            names = [row["name"] for row in rows if row["id"] is not None]
            raise LookupError(
                f"Expected an autograded notebook {notebook!r} of {student!r} "
                f"in {assignment!r}, got {names} from formgrader."
            )
        row = dict(matches[0])
        row["grades"] = self._api("GET", "grades", query={"submission_id": row["id"]})
        row["comments"] = self._api("GET", "comments", query={"submission_id": row["id"]})
        return row

    def get_grade(self, grade_id):
        return self._api("GET", "grade", grade_id)

    def set_manual_grade(self, grade_id, score, extra_credit=None):
        """PUT both fields, as the grading page does (formgrader resets an absent one)."""
        body = {"manual_score": score, "extra_credit": extra_credit}
        return self._api("PUT", "grade", grade_id, body=body)

    def get_comment(self, comment_id):
        return self._api("GET", "comment", comment_id)

    def set_comment(self, comment_id, text):
        return self._api("PUT", "comment", comment_id, body={"manual_comment": text})

    def autograde(self, assignment, student):
        """``{"success": bool, "log": str, "error": traceback}`` (log and error if any)."""
        return self._api("POST", "submission", assignment, student, "autograde")

    def shutdown(self):
        """Ask the server to stop its kernels and exit (jupyter_server's ``/api/shutdown``)."""
        return self.request("POST", "/api/shutdown")


def jupyter_env(home):
    """nbgrader's and the server's environment: the venv first on PATH, ``grading``
    importable, no user configuration; ``home`` (a folder) holds IPython's and
    Jupyter's runtime files."""
    from grading.coursedir import REPO, nbgrader_env

    home = Path(home)
    return nbgrader_env(
        {
            "PYTHONPATH": str(REPO),
            "JUPYTER_NO_CONFIG": "1",
            "IPYTHONDIR": str(home / "ipython"),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        }
    )


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env(env, scratch, token):
    env = dict(os.environ if env is None else env)
    env.update(
        {
            "JUPYTER_TOKEN": token,  # not on the command line, where `ps` would show it
            "JUPYTER_NO_CONFIG": "1",  # no user or system config: formgrader alone, below
            "JUPYTER_RUNTIME_DIR": str(scratch / "runtime"),
            "TMPDIR": str(scratch),  # JUPYTER_NO_CONFIG's blank config folder lands here
        }
    )
    return env


class _Server:
    def __init__(self, course_dir, env, scratch, timeout):
        self.course_dir = course_dir
        self.log_path = scratch / "server.log"
        self.token = secrets.token_hex(24)
        self.env = _server_env(env, scratch, self.token)
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout
        self.proc = None
        self.client = None

    def command(self, port):
        return [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={self.course_dir}",
            "--ServerApp.allow_root=True",
            f"--ServerApp.jpserver_extensions={FORMGRADER_EXTENSION}=True",
        ]

    def log_tail(self):
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text[-LOG_TAIL:]

    def start(self):
        for _attempt in range(3):  # another process may take the free port first
            port = _free_port()
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    self.command(port),
                    cwd=self.course_dir,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            self.client = FormgraderClient(f"http://127.0.0.1:{port}", self.token)
            if self._wait_ready():
                self.client.server_log = self.log_tail
                return
            if "already in use" not in self.log_tail():
                break
        raise RuntimeError(
            f"The Jupyter server with formgrader did not start in "
            f"{self.course_dir} (exit {self.proc.returncode}). Its log:\n"
            f"{self.log_tail()}"
        )

    def _wait_ready(self):
        while time.monotonic() < self.deadline:
            if self.proc.poll() is not None:
                return False
            try:
                FormgraderClient(self.client.base_url, self.token, timeout=2).status()
                return True
            except (OSError, FormgraderError):  # not listening yet, or still loading
                time.sleep(0.1)
        self.stop()
        raise TimeoutError(
            f"formgrader did not answer within {self.timeout} s in "
            f"{self.course_dir}. The server's log:\n{self.log_tail()}"
        )

    def stop(self):
        """/api/shutdown (kernels too), then SIGTERM, then SIGKILL to the server's group."""
        if self.proc is None or self.proc.poll() is not None:
            return
        steps = [(signal.SIGTERM, 5), (signal.SIGKILL, 5)]
        with contextlib.suppress(OSError, FormgraderError, ValueError):
            FormgraderClient(self.client.base_url, self.token, timeout=5).shutdown()
            steps.insert(0, (None, 10))  # asked: give it time to stop its kernels
        for sig, wait in steps:
            if sig is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue


@contextlib.contextmanager
def running_formgrader(course_dir, env=None, timeout=60):
    """Run a Jupyter server with formgrader in ``course_dir``; yield a :class:`FormgraderClient`.

    Parameters
    ----------
    course_dir : path
        An nbgrader course folder (``nbgrader_config.py``, ``gradebook.db``). It is the
        server's working directory and root, so formgrader reads that configuration.
    env : dict, optional
        The server's environment (default: this process's). ``PYTHONPATH`` must let it
        import whatever the course's configuration names. The token, a runtime folder
        and ``JUPYTER_NO_CONFIG`` are added: no user or system configuration is read.
    timeout : float
        Seconds to wait for formgrader to answer; then the server is stopped and
        ``TimeoutError`` quotes its log. A server that exits early raises ``RuntimeError``.

    The server listens on a free port of 127.0.0.1 with a random token and is stopped
    on exit (kernels first, through ``/api/shutdown``), also when the body raises.
    """
    course_dir = Path(course_dir).resolve()
    if not (course_dir / "nbgrader_config.py").is_file():
        raise FileNotFoundError(
            f"Expected an nbgrader course folder with nbgrader_config.py, got {course_dir}."
        )
    with tempfile.TemporaryDirectory(prefix="formgrader-") as scratch:
        server = _Server(course_dir, env, Path(scratch), timeout)
        try:
            server.start()
            yield server.client
        finally:
            server.stop()
