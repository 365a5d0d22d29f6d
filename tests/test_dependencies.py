"""Every third-party package the code imports is declared in pyproject.toml."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements.extend(extra)
    return {_normalise(re.split(r"[\[<>=!~; ]", r, maxsplit=1)[0]) for r in requirements}


def _imported() -> dict[str, str]:
    """Top-level module imported -> one file importing it."""
    found: dict[str, str] = {}
    for path in (ROOT / "src" / "synsetdb").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != "synsetdb" and top not in sys.stdlib_module_names:
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


# Import names of optional packages that may not be installed where the tests
# run (packages_distributions() only knows installed ones), and their distributions.
_NOT_INSTALLED = {"cv2": ["opencv-python-headless"]}


def test_every_imported_package_is_a_declared_dependency() -> None:
    declared = _declared()
    distributions = _NOT_INSTALLED | packages_distributions()
    missing = {
        module: where
        for module, where in _imported().items()
        if not {_normalise(d) for d in distributions.get(module, [module])} & declared
    }
    assert missing == {}, f"imported but not in pyproject.toml: {missing}"
