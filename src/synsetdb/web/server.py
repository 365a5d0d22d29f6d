"""Running the app: uvicorn on one address, with the Secure-cookie rule decided from it."""

from __future__ import annotations

import dataclasses

import uvicorn

from ..catalog import Project
from .app import create_app
from .config import WebConfig

__all__ = ["serve"]


def serve(
    project: Project, host: str = "127.0.0.1", port: int = 8000, config: WebConfig | None = None
) -> None:
    """Serve the labelling app on ``host:port`` until interrupted (blocking).

    With ``config.secure_cookies`` left None, cookies are Secure unless
    ``host`` is a loopback address: a server reachable from other machines
    should sit behind HTTPS (a reverse proxy), and its cookies must never
    travel in the clear.
    """
    config = config or WebConfig()
    config = dataclasses.replace(config, secure_cookies=config.secure_for(host))
    app = create_app(project, config)
    uvicorn.run(app, host=host, port=port, server_header=False, log_level="info")
