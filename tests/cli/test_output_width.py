"""Plain output fits 80 columns and never loses an id: names wrap, ids stay whole.

Every table- or tree-printing command of ``synset``, ``tree``, ``sets``,
``worker``, ``verify`` and ``dups`` runs on a small catalog piped (the console
is no terminal, 80 columns unless ``$COLUMNS`` says otherwise), through click's
runner and as a real process whose stdout is a pipe while its stderr is a wide
terminal (rich would otherwise take the terminal's width from stderr), and once
in an 80-column terminal.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from click.testing import CliRunner

from synsetdb.cli import cli
from synsetdb.hierarchy import named_sets
from tests.cli.small_catalog import (
    NAMES,
    PERSIAN,
    TABBY,
    TERRIER,
    TIGER_CAT,
    built_copy,
)

ALL = tuple(NAMES)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
CUT_ID = re.compile(r"\b[nc]\d{0,7}…")  # a wnid shortened with an ellipsis

# command, ids that must appear whole in its output
COMMANDS: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (("verify", "status"), ALL),
    (("verify", "status", "--synset", TIGER_CAT, "--candidates"), (TIGER_CAT,)),
    (("verify", "aggregate", "--method", "majority"), ()),
    (("worker", "list"), ()),
    (("sets",), tuple(named_sets())),
    (("synset", "show", TIGER_CAT), (TIGER_CAT, "n02121808", "n01317541", "n00001740")),
    (("synset", "show", TERRIER), (TERRIER, "n02087122")),
    (("synset", "show", "n02121808"), ("n02121808", TIGER_CAT, TABBY, PERSIAN)),
    (("synset", "search", "Staffordshire terrier"), (TERRIER,)),
    (("tree", "n02121808", "--depth", "1"), ("n02121808", TIGER_CAT, TABBY, PERSIAN)),
    (("dups",), (TIGER_CAT, TABBY, PERSIAN)),
    (("dups", "--within-synset"), (PERSIAN,)),
]


@pytest.fixture(scope="module")
def cats(tmp_path_factory: pytest.TempPathFactory, wordnet_project_template: Path) -> Path:
    """The small cat catalog, built once for this module (the commands only read it)."""
    return built_copy(wordnet_project_template, tmp_path_factory.mktemp("cats"))


def _invoke(project: Path, args: tuple[str, ...], env: dict[str, str | None]) -> str:
    result = CliRunner(env=env).invoke(
        cli, ["--project", str(project), *args], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def _assert_fits(out: str, ids: tuple[str, ...], width: int = 80) -> None:
    lines = out.splitlines()
    assert lines, "no output"
    too_long = [line for line in lines if len(line) > width]
    assert not too_long, f"lines over {width} columns:\n" + "\n".join(too_long)
    assert not CUT_ID.search(out), out
    words = set(out.split())
    missing = [i for i in ids if i not in words]
    assert not missing, f"{missing} not whole in:\n{out}"


@pytest.mark.parametrize(("args", "ids"), COMMANDS, ids=[" ".join(c) for c, _ in COMMANDS])
def test_piped_output_fits_80_columns_with_every_id_whole(
    cats: Path, args: tuple[str, ...], ids: tuple[str, ...]
) -> None:
    out = _invoke(cats, args, {"COLUMNS": None})  # no $COLUMNS: 80
    _assert_fits(out, ids)


def test_piped_output_follows_columns(cats: Path) -> None:
    out = _invoke(cats, ("verify", "status"), {"COLUMNS": "120"})
    assert "American Staffordshire terrier" in out  # room enough: the name on one line
    _assert_fits(out, ALL, width=120)


def test_the_sets_table_gives_each_set_one_line(cats: Path) -> None:
    out = _invoke(cats, ("sets",), {"COLUMNS": "80"})
    lines = out.splitlines()
    assert len(lines) == 1 + len(named_sets()), out  # a header, then one line a set
    assert "…" not in out


def test_verify_status_wraps_the_long_name_not_the_id(cats: Path) -> None:
    out = _invoke(cats, ("verify", "status"), {"COLUMNS": "80"})
    terrier = next(line for line in out.splitlines() if TERRIER in line)
    assert terrier.split()[:2] == [TERRIER, "American"]
    assert "Staffordshire" in out and "…" not in out


def _run_with_stderr_on_a_terminal(project: Path, args: tuple[str, ...], cols: int) -> str:
    """Run synsetdb with stdout a pipe and stderr a ``cols``-wide pseudo-terminal."""
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, cols, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    try:
        result = subprocess.run(
            [sys.executable, "-m", "synsetdb", "--project", str(project), *args],
            stdout=subprocess.PIPE,
            stderr=secondary,
            env=env,
            check=False,
            timeout=120,
        )
    finally:
        os.close(secondary)
        os.close(primary)
    assert result.returncode == 0
    return result.stdout.decode()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a Linux pseudo-terminal")
def test_a_pipe_is_plain_80_columns_whatever_the_terminal(cats: Path) -> None:
    out = _run_with_stderr_on_a_terminal(cats, ("verify", "status"), cols=200)
    assert "\x1b[" not in out  # plain: no colour or style codes
    assert "┃" not in out and "│" not in out  # no box drawing either
    _assert_fits(out, ALL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a Linux pseudo-terminal")
def test_an_80_column_terminal_gets_every_id_whole(cats: Path) -> None:
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 80, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "synsetdb", "--project", str(cats), "verify", "status"],
        stdout=secondary,
        stderr=secondary,
        env=env,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    assert proc.wait(timeout=120) == 0
    out = ANSI.sub("", b"".join(chunks).decode()).replace("\r\n", "\n")
    _assert_fits(out, ALL)
