"""Printing results: JSON for scripts, rich tables and trees for people.

In a terminal, output is styled at the terminal's width. Piped or redirected,
it is plain text ``$COLUMNS`` wide (80 when unset), whatever terminal stderr
is on. Tables are built so that they fit: ids and counts are never wrapped or
shortened, names and other words wrap (and fold, if a word is too long) instead.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.console import Console, RenderableType
from rich.table import Column, Table

F = TypeVar("F", bound=Callable[..., Any])

PLAIN_WIDTH = 80  # columns of piped output when $COLUMNS does not say


def console() -> Console:
    """A console on stdout: styled in a terminal, plain text when piped."""
    out = Console(highlight=False)
    if out.is_terminal:
        return out
    # Not a terminal: rich would take the width of a terminal on stderr, if any.
    return Console(highlight=False, width=plain_width())


def show(*renderables: RenderableType) -> None:
    """Print each renderable on lines of its own to stdout: as rich renders it in a
    terminal; piped, without the spaces that pad each line of a table to its full width."""
    out = console()
    if out.is_terminal:
        for renderable in renderables:
            out.print(renderable)
        return
    with out.capture() as captured:
        for renderable in renderables:
            out.print(renderable)
    for line in captured.get().splitlines():
        click.echo(line.rstrip())


def plain_width() -> int:
    """The width of piped output: ``$COLUMNS``, else 80 (stdout is no terminal to ask)."""
    return shutil.get_terminal_size((PLAIN_WIDTH, 24)).columns


def table(*columns: Column, header: bool = True) -> Table:
    """A borderless table of the given columns (see ``id_column``, ``text_column``)."""
    return Table(*columns, box=None, pad_edge=False, show_header=header, header_style="bold")


def id_column(header: str = "") -> Column:
    """A column of ids (wnids, image and candidate ids) or other words never cut."""
    return Column(header, no_wrap=True)


def count_column(header: str = "") -> Column:
    """A column of numbers, right-aligned and never cut."""
    return Column(header, justify="right", no_wrap=True)


def text_column(header: str = "") -> Column:
    """A column of names or prose: wraps at spaces (folds a too-long word) to fit."""
    return Column(header, overflow="fold")


def wrapped(text: str, indent: int = 0) -> str:
    """``text`` wrapped to the output's width, every line indented by ``indent`` spaces.

    A word longer than a line (a path, a URL) stays whole on a line of its own.
    """
    pad = " " * indent
    return textwrap.fill(
        text,
        width=max(console().width, indent + 20),
        initial_indent=pad,
        subsequent_indent=pad,
        break_long_words=False,
        break_on_hyphens=False,
    )


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def json_option(f: F) -> F:
    """The ``--json`` flag every listing and status command takes."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(f)


def clock(seconds: float | None) -> str:
    """A duration as ``h:mm:ss`` for progress lines (``-`` when unknown)."""
    if seconds is None:
        return "-"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
