"""Findings for the explorer's audit tests: a real LIC001 run, and stored findings of other kinds.

The explorer's project (tests/web/explorer_data.py) ingests folders without a
licence, so ``run_audit(select=("LIC",))`` finds LIC001 on the catalog and on
release ``r1``. Findings about a synset, an image, a pair of images and label
issues (LBL001, whose check may not be registered yet) are stored through
``save_findings`` with the shapes those checks give.
"""

from __future__ import annotations

from dataclasses import dataclass

from synsetdb.audit import AuditConfig, Finding, run_audit
from synsetdb.audit.store import save_findings
from synsetdb.catalog import Project
from tests.web.explorer_data import DOG, TIGER_CAT, Built

LABEL_ISSUES = 3  # LBL001 findings stored on the catalog


@dataclass(frozen=True)
class Seeded:
    """The fingerprints of the findings stored, for the tests' expectations."""

    licence: str  # LIC001 on the catalog (images with no source and no licence)
    synset: str  # a BAL001-shaped finding about dog
    pair: str  # a LEK001-shaped finding about the near-duplicate pair of r1
    labels: list[str]  # LBL001, worst first


def seed(project: Project, built: Built) -> Seeded:
    catalog_report = run_audit(project, AuditConfig(select=("LIC",)))
    run_audit(project, AuditConfig(release="r1", select=("LIC",)))
    (licence,) = next(r for r in catalog_report.results if r.check.code == "LIC001").findings
    synset = Finding(
        "BAL001",
        DOG,
        f"{DOG} dog: many more images than the median class",
        action="cap the class in the release",
        synset=DOG,
        evidence={"images": len(built.dogs), "median": 5},
        score=3.0,
    )
    train, val = built.group
    pair = Finding(
        "LEK001",
        f"r1:{'|'.join(sorted(built.group))}",
        "a train image and a val image are near-duplicates",
        action="drop one of them from the release",
        image=train,
        other_image=val,
        split="val",
        evidence={"distance": 5},
        score=5.0,
    )
    labels = [
        Finding(
            "LBL001",
            built.cats[i],
            f"image {built.cats[i][:12]} is labelled tiger cat, probably dog",
            action="relabel it or dismiss",
            synset=TIGER_CAT,
            image=built.cats[i],
            evidence={
                "given": TIGER_CAT,
                "suggested": DOG,
                "self_confidence": 0.1 * (i + 1),
                "margin": 0.5 - 0.1 * i,
            }
            | ({"given_name": "tiger cat", "suggested_name": "dog"} if i == 0 else {}),
            score=1.0 - 0.1 * i,
        )
        for i in range(LABEL_ISSUES)
    ]
    save_findings(
        project.catalog,
        "",
        [
            ("BAL001", "warning", [synset], None),
            ("LBL001", "warning", labels, None),
        ],
    )
    save_findings(project.catalog, "r1", [("LEK001", "error", [pair], None)])
    return Seeded(
        licence.fingerprint, synset.fingerprint, pair.fingerprint, [f.fingerprint for f in labels]
    )
