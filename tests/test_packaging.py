"""The project's own files: dependencies declared once, mirrored for conda."""

import ast
import re
import sys
from pathlib import Path

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
# PyPI name -> conda-forge name, where they differ.
CONDA_NAMES = {}


def parse_requirement(text):
    """'numpy>=1.24; python_version < "3.11"' -> ('numpy', '>=1.24')."""
    text = text.split(";")[0].split("#")[0].strip()
    match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", text)
    assert match, f"cannot parse requirement {text!r}"
    name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
    return name, match.group(2).replace(" ", "")


def pyproject_lists():
    """{'dependencies': {name: spec}, 'grading': {...}, 'dev': {...}}: each list of
    pyproject.toml as written, without its self-references such as cs231n_lib[grading],
    which stand for the extras they name (see self_references)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    lists = {"dependencies": project["dependencies"], **project.get("optional-dependencies", {})}
    own = project_name()
    return {
        key: {name: spec for name, spec in map(parse_requirement, specs) if name != own}
        for key, specs in lists.items()
    }


def project_name():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return parse_requirement(project["name"])[0]


def self_references():
    """{extra: {the extras it includes}}: 'cs231n_lib[grading]' in dev -> {'dev': {'grading'}}."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    found = {}
    for extra, specs in project.get("optional-dependencies", {}).items():
        for spec in specs:
            name, rest = parse_requirement(spec)
            if name == project_name():
                assert re.fullmatch(r"\[[\w,\s-]+\]", rest), (
                    f"{extra}: {spec!r} should name extras only"
                )
                found.setdefault(extra, set()).update(e.strip() for e in rest[1:-1].split(","))
    return found


def pyproject_requirements():
    """Every requirement of pyproject.toml, {name: spec}, self-references left out."""
    requirements = {}
    for reqs in pyproject_lists().values():
        requirements |= reqs
    return requirements


def conda_requirements():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = [d for d in env["dependencies"] if isinstance(d, dict)]
    return dict(parse_requirement(d) for d in conda), pip


def conda_blocks():
    """environment.yml's packages by block: the comment '# [project] dependencies' or
    '# [project.optional-dependencies] NAME' starts a block ('dependencies' or NAME)."""
    blocks, block = {}, None
    for line in (REPO / "environment.yml").read_text().splitlines():
        header = re.fullmatch(r"\s*# \[project(?:\.optional-dependencies)?\] (\S+).*", line)
        item = re.fullmatch(r"  - ([^:]+)", line)  # the conda packages, not pip's
        if header:
            block = header.group(1)
            assert block not in blocks, f"environment.yml has two blocks {block}"
            blocks[block] = {}
        elif item and block is not None:
            name, spec = parse_requirement(item.group(1))
            if name not in ("python", "pip"):
                blocks[block][name] = spec
    return blocks


def test_every_dependency_has_a_lower_bound():
    for name, spec in pyproject_requirements().items():
        assert spec.startswith(">="), f"{name} in pyproject.toml needs a lower bound (>=)"


def test_dev_includes_the_grading_extra():
    """dev = cs231n_lib[grading] + its own tools; a self-reference names extras that exist."""
    lists = pyproject_lists()
    assert self_references() == {"dev": {"grading"}}
    assert not set(lists["dev"]) & set(lists["grading"]), "dev repeats the grading extra"


def test_environment_yml_mirrors_pyproject():
    expected = {CONDA_NAMES.get(n, n): spec for n, spec in pyproject_requirements().items()}
    conda, pip = conda_requirements()
    python = conda.pop("python")
    conda.pop("pip")
    assert conda == expected, "environment.yml and pyproject.toml declare different packages"
    # In step: one block per list of pyproject.toml, in the same order, each with its packages.
    blocks = conda_blocks()
    lists = pyproject_lists()
    assert list(blocks) == list(lists), "environment.yml needs one block per pyproject.toml list"
    for key, requirements in lists.items():
        wanted = {CONDA_NAMES.get(n, n): spec for n, spec in requirements.items()}
        assert blocks[key] == wanted, f"environment.yml's block {key} differs from pyproject.toml"
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert python == requires
    assert pip == [{"pip": ["-e ."]}], "environment.yml should install the package with pip -e ."


def test_generated_and_local_folders_are_ignored():
    ignored = (REPO / ".gitignore").read_text().split()
    for folder in (".venv/", "/datasets/", "build/"):
        assert folder in ignored
    # Only the data folder at the root: the package cs231n_lib/datasets/ is source.
    assert "datasets/" not in ignored
    assert "datasets" not in ignored


# Import names of the runtime dependencies, where they differ from the package name.
IMPORT_NAMES = {"pillow": "PIL", "ipython": "IPython"}


def test_library_imports_only_its_runtime_dependencies():
    """Test-only packages (scikit-image, pytest) must not leak into the student's package."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    allowed = {IMPORT_NAMES.get(n, n) for n, _ in map(parse_requirement, project["dependencies"])}
    allowed |= set(sys.stdlib_module_names) | {"cs231n_lib"}
    for path in sorted((REPO / "cs231n_lib").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in allowed, f"{path.relative_to(REPO)} imports {name}"
