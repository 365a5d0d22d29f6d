"""The docs' terminal examples are what the commands print.

Every ``$ synsetdb …`` line in a fenced block of README.md or docs/*.md that is
followed by output is an example. Those of the commands below run on the small
cat catalog (``tests/cli/small_catalog.py``, the data the examples were made
from) at 80 columns, and their output must equal the documented lines, spaces
aside; a ``…`` in a documented line stands for text left out. The documented
examples must include each required command, so an example cannot disappear
unnoticed either.
"""

from __future__ import annotations

import ast
import importlib
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from synsetdb.cli import cli
from tests.cli.small_catalog import built_copy

ROOT = Path(__file__).resolve().parents[2]
DOCS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
# Commands whose examples run here (the first words after `synsetdb`).
CHECKED = (("synset",), ("sets",), ("tree",), ("verify", "status"), ("dups",))
REQUIRED = (("synset", "show"), ("sets",), ("verify", "status"), ("dups",))


@dataclass(frozen=True, slots=True)
class Example:
    doc: str
    line: int
    args: tuple[str, ...]
    output: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line} synsetdb {' '.join(self.args)}"


def _examples(path: Path) -> list[Example]:
    found: list[Example] = []
    block: list[tuple[int, str]] | None = None
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.lstrip().startswith("```"):
            if block is not None:
                found += _in_block(path.relative_to(ROOT).as_posix(), block)
            block = None if block is not None else []
        elif block is not None:
            block.append((number, line))
    return found


def _in_block(doc: str, lines: list[tuple[int, str]]) -> list[Example]:
    found: list[Example] = []
    current: tuple[int, tuple[str, ...]] | None = None
    output: list[str] = []

    def close() -> None:
        while output and not output[-1].strip():
            output.pop()
        if current is not None and output:  # a command without output is a synopsis
            found.append(Example(doc, current[0], current[1], tuple(output)))

    for number, line in lines:
        if line.startswith("$ "):
            close()
            output = []
            words = shlex.split(line[2:])
            current = (number, tuple(words[1:])) if words[:1] == ["synsetdb"] else None
        else:
            output.append(line)
    close()
    return found


EXAMPLES = [e for path in DOCS for e in _examples(path)]
RUN = [e for e in EXAMPLES if any(e.args[: len(c)] == c for c in CHECKED)]


def _normal(lines: list[str] | tuple[str, ...]) -> list[str]:
    return [" ".join(line.split()) for line in lines]


def _matches(real: list[str], documented: tuple[str, ...]) -> bool:
    if len(real) != len(documented):
        return False
    patterns = [
        re.compile(".*".join(re.escape(part) for part in line.split("…"))) for line in documented
    ]
    return all(p.fullmatch(line) for p, line in zip(patterns, real, strict=True))


@pytest.fixture(scope="module")
def cats(tmp_path_factory: pytest.TempPathFactory, wordnet_project_template: Path) -> Path:
    """The small cat catalog, built once for this module (the commands only read it)."""
    return built_copy(wordnet_project_template, tmp_path_factory.mktemp("cats"))


def test_the_docs_show_each_commands_output() -> None:
    shown = {c for c in REQUIRED for e in RUN if e.args[: len(c)] == c}
    assert shown == set(REQUIRED), f"no documented output for {set(REQUIRED) - shown}"


@pytest.mark.parametrize("example", RUN, ids=[e.id for e in RUN])
def test_a_documented_output_is_the_real_one(
    example: Example, cats: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(cats)
    result = CliRunner(env={"COLUMNS": "80"}).invoke(cli, list(example.args))
    real = (result.stdout + result.stderr).rstrip("\n").splitlines()
    documented = tuple(_normal(example.output))
    assert _matches(_normal(real), documented), "\n".join(real)


# ------------------------------------------------------------------ the README on skipped tests


def _skipped_here() -> list[str]:
    """The tests this machine skips by a ``skipif`` decided at import (no extra, other OS)."""
    names: list[str] = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        if "skipif(" not in path.read_text():
            continue
        functions = [
            node.name
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
        ]
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for name in functions:
            marks = getattr(getattr(module, name), "pytestmark", [])
            if any(m.name == "skipif" and m.args and m.args[0] is True for m in marks):
                names.append(name)
    return names


def test_the_readme_names_every_test_that_skips_here() -> None:
    readme = " ".join((ROOT / "README.md").read_text().split())
    skipped = _skipped_here()
    missing = [name for name in skipped if name not in readme]
    assert not missing, f"README.md does not say these tests skip: {missing}"
    assert not re.search(r"no test (is )?skipped", readme)
