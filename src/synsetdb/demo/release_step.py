"""The demo's release: created on the first run, found unchanged on the next."""

from __future__ import annotations

from ..catalog import Project
from ..errors import DemoError
from ..release import (
    Release,
    ReleaseSpec,
    build_manifest,
    create_release,
    list_releases,
    load_release,
)

__all__ = ["demo_release"]


def demo_release(project: Project, spec: ReleaseSpec, name: str = "demo") -> tuple[Release, bool]:
    """The release ``name`` built from ``spec``, and whether this call created it.

    Releases never change. When one of that name exists, the spec is rebuilt
    on the catalog as it is now: the same manifest hash means the earlier run
    made exactly this release, which is reused.

    Raises:
        DemoError: ``E_DEMO_CHANGED`` when the catalog has changed since the
            release was made (the demo never alters or replaces a release).
    """
    if name not in {info.name for info in list_releases(project)}:
        return create_release(project, name, spec), True
    existing = load_release(project, name)
    rebuilt = build_manifest(project.catalog, project.taxonomy, spec, blobs=project.blobs).manifest
    if rebuilt.sha256 != existing.sha256:
        raise DemoError(
            f"release {name!r} exists but the catalog has changed since it was made "
            f"({existing.sha256[:12]}… then, {rebuilt.sha256[:12]}… now); "
            "run the demo in a new folder",
            code="E_DEMO_CHANGED",
        )
    return existing, False
