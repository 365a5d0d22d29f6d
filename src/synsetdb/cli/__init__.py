"""The ``synsetdb`` command: thin handlers over the public API."""

from . import export_cmds, ingest_cmds, project_cmds, taxonomy_cmds, verify_cmds  # noqa: F401  (importing registers the commands)
from ._app import cli, main

__all__ = ["cli", "main"]
