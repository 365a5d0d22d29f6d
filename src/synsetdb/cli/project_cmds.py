"""``init``, ``stats`` and ``migrate``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.text import Text

from ..catalog import Project
from ..catalog.catalog import display_url
from ._app import cli
from ._context import AppContext
from ._output import console, emit_json, id_column, json_option, show, table, text_column


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--catalog-url", help="Catalog database URL (default: DIR/catalog.sqlite).")
@click.option("--blob-url", help="Blob store path or fsspec URL (default: DIR/blobs).")
@click.option("--taxonomy", help="'wordnet-3.0' (default) or a YAML/JSON taxonomy file.")
@json_option
def init(
    directory: Path,
    catalog_url: str | None,
    blob_url: str | None,
    taxonomy: str | None,
    as_json: bool,
) -> None:
    """Create a project in DIRECTORY (settings, catalog with the taxonomy, blob store)."""
    with console().status("creating the catalog and loading the taxonomy…"):
        project = Project.init(
            directory, catalog_url=catalog_url, blob_url=blob_url, taxonomy=taxonomy
        )
    stats = project.catalog.stats()
    project.close()
    if as_json:
        emit_json({"project": str(project.root), **stats.to_dict()})
        return
    click.echo(f"project {project.root}: {stats.synsets} synsets from {stats.taxonomy}")


@cli.command()
@json_option
@click.pass_obj
def stats(app: AppContext, as_json: bool) -> None:
    """Counts of synsets, images, candidates, votes and releases in the project."""
    project = app.project
    result = project.catalog.stats()
    if as_json:
        emit_json(
            {
                "project": str(project.root),
                "catalog": display_url(project.settings.resolved_catalog_url()),
                "blobs": display_url(project.settings.resolved_blob_url()),
                **result.to_dict(),
            }
        )
        return
    rows = table(id_column(), text_column(), header=False)
    rows.add_row("project", Text(str(project.root)))
    rows.add_row("taxonomy", Text(str(result.taxonomy)))
    rows.add_row("synsets", f"{result.synsets:,} ({result.synsets_with_images:,} with images)")
    rows.add_row("images", f"{result.images:,} ({result.image_bytes:,} bytes)")
    rows.add_row("candidates", ", ".join(f"{k} {v:,}" for k, v in result.candidates.items()))
    for label, value in (("votes", result.votes), ("workers", result.workers)):
        rows.add_row(label, f"{value:,}")
    rows.add_row("boxes", f"{result.boxes:,}")
    rows.add_row("releases", f"{result.releases:,}")
    rows.add_row("schema", str(result.schema_revision))
    show(rows)


@cli.command()
@json_option
@click.pass_obj
def migrate(app: AppContext, as_json: bool) -> None:
    """Upgrade the catalog schema and load the project's current taxonomy into it."""
    result = app.project.migrate()
    loaded = result.taxonomy
    if as_json:
        emit_json(
            {
                "project": str(app.project.root),
                "schema_revision_before": result.revision_before,
                "schema_revision": result.revision_after,
                "taxonomy": loaded.name,
                "taxonomy_unchanged": loaded.unchanged,
                "synsets_added": loaded.synsets_added,
                "synsets_updated": loaded.synsets_updated,
                "synsets_detached": loaded.synsets_detached,
                "synsets": loaded.synsets_total,
            }
        )
        return
    click.echo(f"catalog schema: {result.revision_before} -> {result.revision_after}")
    if loaded.unchanged:
        click.echo(f"taxonomy {loaded.name}: unchanged ({loaded.synsets_total:,} synsets)")
    else:
        click.echo(
            f"taxonomy {loaded.name}: {loaded.synsets_added:,} synsets added, "
            f"{loaded.synsets_updated:,} updated, {loaded.synsets_detached:,} no longer in it "
            f"({loaded.synsets_total:,} in the catalog)"
        )


@cli.command()
@json_option
@click.pass_obj
def recount(app: AppContext, as_json: bool) -> None:
    """Rebuild the counts the explorer shows (per synset, release, source, day) from the rows.

    Every write keeps them right; `synsetdb check` says when they drifted
    (a row changed by hand, a crash of an older synsetdb).
    """
    report = app.project.catalog.recount()
    if as_json:
        emit_json(report.to_dict())
        return
    click.echo(
        f"recounted: {report.synset_rows:,} synset counts, {report.release_rows:,} release "
        f"counts, {report.tally_rows:,} source/licence/format tallies, {report.activity_rows:,} "
        f"day counts ({report.shared_images:,} images hold more than one label)"
    )
