"""Which notebook tests a broken ``.py`` file costs, found by reading imports (nothing is run).

Importing ``cs231n_lib.classifiers.softmax`` runs ``cs231n_lib/__init__.py``, then
``cs231n_lib/classifiers/__init__.py`` (which imports every classifier), then the
module itself and what it imports. A module fails to import when any of these does;
a notebook cell that imports a failing module fails, and so, in the notebooks of
this assignment, does every test after it (the names it defines are missing).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ._notebook_cells import cell_points, cell_source, is_test_cell, parse_code


@dataclass(frozen=True)
class Loss:
    """The autograded points a notebook loses: its tests from the cell importing ``chain[0]`` on.

    Attributes
    ----------
    notebook : str
        E.g. ``"knn.ipynb"``.
    chain : tuple of str
        The failing module the notebook imports first, the failing module that one
        imports, and so on to a broken one: ``("cs231n_lib.vis", "cs231n_lib.cross_validation")``.
    points : float
        The points of the test cells at or after that import.
    """

    notebook: str
    chain: tuple
    points: float

    def __str__(self):
        imports = ", which imports ".join(self.chain)
        return (
            f"{self.notebook} imports {imports}: its tests from there on get 0 "
            f"(up to {self.points:g} autograded points)"
        )


def module_name(path):
    """``"cs231n_lib/classifiers/__init__.py"`` -> ``"cs231n_lib.classifiers"``."""
    parts = path.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _with_parents(name):
    """``"a.b.c"`` -> ``["a", "a.b", "a.b.c"]``: what importing ``a.b.c`` runs."""
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def _imported(tree, module="", is_package=False):
    """The absolute names ``tree`` imports (for ``from m import x``: ``m`` and ``m.x``)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            package = module.split(".") if is_package else module.split(".")[:-1]
            if node.level > 1:
                package = package[: len(package) - node.level + 1]
            base = ".".join([*(package if node.level else []), *filter(None, [node.module])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def failing_modules(sources, broken):
    """The package's modules that cannot be imported.

    Parameters
    ----------
    sources : dict
        ``{relative path: source bytes}`` of every ``.py`` file of the package.
    broken : iterable of str
        The relative paths of the files that do not compile.

    Returns
    -------
    dict
        ``{module name: the failing module it imports}`` for every module that cannot be
        imported (None for the broken ones), e.g. ``{"cs231n_lib.vis.curves":
        "cs231n_lib.cross_validation", "cs231n_lib.cross_validation": None, ...}``.
    """
    failing = dict.fromkeys(module_name(path) for path in broken)
    graph = {}
    for path, data in sources.items():
        name = module_name(path)
        if name not in failing:
            tree = ast.parse(data)
            graph[name] = _imported(tree, name, path.endswith("__init__.py"))
    changed = True
    while changed:
        changed = False
        for name, imports in graph.items():
            if name in failing:
                continue
            runs = _with_parents(name)[:-1]
            runs += sorted(part for imported in imports for part in _with_parents(imported))
            cause = next((part for part in runs if part in failing), None)
            if cause is not None:
                failing[name] = cause
                changed = True
    return failing


def _chain(module, failing):
    """``module``, the failing module it imports, ... down to a broken one."""
    chain = [module]
    while failing[chain[-1]] is not None and len(chain) <= len(failing):
        chain.append(failing[chain[-1]])
    return tuple(chain)


def _cell_imports(source):
    """The names a code cell imports."""
    tree = parse_code(source)
    return set() if tree is None else _imported(tree)


def notebook_losses(notebook, cells, failing):
    """The :class:`Loss` of one notebook, given its ``cells`` and :func:`failing_modules`.

    Returns None when the notebook imports no failing module.
    """
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        hit = sorted(
            part
            for name in _cell_imports(cell_source(cell))
            for part in _with_parents(name)
            if part in failing
        )
        if hit:
            points = sum(cell_points(later) for later in cells[index:] if is_test_cell(later))
            return Loss(notebook, _chain(hit[0], failing), points)
    return None
