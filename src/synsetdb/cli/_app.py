"""The command group, shared options, and the one place errors become exit codes."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import click

from .._version import __version__
from ..errors import SynsetdbError
from ._context import AppContext

log = logging.getLogger("synsetdb")

EXIT_ERROR = 1  # a SynsetdbError: bad input, missing thing, …
EXIT_INTERNAL = 70  # a bug: anything else (EX_SOFTWARE)


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


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="synsetdb")
@click.option(
    "--project",
    "project_dir",
    type=click.Path(file_okay=False),
    envvar="SYNSETDB_PROJECT",
    help="Project directory (default: the nearest one at or above the working directory).",
)
@click.pass_context
def cli(ctx: click.Context, project_dir: str | None) -> None:
    """synsetdb: ImageNet-style image databases organised by the WordNet noun hierarchy."""
    level = os.environ.get("SYNSETDB_LOG_LEVEL", "WARNING").upper()
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = AppContext(project_dir)
    ctx.call_on_close(ctx.obj.close)


def main() -> None:
    """Console-script entry point."""
    sys.exit(cli.main(prog_name="synsetdb", standalone_mode=True))
