"""Votes in and task batches out (synsetdb.verify.votes_io), status and aggregation (report)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from synsetdb.catalog import Catalog, schema
from synsetdb.errors import VerifyError
from synsetdb.hierarchy import Taxonomy
from synsetdb.verify import ConsensusConfig
from synsetdb.verify.report import aggregate, candidate_confidences, verification_status
from synsetdb.verify.votes_io import export_tasks, import_votes, read_vote_file
from tests.fixtures.catalog_images import add_image_row

BIRD, FISH = "n01503061", "n02512053"


@pytest.fixture
def catalog(catalog_url: str, sample_taxonomy: Taxonomy) -> Iterator[Catalog]:
    """Ten bird candidates (0-4 good, 5-9 bad) and three fish candidates, ids 1..13."""
    catalog = Catalog.open(catalog_url, create=True)
    catalog.load_taxonomy(sample_taxonomy)
    for i in range(13):
        catalog.add_candidate(add_image_row(catalog, f"img-{i}"), BIRD if i < 10 else FISH)
    yield catalog
    catalog.close()


def _ids(catalog: Catalog, wnid: str) -> list[int]:
    c = schema.candidate
    with catalog.engine.connect() as conn:
        query = select(c.c.id).where(c.c.synset_id == catalog.synset_id(wnid)).order_by(c.c.id)
        return list(conn.execute(query).scalars())


def _vote_count(catalog: Catalog) -> int:
    with catalog.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(schema.vote)).scalar_one())


def _crowdkit_file(path: Path, birds: list[int], workers: int = 8) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["task", "worker", "label"])
        for w in range(workers):
            for n, candidate in enumerate(birds):
                good = n < 5
                honest = w != 0  # worker 0 always says yes
                writer.writerow([candidate, f"W{w}", "yes" if (good or not honest) else "no"])
    return path


def test_crowdkit_votes_are_imported_once_and_decide(catalog: Catalog, tmp_path: Path) -> None:
    birds = _ids(catalog, BIRD)
    path = _crowdkit_file(tmp_path / "votes.csv", birds)
    config = ConsensusConfig(seed_votes=5, seed_size=10, max_votes=10, accept=0.95, reject=0.05)
    report = import_votes(catalog, path, consensus=config)
    assert (report.votes, report.workers, report.candidates) == (80, 8, 10)
    with pytest.raises(VerifyError) as info:
        import_votes(catalog, path)
    assert info.value.code == "E_ALREADY_IMPORTED"
    assert _vote_count(catalog) == 80
    status = {p.wnid: p for p in verification_status(catalog)}
    assert status[BIRD].candidates["accepted"] == 5 and status[BIRD].candidates["rejected"] == 5
    assert status[BIRD].votes == 80 and status[BIRD].table is not None
    assert status[FISH].candidates["candidate"] == 3 and status[FISH].table is None
    listed = candidate_confidences(catalog, BIRD)
    assert [c["yes"] for c in listed] == [8] * 5 + [1] * 5
    assert all(c["confidence"] > 0.95 for c in listed[:5])


def test_bad_rows_are_listed_and_nothing_is_imported(catalog: Catalog, tmp_path: Path) -> None:
    birds = _ids(catalog, BIRD)
    path = tmp_path / "bad.csv"
    path.write_text(
        "task,worker,label\n"
        f"{birds[0]},W1,1\n"
        f"{birds[1]},W1,maybe\n"  # line 3: bad label
        "abc,W2,0\n"  # line 4: not an id
        f"{birds[2]},,1\n"  # line 5: no worker
        "999999,W3,1\n"  # line 6: unknown candidate (checked against the catalog)
    )
    with pytest.raises(VerifyError, match=r"line 3.*line 4.*line 5") as info:
        import_votes(catalog, path)
    assert info.value.code == "E_VOTES_FILE"
    path.write_text(f"task,worker,label\n{birds[0]},W1,1\n999999,W3,1\n")
    with pytest.raises(VerifyError, match="line 3: no candidate 999999"):
        import_votes(catalog, path)
    assert _vote_count(catalog) == 0
    with catalog.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.worker)).scalar_one() == 0
    path.write_text("id,who,answer\n1,W1,1\n")
    with pytest.raises(VerifyError, match="neither crowd-kit"):
        read_vote_file(path)
    path.write_bytes(b"task,worker,label\n\xff\xfe,1,1\n")
    with pytest.raises(VerifyError, match="not UTF-8"):
        read_vote_file(path)


def test_export_then_import_mturk_results(catalog: Catalog, tmp_path: Path) -> None:
    out = tmp_path / "batches.csv"
    assert export_tasks(catalog, out, batch_size=4, url_prefix="https://example.org/t/") == 4
    with out.open(newline="") as f:
        batches = list(csv.DictReader(f))
    assert [b["wnid"] for b in batches] == [BIRD, BIRD, BIRD, FISH]  # never mixes synsets
    assert batches[0]["words"].startswith("bird") and batches[0]["gloss"]
    first = batches[0]["candidate_ids"].split()
    assert len(first) == 4 and batches[0]["image_urls"].startswith("https://example.org/t/")
    results = tmp_path / "Batch_results.csv"
    with results.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                "AssignmentId",
                "WorkerId",
                "AssignmentStatus",
                "Input.candidate_ids",
                "Answer.selected",
            ]
        )
        writer.writerow(["A1", "AW1", "Approved", batches[0]["candidate_ids"], first[0]])
        writer.writerow(
            ["A2", "AW2", "Submitted", batches[0]["candidate_ids"], f"{first[0]}|{first[1]}"]
        )
        writer.writerow(["A3", "AW3", "Rejected", batches[0]["candidate_ids"], ""])
    report = import_votes(catalog, results)
    assert (report.votes, report.workers, report.skipped_assignments) == (8, 2, 1)
    rows, _ = read_vote_file(results)
    assert sum(r.answer for r in rows) == 3
    results.write_text(
        "WorkerId,Input.candidate_ids,Answer.selected\n"
        f"AW9,{batches[0]['candidate_ids']},{batches[3]['candidate_ids'].split()[0]}\n"
    )
    with pytest.raises(VerifyError, match="not in the batch"):
        import_votes(catalog, results)


def test_bad_names_and_unwritable_exports_are_refused(catalog: Catalog, tmp_path: Path) -> None:
    birds = _ids(catalog, BIRD)
    path = tmp_path / "votes.csv"
    path.write_text(f"task,worker,label\n{birds[0]},two words,1\n{birds[1]},{'w' * 200},0\n")
    with pytest.raises(VerifyError, match=r"line 2.*line 3") as info:
        import_votes(catalog, path)
    assert info.value.code == "E_VOTES_FILE" and _vote_count(catalog) == 0
    exports = tmp_path / "exports"
    exports.mkdir()
    with pytest.raises(VerifyError) as info:
        export_tasks(catalog, exports / "no-such-folder" / "batches.csv")
    assert info.value.code == "E_EXPORT"
    assert list(exports.iterdir()) == []  # no half-written file left


@pytest.mark.parametrize("method", ["majority", "consensus", "dawid-skene"])
def test_aggregate_decides_only_open_candidates(
    catalog: Catalog, tmp_path: Path, method: str
) -> None:
    birds = _ids(catalog, BIRD)
    import_votes(
        catalog,
        _crowdkit_file(tmp_path / "votes.csv", birds),
        consensus=ConsensusConfig(seed_size=50),
    )  # seed never complete: nothing decided
    report = aggregate(
        catalog,
        method,
        apply=True,  # type: ignore[arg-type]
        consensus=ConsensusConfig(seed_votes=5, seed_size=10, max_votes=10),
    )
    assert report.candidates == 10 and report.votes == 80
    assert report.decisions.get("accept") == 5
    assert report.applied.get("accepted") == 5 and report.applied.get("rejected") == 5
    again = aggregate(catalog, method, apply=True)  # type: ignore[arg-type]
    assert sum(again.applied.values()) == 0  # decided candidates are never changed again
    with pytest.raises(VerifyError):
        aggregate(catalog, "vote-counting")  # type: ignore[arg-type]
