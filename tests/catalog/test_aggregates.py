"""The maintained counts: right after every write, rebuilt by recount, drift found by check."""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, text, update

from synsetdb.catalog import Catalog, IngestEntry, make_engine, migrate, schema
from synsetdb.catalog.aggregates import subtree_totals
from synsetdb.catalog.browse import synset_counts
from synsetdb.catalog.recount import count_drift, counts_are_current
from synsetdb.hierarchy import Taxonomy
from synsetdb.verify.tasks import apply_decisions
from tests.fixtures.catalog_images import add_image_row

DOG, CAT, BIRD = "n02084071", "n02121620", "n01503061"
CARNIVORE, DOMESTIC_ANIMAL, ANIMAL = "n02075296", "n01317541", "n00015388"


def test_subtree_totals_count_an_image_labelled_twice_once_per_ancestor() -> None:
    # 1 -> 2 -> 4, 1 -> 3 -> 4 (a diamond: 4 has two parents), and 3 -> 5.
    ancestors = {4: [4, 2, 3, 1], 5: [5, 3, 1]}
    own = {(4, "x"): 2, (5, "x"): 1}
    # One of 4's images is also one of 5's: under 3 and 1 it counts once.
    totals = subtree_totals(own, [[(4, "x"), (5, "x")]], ancestors)
    assert totals == Counter({(4, "x"): 2, (2, "x"): 2, (3, "x"): 2, (1, "x"): 2, (5, "x"): 1})


def _label(catalog: Catalog) -> dict[str, str]:
    """a: dog; b: dog and cat, accepted; c: cat, rejected; d: bird and dog (rejected)."""
    images = {name: add_image_row(catalog, name) for name in "abcd"}
    catalog.add_candidate(images["a"], DOG)
    catalog.add_candidate(images["b"], DOG, status="accepted")
    catalog.add_candidate(images["b"], CAT, status="accepted")
    catalog.add_candidate(images["c"], CAT, status="rejected")
    catalog.add_candidate(images["d"], BIRD)
    catalog.add_candidate(images["d"], DOG, status="rejected")
    return images


def _drift(catalog: Catalog) -> list[str]:
    with catalog.engine.connect() as conn:
        return [d.message() for d in count_drift(conn)]


def test_counts_follow_candidates_through_a_dag(catalog: Catalog) -> None:
    _label(catalog)
    counts = synset_counts(catalog, [DOG, CARNIVORE, DOMESTIC_ANIMAL, ANIMAL])
    assert dict(counts[DOG].own) == {"candidate": 1, "accepted": 1, "rejected": 1, "live": 2}
    # Under carnivore: dog's a and b, cat's b again (once) and c.
    assert dict(counts[CARNIVORE].subtree) == {
        "candidate": 1,
        "accepted": 1,
        "rejected": 2,
        "live": 2,
    }
    assert counts[CARNIVORE].own == {}
    # Dog's second parent sees dog's images too.
    assert counts[DOMESTIC_ANIMAL].subtree["live"] == 2
    # Animal: a, b and d (a bird candidate) are live; c and d rejected somewhere.
    assert counts[ANIMAL].images == 3
    assert counts[ANIMAL].subtree["rejected"] == 2
    assert _drift(catalog) == []


def test_a_repeated_candidate_changes_no_count(catalog: Catalog) -> None:
    images = _label(catalog)
    before = synset_counts(catalog, [ANIMAL])[ANIMAL]
    catalog.add_candidate(images["a"], DOG)
    assert synset_counts(catalog, [ANIMAL])[ANIMAL] == before
    assert _drift(catalog) == []


def test_decisions_move_counts_and_are_dated(catalog: Catalog) -> None:
    images = _label(catalog)
    c = schema.candidate.c
    with catalog.engine.begin() as conn:
        a_dog, d_bird = (
            conn.execute(
                select(c.id).where(c.image_id == images[name], c.status == "candidate")
            ).scalar_one()
            for name in "ad"
        )
        changed = apply_decisions(conn, {a_dog: "accept", d_bird: "reject"})
    assert changed == {"accepted": 1, "rejected": 1}
    counts = synset_counts(catalog, [DOG, ANIMAL])
    assert counts[DOG].own["accepted"] == 2 and "candidate" not in counts[DOG].own
    assert counts[ANIMAL].images == 2  # d is now rejected for both its synsets
    assert counts[ANIMAL].subtree["rejected"] == 2
    with catalog.engine.connect() as conn:
        days = {(row.day, row.kind): row.n for row in conn.execute(select(schema.activity))}
    today = datetime.now(UTC).date()
    # b was stored accepted, c and d's dog rejected: decisions too, on the day they were made
    assert days[(today, "accepted")] == 3 and days[(today, "rejected")] == 3
    assert days[(today, "images")] == 4
    assert _drift(catalog) == []


def test_an_ingest_batch_counts_its_images_and_labels(catalog: Catalog) -> None:
    from synsetdb.catalog import ImageRecord

    dog_id = catalog.synset_id(DOG)
    records = [
        ImageRecord(
            id=f"{i:064x}",
            width=10,
            height=10,
            format="PNG" if i % 2 else "JPEG",
            byte_size=1,
            blob_key=f"{i:064x}",
            source="flickr" if i < 3 else None,
            licence="CC-BY-4.0",
        )
        for i in range(1, 5)
    ]
    entries = [
        IngestEntry("src", f"k{i}", image=r, synset_id=dog_id) for i, r in enumerate(records)
    ]
    entries.append(IngestEntry("src", "bad", code="E_DECODE"))
    entries.append(IngestEntry("src", "again", image=records[0], synset_id=catalog.synset_id(CAT)))
    catalog.record_ingest(entries)
    catalog.record_ingest(entries)  # replayed: nothing new
    counts = synset_counts(catalog, [DOG, CAT, CARNIVORE])
    assert counts[DOG].own["live"] == 4 and counts[CAT].own["live"] == 1
    assert counts[CARNIVORE].images == 4
    with catalog.engine.connect() as conn:
        tally = {(r.facet, r.value): r.images for r in conn.execute(select(schema.image_tally))}
    assert tally == {
        ("source", "flickr"): 2,
        ("source", ""): 2,
        ("licence", "CC-BY-4.0"): 4,
        ("format", "PNG"): 2,
        ("format", "JPEG"): 2,
    }
    assert _drift(catalog) == []


def test_recount_rebuilds_what_was_lost_and_check_finds_drift(catalog: Catalog) -> None:
    _label(catalog)
    with catalog.engine.begin() as conn:
        conn.execute(update(schema.synset_count).values(subtree=schema.synset_count.c.subtree + 1))
        conn.execute(schema.image_tally.delete())
    drift = _drift(catalog)
    assert any(d.startswith("synset_count[") for d in drift)
    assert any(d.startswith("image_tally[source, ]") for d in drift)
    report = catalog.recount()
    assert report.shared_images == 2  # b and d
    assert _drift(catalog) == []


def test_a_taxonomy_change_recounts_the_moved_subtrees(catalog: Catalog, wordnet: Taxonomy) -> None:
    _label(catalog)
    # Without cat, carnivore holds dog's images only.
    smaller = wordnet.restrict(["n02084071", "n01503061"])
    catalog.load_taxonomy(smaller)
    counts = synset_counts(catalog, [CARNIVORE])
    assert counts[CARNIVORE].subtree["rejected"] == 1  # d's dog; c is a cat, now detached
    assert _drift(catalog) == []


def test_an_older_catalog_is_counted_when_it_is_upgraded(catalog_url: str) -> None:
    engine = make_engine(catalog_url)
    migrate.upgrade(engine, "0005")
    now = "CURRENT_TIMESTAMP"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO synset (id, wnid, name, lemmas, gloss, is_custom) "
                "VALUES (1, 'n02084071', 'dog', 'dog', '', false)"
            )
        )
        conn.execute(text("INSERT INTO synset_closure VALUES (1, 1)"))
        conn.execute(
            text(
                "INSERT INTO image (id, width, height, format, byte_size, blob_key, created_at) "
                f"VALUES ('ab', 4, 3, 'PNG', 10, 'ab', {now})"
            )
        )
        conn.execute(
            text(
                "INSERT INTO candidate (image_id, synset_id, status, created_at, updated_at) "
                f"VALUES ('ab', 1, 'accepted', {now}, {now})"
            )
        )
    engine.dispose()
    catalog = Catalog.open(catalog_url, create=True)
    try:
        with catalog.engine.connect() as conn:
            assert counts_are_current(conn)
        assert dict(synset_counts(catalog, [DOG])[DOG].own) == {"accepted": 1, "live": 1}
        assert _drift(catalog) == []
    finally:
        catalog.close()


def test_day_of_reads_naive_times_as_utc() -> None:
    from synsetdb.catalog.aggregates import day_of

    assert day_of(datetime(2026, 1, 2, 23, 30)) == date(2026, 1, 2)


def _race(*jobs: Callable[[], object]) -> None:
    """Run the jobs in threads started together; re-raise the first error."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        barrier.wait()
        try:
            job()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


def test_concurrent_writers_keep_the_counts_right(catalog: Catalog) -> None:
    """Two writers of one image take turns (SQLite's write lock, PostgreSQL's row lock on the
    counts' generation): nothing is counted twice, and an ingest never deadlocks a decision."""
    images = [add_image_row(catalog, f"race {i}") for i in range(30)]

    def propose(wnid: str) -> Callable[[], None]:
        return lambda: [catalog.add_candidate(image, wnid) for image in images]  # type: ignore[func-returns-value]

    _race(propose(DOG), propose(DOG), propose(CAT))
    assert _drift(catalog) == []
    c = schema.candidate.c
    with catalog.engine.connect() as conn:
        dogs = list(
            conn.execute(select(c.id).where(c.synset_id == catalog.synset_id(DOG))).scalars()
        )

    def decide() -> None:
        with catalog.engine.begin() as conn:
            apply_decisions(conn, dict.fromkeys(dogs, "accept"))

    def ingest() -> None:
        bird = catalog.synset_id(BIRD)
        for n in range(5):
            entries = [
                IngestEntry("race", f"{n}-{i}", image=_record(f"new {n} {i}"), synset_id=bird)
                for i in range(10)
            ]
            entries.append(
                IngestEntry("race", f"{n}-again", image=_record("race 0"), synset_id=bird)
            )
            catalog.record_ingest(entries)

    _race(decide, decide, ingest)
    assert _drift(catalog) == []
    assert synset_counts(catalog, [DOG])[DOG].own["accepted"] == 30


def _record(name: str) -> Any:
    from synsetdb.catalog import ImageRecord

    sha = hashlib.sha256(name.encode()).hexdigest()
    return ImageRecord(id=sha, width=5, height=5, format="PNG", byte_size=1, blob_key=sha)
