"""The command group, shared options, and the one place errors become exit codes."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import click

from .._version import __version__
from ..errors import SynsetdbError
from ..settings import env_log_level
from ._context import AppContext
from ._output import wrapped

log = logging.getLogger("synsetdb")


class _WrappingFormatter(logging.Formatter):
    """``WARNING synsetdb.x: message``, the message wrapped to the output's width (80 when
    piped) and indented under its first line: people read warnings, so they fit too."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        first, _, rest = text.partition("\n")  # a traceback (DEBUG) stays as it is
        lines = wrapped(first, indent=4).lstrip()
        return lines + ("\n" + rest if rest else "")


EXIT_ERROR = 1  # a SynsetdbError: bad input, missing thing, …
EXIT_INTERNAL = 70  # a bug: anything else (EX_SOFTWARE)
# The reader of our output went away (`synsetdb sets x | head`): stop quietly with
# 128 + SIGPIPE, what a shell reports for any command killed that way (`yes | head`).
EXIT_BROKEN_PIPE = 141


class _Group(click.Group):
    """Turns errors into one clear line on stderr and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SynsetdbError as exc:
            click.echo(f"error [{exc.code}]: {exc}", err=True)
            ctx.exit(EXIT_ERROR)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:
            _silence_stdout()
            ctx.exit(EXIT_BROKEN_PIPE)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:  # a bug; show one line, the traceback only at DEBUG
            log.debug("internal error", exc_info=True)
            click.echo(
                f"internal error [{type(exc).__name__}]: {exc} "
                "(set SYNSETDB_LOG_LEVEL=DEBUG for the traceback)",
                err=True,
            )
            ctx.exit(EXIT_INTERNAL)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (e.g. under CliRunner)
        pass


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="synsetdb")
@click.option(
    "--project",
    "project_dir",
    type=click.Path(file_okay=False),
    help="Project directory (default: $SYNSETDB_PROJECT, else the nearest one at or above "
    "the working directory).",
)
@click.pass_context
def cli(ctx: click.Context, project_dir: str | None) -> None:
    """synsetdb: ImageNet-style image databases organised by the WordNet noun hierarchy."""
    handler = logging.StreamHandler()
    handler.setFormatter(_WrappingFormatter())
    logging.basicConfig(level=env_log_level(), handlers=[handler])
    ctx.obj = AppContext(project_dir)
    ctx.call_on_close(ctx.obj.close)


def main() -> None:
    """Console-script entry point."""
    code: str | int | None = 0
    try:
        cli.main(prog_name="synsetdb", standalone_mode=True)
    except SystemExit as exc:  # standalone mode always ends this way
        code = exc.code
    try:
        sys.stdout.flush()  # output still buffered when the command returned
    except BrokenPipeError:
        _silence_stdout()
        code = EXIT_BROKEN_PIPE
    sys.exit(code)
