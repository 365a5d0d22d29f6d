"""``synsetdb serve``: the web app (explorer, labelling, admin) on one address."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ..errors import SynsetdbError
from ._app import cli
from ._context import AppContext

__all__ = ["run_server", "serve_options"]


def serve_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options ``serve`` and ``verify serve`` share."""
    options = [
        click.option("--host", default="127.0.0.1", show_default=True),
        click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535)),
        click.option(
            "--anonymous-browse/--no-anonymous-browse",
            default=None,
            help="Let visitors who are not signed in browse (read only). "
            "Default: [web] anonymous_browse in synsetdb.toml, else off.",
        ),
        click.option("--batch-size", default=48, show_default=True, help="Images per task."),
        click.option("--controls", default=3, show_default=True, help="Controls of each kind."),
        click.option(
            "--review",
            is_flag=True,
            help="Single-annotator review (a lab without a crowd): one answer decides each "
            "image, as the labeller's own decision; no hidden controls.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def run_server(
    app: AppContext,
    *,
    host: str,
    port: int,
    anonymous_browse: bool | None,
    batch_size: int,
    controls: int,
    review: bool,
) -> None:
    from ..verify.tasks import TaskConfig

    try:
        from ..web import WebConfig, serve
    except ImportError as exc:
        raise SynsetdbError(
            f"the web app needs its extra: pip install 'synsetdb[web]' ({exc.name} missing)",
            code="E_MISSING_EXTRA",
        ) from None
    project = app.project
    if anonymous_browse is None:
        anonymous_browse = project.settings.anonymous_browse
    if review:
        controls = 0  # nobody to check: a reviewer's answer is the decision
    task = TaskConfig(
        batch_size=batch_size,
        positive_controls=controls,
        negative_controls=controls,
        review=review,
    )
    config = WebConfig(task=task, anonymous_browse=anonymous_browse)
    who = "anyone may browse" if anonymous_browse else "sign in to browse"
    if review:
        who += "; review mode: each answer decides"
    click.echo(f"synsetdb: http://{_url_host(host)}:{port}/ ({who}; Ctrl-C stops)", err=True)
    serve(project, host=host, port=port, config=config)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


@cli.command("serve")
@serve_options
@click.pass_obj
def serve_command(app: AppContext, /, **options: Any) -> None:
    """Run the web app: the explorer, labelling and admin pages, and the JSON API (/api/docs)."""
    run_server(app, **options)
