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


def pyproject_requirements():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs += extra
    return dict(parse_requirement(s) for s in specs)


def conda_requirements():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = [d for d in env["dependencies"] if isinstance(d, dict)]
    return dict(parse_requirement(d) for d in conda), pip


def test_every_dependency_has_a_lower_bound():
    for name, spec in pyproject_requirements().items():
        assert spec.startswith(">="), f"{name} in pyproject.toml needs a lower bound (>=)"


def test_environment_yml_mirrors_pyproject():
    expected = {CONDA_NAMES.get(n, n): spec for n, spec in pyproject_requirements().items()}
    conda, pip = conda_requirements()
    python = conda.pop("python")
    conda.pop("pip")
    assert conda == expected, "environment.yml and pyproject.toml declare different packages"
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
