"""The labelling web app (FastAPI, server-rendered pages), behind the ``web`` extra.

``WebConfig`` needs nothing beyond synsetdb; ``create_app`` and ``serve``
import FastAPI, Jinja2 and uvicorn when called, and say how to install them
when they are missing::

    from synsetdb.catalog import Project
    from synsetdb.web import WebConfig, serve

    serve(Project.open("my-project"), host="127.0.0.1", port=8000)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ConfigError
from .config import WebConfig

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ..catalog import Project

__all__ = ["WebConfig", "create_app", "serve"]


def create_app(project: Project, config: WebConfig | None = None) -> FastAPI:
    """The app over ``project`` (see :func:`synsetdb.web.app.create_app`)."""
    _require_web_extra()
    from .app import create_app as build

    return build(project, config)


def serve(
    project: Project, host: str = "127.0.0.1", port: int = 8000, config: WebConfig | None = None
) -> None:
    """Serve the app with uvicorn until interrupted (see :func:`synsetdb.web.server.serve`)."""
    _require_web_extra()
    from .server import serve as run

    run(project, host, port, config)


def _require_web_extra() -> None:
    """Raise ``ConfigError`` (``E_WEB_EXTRA``) unless the web extra's packages are installed."""
    import importlib.util

    modules = {
        "fastapi": ("fastapi",),
        "jinja2": ("jinja2",),
        "uvicorn": ("uvicorn",),
        "python-multipart": ("python_multipart", "multipart"),  # the older releases' name
    }
    missing = [
        package
        for package, names in modules.items()
        if not any(importlib.util.find_spec(name) for name in names)
    ]
    if missing:
        raise ConfigError(
            f"the web app needs {', '.join(missing)}: pip install 'synsetdb[web]'",
            code="E_WEB_EXTRA",
        )
