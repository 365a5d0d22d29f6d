"""Ingest progress: a rich bar with rate and ETA in a terminal, plain lines otherwise."""

from __future__ import annotations

import io
import sys

import pytest
from rich.console import Console

from synsetdb.cli import ingest_cmds
from synsetdb.cli._output import clock
from synsetdb.ingest import IngestReport


def _report(total: int | None) -> IngestReport:
    """300 done, 100 of them by earlier runs, at 20/s: 700 of a total of 1,000 left, 35 s."""
    return IngestReport(
        "folder:/data", skipped=100, added=150, rejected=50, elapsed_s=10.0, total=total
    )


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "-"), (0.0, "0:00:00"), (59.6, "0:01:00"), (3725.4, "1:02:05"), (90_000, "25:00:00")],
)
def test_clock_is_h_mm_ss(seconds: float | None, shown: str) -> None:
    assert clock(seconds) == shown


def test_plain_lines_say_of_how_many_and_the_eta(capsys: pytest.CaptureFixture[str]) -> None:
    with ingest_cmds._progress("folder:/data") as update:  # stderr is not a terminal here
        update(_report(1000))
        update(_report(1000))  # within 10 s of the first: not printed
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["ingest: 200 processed (100 skipped) of 1000, 20/s, ETA 0:00:35"]


def test_plain_line_without_a_total(capsys: pytest.CaptureFixture[str]) -> None:
    with ingest_cmds._progress("folder:/data") as update:
        update(_report(None))
    assert capsys.readouterr().err == "ingest: 200 processed (100 skipped), 20/s\n"


@pytest.mark.parametrize(("total", "shown"), [(1000, "300 of 1000"), (None, "300 done")])
def test_terminal_bar_shows_count_rate_and_eta(
    monkeypatch: pytest.MonkeyPatch, total: int | None, shown: str
) -> None:
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=160, color_system=None)
    monkeypatch.setattr(ingest_cmds, "console", lambda: terminal)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    with ingest_cmds._progress("folder:/data") as update:
        update(_report(total))
    drawn = screen.getvalue()
    assert "ingest folder:/data" in drawn and shown in drawn and "20/s" in drawn
    assert ("ETA 0:00:35" if total else "ETA -") in drawn
