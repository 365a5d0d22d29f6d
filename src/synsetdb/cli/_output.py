"""Printing results: JSON for scripts, rich tables and trees for people."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.console import Console

F = TypeVar("F", bound=Callable[..., Any])


def console() -> Console:
    """A console on stdout (rich drops colour and wraps sensibly when not a TTY)."""
    return Console(highlight=False)


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
