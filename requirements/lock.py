"""The lock files requirements/grading.txt and requirements/dev.txt: update and check them.

    python requirements/lock.py update   # `make lock`: re-resolve, rewrite both, print changes
    python requirements/lock.py check    # `make lock-check`: offline, no resolution

`update` runs uv (`uv pip compile --universal --generate-hashes`, one resolution for every
Python >= 3.10 and platform) twice: dev.txt from the `dev` extra, then grading.txt from the
`grading` extra with dev.txt as constraints, so that the two pin the same versions. Both
also pin pip and pyproject.toml's [build-system] requires (setuptools), which the project's
own install needs. uv comes from `python -m uv` or the PATH (`make lock` installs it).

`check` needs no network: every requirement of pyproject.toml (runtime, grading, dev, and
the build system's) is pinned with a version inside its range, every pin has a hash, and
every pin of grading.txt is in dev.txt with the same version. Standard library only
(Python 3.11+, or tomli on 3.10).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    try:
        import tomli as tomllib
    except ImportError:
        sys.exit("requirements/lock.py needs Python 3.11 or newer, or tomli (pip install tomli).")

REPO = Path(__file__).resolve().parent.parent
# name -> (the pyproject.toml lists it installs, its description in the header)
LOCKS = {
    "dev": (("dependencies", "dev"), "the runtime dependencies and the `dev` extra"),
    "grading": (("dependencies", "grading"), "the runtime dependencies and the `grading` extra"),
}
# The extra tools that both locks pin, on top of [build-system] requires.
TOOLS = ["pip"]


class LockError(Exception):
    """A lock file or pyproject.toml that cannot be read, or uv that cannot run."""


# --- Requirements and versions (the little of PEP 508 and PEP 440 this needs) -------------


def normalize(name):
    """PEP 503: 'Foo_Bar.baz' -> 'foo-bar-baz'."""
    return re.sub(r"[-_.]+", "-", name).lower()


REQUIREMENT = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?\s*\(?([^;()]*)\)?")


def parse_requirement(text):
    """'Foo[bar] >=1.2, <2 ; python_version < "3.11"' -> ('foo', {'bar'}, ['>=1.2', '<2'])."""
    head = text.split(";")[0].strip()
    match = REQUIREMENT.fullmatch(head)
    if not match or "@" in head:
        raise LockError(f"pyproject.toml: cannot read the requirement {text!r}")
    extras = {normalize(e) for e in (match.group(2) or "").split(",") if e.strip()}
    specs = [s.replace(" ", "") for s in match.group(3).split(",") if s.strip()]
    return normalize(match.group(1)), extras, specs


VERSION = re.compile(
    r"v?(?:(\d+)!)?(\d+(?:\.\d+)*)"  # epoch, release
    r"(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d*))?"  # pre-release
    r"(?:-(\d+)|[-_.]?(?:post|rev|r)[-_.]?(\d*))?"  # post-release
    r"(?:[-_.]?dev[-_.]?(\d*))?"  # development release
    r"(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?",  # local version label (ignored)
    re.IGNORECASE,
)
PRE = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}
INF = float("inf")


def version_key(text):
    """A sort key of a PEP 440 version: '1.2rc1' < '1.2' < '1.2.post1'; '1.2' == '1.2.0'."""
    match = VERSION.fullmatch(text.strip())
    if not match:
        raise LockError(f"cannot read the version {text!r}")
    epoch, release, pre, pre_n, post_a, post_b, dev = match.groups()
    numbers = [int(n) for n in release.split(".")]
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    post = post_a or post_b
    if pre:
        pre_key = (PRE[pre.lower()], int(pre_n or 0))
    elif dev is not None and post is None:
        pre_key = (-1, 0)  # 1.0.dev1 comes before 1.0a1
    else:
        pre_key = (INF, 0)
    post_key = -1 if post is None else int(post)
    dev_key = INF if dev is None else int(dev or 0)
    return int(epoch or 0), tuple(numbers), pre_key, post_key, dev_key


def release_of(text):
    """The release numbers of a version as written: '1.20.0rc1' -> [1, 20, 0]."""
    return [
        int(n) for n in re.match(r"v?(?:\d+!)?(\d+(?:\.\d+)*)", text.strip()).group(1).split(".")
    ]


def satisfies(version, spec):
    """Whether a pinned version is inside one specifier clause such as '>=1.24' or '==2.*'."""
    match = re.fullmatch(r"(===|~=|==|!=|<=|>=|<|>)\s*(\S+)", spec)
    if not match:
        raise LockError(f"cannot read the version specifier {spec!r}")
    op, target = match.groups()
    if op == "===":
        return version == target
    if target.endswith(".*") and op in ("==", "!="):  # a prefix: ==2.*, !=1.4.*
        prefix = release_of(target[:-2])
        numbers = release_of(version)
        numbers += [0] * (len(prefix) - len(numbers))
        inside = numbers[: len(prefix)] == prefix and version_key(version)[0] == 0
        return inside if op == "==" else not inside
    have, want = version_key(version), version_key(target)
    if op == "~=":  # ~=2.2.1 means >=2.2.1, ==2.2.*
        prefix = ".".join(map(str, release_of(target)[:-1]))
        return have >= want and satisfies(version, f"=={prefix}.*")
    if op == "<":  # <2.0 admits no 2.0rc1 (unless 2.0 is itself a pre-release)
        pre = have[2] != (INF, 0) and want[2] == (INF, 0)
        return have < want and not (pre and have[:2] == want[:2])
    if op == ">":  # >2.0 admits no 2.0.post1 (unless 2.0 is itself a post-release)
        return have > want and not (have[:2] == want[:2] and want[3] == -1)
    return {"==": have == want, "!=": have != want, "<=": have <= want, ">=": have >= want}[op]


# --- pyproject.toml -----------------------------------------------------------------------


def read_pyproject(path):
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise LockError(f"cannot read {path}: {err}") from err


def expand(pyproject, lists):
    """The requirements of some lists of pyproject.toml ('dependencies' or an extra's name),
    as (name, specifiers, where) with a self-reference such as cs231n_lib[grading] replaced
    by the lists it names; plus the [build-system] requires and TOOLS, which every lock pins.
    """
    project = pyproject["project"]
    extras = project.get("optional-dependencies", {})
    own = normalize(project["name"])
    found, seen = [], set()

    def visit(key):
        if key in seen:
            return
        seen.add(key)
        if key == "dependencies":
            where, texts = "[project] dependencies", project.get("dependencies", [])
        elif key in extras:
            where, texts = f"the `{key}` extra", extras[key]
        else:
            raise LockError(f"pyproject.toml has no extra {key!r}")
        for text in texts:
            name, names, specs = parse_requirement(text)
            if name == own:  # the project itself: "includes these extras"
                for extra in sorted(names):
                    visit(extra)
            else:
                found.append((name, specs, where))

    for key in lists:
        visit(key)
    for text in pyproject.get("build-system", {}).get("requires", []):
        name, _, specs = parse_requirement(text)
        found.append((name, specs, "[build-system] requires"))
    found += [(name, [], "the tools every lock pins") for name in TOOLS]
    return found


# --- Lock files ---------------------------------------------------------------------------

HASH = re.compile(r"sha(256|384|512):[0-9a-f]{64,128}")
PIN = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;]+)\s*(?:;\s*(.*))?")


def read_lock(path):
    """{(name, marker): (version, [hashes])} of a hash-checking requirements file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise LockError(f"cannot read {path}: {err}") from err
    pins, problems = {}, []
    # One entry per logical line: join the continuation lines, drop the comments.
    logical = re.sub(r"\\\n", " ", text)
    for line in logical.splitlines():
        line = re.sub(r"(^|\s)#.*", "", line).strip()
        if not line:
            continue
        words = re.split(r"\s+--hash(?:=|\s+)", line)
        requirement, hashes = words[0].strip(), [h.strip() for h in words[1:]]
        match = PIN.fullmatch(requirement)
        if not match:
            problems.append(f"{path.name}: {requirement!r} is not an exact pin (name==version)")
            continue
        name, version, marker = normalize(match.group(1)), match.group(2), match.group(3)
        key = (name, (marker or "").strip())
        if key in pins:
            problems.append(f"{name}: pinned twice in {path.name} ({describe(key)})")
        pins[key] = (version, [h for h in hashes if HASH.fullmatch(h)])
        if len(pins[key][1]) != len(hashes):
            problems.append(f"{name}: {path.name} has a hash that is not sha256:<hex digits>")
    return pins, problems


def describe(key):
    name, marker = key
    return f"{name} ; {marker}" if marker else name


def check(pyproject_path, locks):
    """Every problem of the lock files {'dev': path, 'grading': path}, as messages that
    each begin with the package's name; an empty list when they are fine."""
    pyproject = read_pyproject(pyproject_path)
    problems, pinned = [], {}
    for lock, path in locks.items():
        pins, found = read_lock(path)
        pinned[lock] = pins
        problems += found
        name_of = Path(path).name
        for (name, _), (version, hashes) in pins.items():
            if not hashes:
                problems.append(f"{name}: {name}=={version} in {name_of} has no --hash")
        for name, specs, where in expand(pyproject, LOCKS[lock][0]):
            versions = [v for (n, _), (v, _) in pins.items() if n == name]
            if not versions:
                problems.append(
                    f"{name}: required by {where} of pyproject.toml but not pinned in "
                    f"{name_of}: run `make lock`"
                )
            for version in versions:
                outside = [s for s in specs if not satisfies(version, s)]
                if outside:
                    problems.append(
                        f"{name}: {name_of} pins {version}, outside {','.join(specs)} "
                        f"({where} of pyproject.toml): run `make lock`"
                    )
    if set(locks) == {"dev", "grading"}:
        dev, grading = pinned["dev"], pinned["grading"]
        for key, (version, _) in sorted(grading.items()):
            if key not in dev:
                problems.append(
                    f"{key[0]}: {Path(locks['grading']).name} pins {describe(key)}=={version} "
                    f"but {Path(locks['dev']).name} does not: run `make lock`"
                )
            elif dev[key][0] != version:
                problems.append(
                    f"{key[0]}: {Path(locks['grading']).name} pins {version} but "
                    f"{Path(locks['dev']).name} pins {dev[key][0]} ({describe(key)}): "
                    "run `make lock`"
                )
    return problems


# --- Update -------------------------------------------------------------------------------


def find_uv():
    """The command that runs uv: `python -m uv` (the uv package on PyPI) or uv on the PATH."""
    probe = subprocess.run(
        [sys.executable, "-m", "uv", "--version"], capture_output=True, text=True, check=False
    )
    if probe.returncode == 0:
        return [sys.executable, "-m", "uv"]
    if shutil.which("uv"):
        return [shutil.which("uv")]
    raise LockError(
        f"uv is needed to re-resolve the locks: `{sys.executable} -m pip install uv` "
        "(`make lock` does it)"
    )


def python_min(pyproject):
    """The oldest Python of requires-python ('>=3.10' -> '3.10'): the resolution's floor."""
    requires = pyproject["project"].get("requires-python", "")
    match = re.search(r">=\s*(\d+\.\d+)", requires)
    if not match:
        raise LockError(f"pyproject.toml: requires-python {requires!r} has no lower bound (>=)")
    return match.group(1)


def header(lock, command, oldest):
    what = LOCKS[lock][1]
    project = "-e ." if lock == "dev" else "."
    prose = (
        f"requirements/{lock}.txt: the locked {lock} environment of cs231n_lib ({what}, with "
        f"pip and setuptools): exact versions with their hashes, for Python >= {oldest} on "
        "any platform (one universal resolution). GENERATED by requirements/lock.py, do not "
        "edit: `make lock` regenerates both lock files with the newest versions "
        "pyproject.toml allows. It runs (build-system.in: pip and pyproject.toml's "
        "[build-system] requires)"
    )
    return f"""\
{textwrap.fill(prose, 88, initial_indent="# ", subsequent_indent="# ")}
#   {" ".join(command)}
# Install it, then the project itself without its dependencies (they are all here):
#   python -m pip install --require-hashes -r requirements/{lock}.txt
#   python -m pip install --no-deps --no-build-isolation {project}
"""


def compile_lock(uv, lock, tmp, constraints=None):
    """uv pip compile for one lock file: its text, header included."""
    pyproject = read_pyproject(REPO / "pyproject.toml")
    build = pyproject.get("build-system", {}).get("requires", [])
    oldest = python_min(pyproject)
    tools = tmp / "build-system.in"
    tools.write_text("".join(f"{r}\n" for r in [*TOOLS, *build]), encoding="utf-8")
    args = ["pyproject.toml", "build-system.in", "--extra", LOCKS[lock][0][1]]
    args += ["--universal", "--python-version", oldest, "--generate-hashes", "--upgrade"]
    args += ["--annotation-style", "line", "--no-python-downloads"]  # no Python 3.10 needed
    if constraints:
        args += ["-c", f"requirements/{constraints}.txt"]
    # uv reads build-system.in and the constraints from tmp; the output names them as above.
    real = [
        str(tmp / a) if a in ("build-system.in", f"requirements/{constraints}.txt") else a
        for a in args
    ]
    result = subprocess.run(
        [*uv, "pip", "compile", *real, "--no-header"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise LockError(f"uv pip compile failed for requirements/{lock}.txt (its error is above)")
    text = result.stdout.replace(f"{tmp}{os.sep}", "")
    return header(lock, ["uv", "pip", "compile", *args], oldest) + text


def version_map(pins):
    return {key: version for key, (version, _) in pins.items()}


def changes(old, new, grading):
    """One line per package whose pin changed: 'numpy 2.2.5 -> 2.2.6 (python ...)'."""
    lines = []
    names = sorted({name for name, _ in old} | {name for name, _ in new})
    for name in names:
        keys = sorted({k for k in old if k[0] == name} | {k for k in new if k[0] == name})
        for key in keys:
            before, after = old.get(key), new.get(key)
            if before == after:
                continue
            where = f" ; {key[1]}" if key[1] else ""
            only = "" if key in grading else "  [dev.txt only]"
            lines.append(f"{name} {before or '(new)'} -> {after or '(removed)'}{where}{only}")
    return lines


def update():
    uv = find_uv()
    folder = REPO / "requirements"
    old = {}
    if (folder / "dev.txt").exists():
        old = version_map(read_lock(folder / "dev.txt")[0])
    with tempfile.TemporaryDirectory(prefix="lock-") as name:
        tmp = Path(name)
        (tmp / "requirements").mkdir()
        texts = {}
        for lock, constraints in (("dev", None), ("grading", "dev")):
            print(f"Resolving requirements/{lock}.txt ...", flush=True)
            texts[lock] = compile_lock(uv, lock, tmp, constraints)
            (tmp / "requirements" / f"{lock}.txt").write_text(texts[lock], encoding="utf-8")
        staged = {lock: tmp / "requirements" / f"{lock}.txt" for lock in texts}
        problems = check(REPO / "pyproject.toml", staged)
        if problems:
            raise LockError("the new locks fail the check:\n  " + "\n  ".join(problems))
        new = version_map(read_lock(staged["dev"])[0])
        grading = set(read_lock(staged["grading"])[0])
        for lock, text in texts.items():
            path = folder / f"{lock}.txt"
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")  # else keep its time: no reinstall
    lines = changes(old, new, grading)
    print("\n".join(lines) if lines else "No version changed.")
    print(f"requirements/dev.txt: {len(new)} pins; requirements/grading.txt: {len(grading)}.")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("update", help="re-resolve and rewrite both locks (make lock)")
    checking = commands.add_parser("check", help="check the locks, offline (make lock-check)")
    checking.add_argument("--pyproject", type=Path, default=REPO / "pyproject.toml")
    for lock in LOCKS:
        default = REPO / "requirements" / f"{lock}.txt"
        checking.add_argument(f"--{lock}", type=Path, default=default, metavar="FILE")
    args = parser.parse_args(argv)
    try:
        if args.command == "update":
            update()
            return 0
        locks = {lock: getattr(args, lock) for lock in LOCKS}
        problems = check(args.pyproject, locks)
    except LockError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in the lock files.", file=sys.stderr)
        return 1
    names = ", ".join(
        str(p.relative_to(REPO)) if p.is_relative_to(REPO) else str(p) for p in locks.values()
    )
    print(f"The locks are consistent with pyproject.toml: {names}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
