"""The ``synsetdb`` command: thin handlers over the public API."""

from . import (  # noqa: F401  (importing registers the commands)
    audit_cmds,
    baseline_cmds,
    demo_cmds,
    eval_cmds,
    export_cmds,
    ingest_cmds,
    label_cmds,
    project_cmds,
    release_cmds,
    taxonomy_cmds,
    verify_cmds,
    versions_cmds,
    web_cmds,
)
from ._app import cli, main

__all__ = ["cli", "main"]
