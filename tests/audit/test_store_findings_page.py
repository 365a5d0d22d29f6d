"""``findings_page``: the explorer's page of findings, worst first across codes, both backends."""

from __future__ import annotations

import hashlib

from synsetdb.audit import Finding, review_finding
from synsetdb.audit.store import findings_page, save_findings
from synsetdb.catalog import Catalog, ImageRecord


def _image(catalog: Catalog, name: str, thumbnail: bool) -> str:
    sha = hashlib.sha256(name.encode()).hexdigest()
    catalog.add_image(
        ImageRecord(
            id=sha,
            width=64,
            height=48,
            format="JPEG",
            byte_size=100,
            blob_key=sha,
            thumbnail_key=sha if thumbnail else None,
        )
    )
    return sha


def test_a_page_is_worst_first_filtered_and_knows_its_thumbnails(catalog: Catalog) -> None:
    shown, bare = _image(catalog, "a", True), _image(catalog, "b", False)
    save_findings(
        catalog,
        "",
        [
            ("AAA001", "info", [Finding("AAA001", "x", "an info", score=100.0)], None),
            (
                "BBB001",
                "warning",
                [
                    Finding("BBB001", "low", "a low warning", image=shown, score=1.0),
                    Finding("BBB001", "high", "a high warning", image=bare, score=9.0),
                    Finding("BBB001", "none", "a warning without score"),
                ],
                None,
            ),
            (
                "CCC001",
                "error",
                [Finding("CCC001", "pair", "an error", image=bare, other_image=shown)],
                None,
            ),
        ],
    )
    save_findings(catalog, "r1", [("AAA001", "info", [Finding("AAA001", "y", "elsewhere")], None)])

    page = findings_page(catalog, "")
    assert [f.subject for f in page.findings] == ["pair", "high", "low", "none", "x"]
    assert page.total == 5 and page.thumbnails == frozenset({shown})

    second = findings_page(catalog, "", limit=2, offset=2)
    assert [f.subject for f in second.findings] == ["low", "none"] and second.total == 5
    assert [f.subject for f in findings_page(catalog, "", levels=["warning"]).findings] == [
        "high",
        "low",
        "none",
    ]
    assert findings_page(catalog, "", codes=["AAA001", "CCC001"]).total == 2
    assert findings_page(catalog, "", codes=[]).total == 0  # no code kept: nothing
    assert [f.subject for f in findings_page(catalog, "r1").findings] == ["y"]

    review_finding(catalog, Finding("BBB001", "high", "").fingerprint, "accepted", actor="ann")
    reviewed = findings_page(catalog, "", state="reviewed")
    assert [f.subject for f in reviewed.findings] == ["high"] and reviewed.findings[0].review
    assert findings_page(catalog, "", state="open").total == 4
