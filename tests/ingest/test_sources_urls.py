"""URL lists through the whole ingest: provenance, per-URL codes, resume without re-downloading."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from synsetdb.catalog import Project, schema
from synsetdb.errors import IngestError
from synsetdb.ingest import IngestConfig, ingest
from synsetdb.ingest.download import DownloadConfig
from synsetdb.ingest.sources.urls import UrlListSource
from tests.fixtures.http_server import serving
from tests.fixtures.photos import encode, photo

TENCH, GOLDFISH = "n01440764", "n01443537"
LOCAL = DownloadConfig(allow_private=True, retries=0)


def test_csv_url_list_ingests_with_provenance_and_codes(
    wordnet_project: Path, tmp_path: Path
) -> None:
    with serving() as server:
        for i, name in enumerate(("coffee", "chelsea", "rocket")):
            server.routes.files[f"/{i}.jpg"] = (
                encode(photo(name, (160, 120)), "JPEG"),
                "image/jpeg",
            )
        listing = tmp_path / "urls.csv"
        listing.write_text(
            "url,wnid,caption\n"
            f"{server.url('/0.jpg')},{TENCH},a tench\n"
            f"{server.url('/1.jpg')},{GOLDFISH},\n"
            f"{server.url('/0.jpg')},{GOLDFISH},same picture, other synset\n"
            f"{server.url('/gone.jpg')},{TENCH},\n"
            f"{server.url('/2.jpg')},n99999999,\n"
        )
        project = Project.open(wordnet_project)
        source = UrlListSource(listing, LOCAL)
        report = ingest(project, source, IngestConfig(workers=0))
        assert (report.added, report.duplicate, report.rejected) == (2, 1, 2)
        assert dict(report.codes) == {"E_HTTP_404": 1, "E_LABEL": 1}
        assert server.routes.hits["/0.jpg"] == 1  # one URL for two synsets downloads once
        log = schema.ingest_item.c
        with project.catalog.engine.connect() as conn:
            codes = dict(conn.execute(select(log.key, log.code).where(log.code.is_not(None))).all())
            provenance = (
                conn.execute(
                    select(schema.candidate.c.provenance).where(
                        schema.candidate.c.file_name == "0.jpg"
                    )
                )
                .scalars()
                .all()
            )
        assert codes[server.url("/gone.jpg") + f"\t{TENCH}"] == "E_HTTP_404"
        assert {"caption": "a tench", "url": server.url("/0.jpg"), "line": 2}.items() <= provenance[
            0
        ].items()
        before = sum(server.routes.hits.values())
        again = ingest(project, UrlListSource(listing, LOCAL), IngestConfig(workers=0))
        assert again.skipped == 5 and again.processed == 0
        assert sum(server.routes.hits.values()) == before  # nothing downloaded twice
        project.close()


def test_text_url_list_and_missing_url_column(tmp_path: Path) -> None:
    listing = tmp_path / "urls.txt"
    listing.write_text("# comment\nhttp://a.example/x.jpg n01440764\n\nhttp://b.example/y.jpg\n")
    rows = list(UrlListSource(listing).rows())
    assert [(r.line, r.url, r.wnid) for r in rows] == [
        (2, "http://a.example/x.jpg", "n01440764"),
        (4, "http://b.example/y.jpg", None),
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("link,wnid\nhttp://a.example/x.jpg,n01440764\n")
    with pytest.raises(IngestError) as info:
        list(UrlListSource(bad).rows())
    assert info.value.code == "E_LAYOUT"


def test_parquet_url_list_rows(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    listing = tmp_path / "urls.parquet"
    table = pa.table(
        {
            "url": ["http://a.example/x.jpg", "http://b.example/y.jpg"],
            "wnid": [TENCH, None],
            "caption": ["a tench", None],
        }
    )
    pq.write_table(table, listing)
    rows = list(UrlListSource(listing).rows())
    assert [(r.line, r.url, r.wnid, r.extra) for r in rows] == [
        (1, "http://a.example/x.jpg", TENCH, {"caption": "a tench"}),
        (2, "http://b.example/y.jpg", None, {}),
    ]
    pq.write_table(pa.table({"link": ["http://a.example/x.jpg"]}), listing)
    with pytest.raises(IngestError) as info:
        list(UrlListSource(listing).rows())
    assert info.value.code == "E_LAYOUT"
