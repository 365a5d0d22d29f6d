"""Accounts, labelling tasks, submissions and decisions over real catalogs (SQLite, PostgreSQL)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, func, select
from sqlalchemy.exc import IntegrityError

from synsetdb.catalog import Catalog, schema
from synsetdb.errors import VerifyError
from synsetdb.hierarchy import Taxonomy
from synsetdb.verify import ConsensusConfig, accounts, tasks
from synsetdb.verify.accounts import (
    add_worker,
    authenticate,
    ensure_worker,
    list_workers,
    set_active,
    verify_password,
)
from synsetdb.verify.tasks import TaskConfig, expire_tasks, next_task, submit
from tests.fixtures.catalog_images import add_image_row

BIRD, MAMMAL = "n01503061", "n01861778"  # siblings under vertebrate in the sample taxonomy
CONFIG = TaskConfig(
    batch_size=8,
    positive_controls=1,
    negative_controls=1,
    consensus=ConsensusConfig(seed_votes=3, seed_size=4, max_votes=8, accept=0.98, reject=0.02),
)


@pytest.fixture
def catalog(catalog_url: str, sample_taxonomy: Taxonomy) -> Iterator[Catalog]:
    """Bird: 20 candidates (every fourth truly a bird); accepted birds and mammals as controls."""
    catalog = Catalog.open(catalog_url, create=True)
    catalog.load_taxonomy(sample_taxonomy)
    for i in range(20):
        catalog.add_candidate(
            add_image_row(catalog, f"cand-{i}"), BIRD, provenance={"good": i % 4 == 0}
        )
    for i in range(3):
        catalog.add_candidate(add_image_row(catalog, f"bird-{i}"), BIRD, status="accepted")
        catalog.add_candidate(add_image_row(catalog, f"mammal-{i}"), MAMMAL, status="accepted")
    yield catalog
    catalog.close()


def _truth(catalog: Catalog) -> dict[int, bool]:
    c = schema.candidate
    with catalog.engine.connect() as conn:
        rows = conn.execute(select(c.c.id, c.c.provenance, c.c.synset_id, c.c.status)).all()
    bird = catalog.synset_id(BIRD)
    return {r.id: bool(r.provenance["good"]) if r.provenance else r.synset_id == bird for r in rows}


def _votes(catalog: Catalog) -> list[tuple[int, int, int, bool]]:
    v = schema.vote
    with catalog.engine.connect() as conn:
        query = select(v.c.candidate_id, v.c.worker_id, v.c.answer, v.c.is_control)
        return [tuple(r) for r in conn.execute(query).all()]


def test_accounts(catalog: Catalog) -> None:
    ann = add_worker(catalog, "ann", "correct horse battery", role="admin")
    assert ann.is_admin and ann.can_sign_in
    assert authenticate(catalog, "ann", "correct horse battery") == ann
    assert authenticate(catalog, "ann", "wrong password") is None
    assert authenticate(catalog, "nobody", "correct horse battery") is None
    for name, password, code in [
        ("ann", "another password", "E_WORKER_EXISTS"),
        ("bob", "short", "E_CONFIG"),
        ("two words", "long enough password", "E_CONFIG"),
    ]:
        with pytest.raises(VerifyError) as info:
            add_worker(catalog, name, password)
        assert info.value.code == code
    imported = ensure_worker(catalog, "A2MTURKWORKER")
    assert not imported.can_sign_in and ensure_worker(catalog, "A2MTURKWORKER") == imported
    assert authenticate(catalog, "A2MTURKWORKER", "") is None
    assert [w.name for w in list_workers(catalog)] == ["A2MTURKWORKER", "ann"]
    with catalog.engine.connect() as conn:
        stored = conn.execute(select(schema.worker.c.password_hash)).scalars().all()
    assert all(h is None or (h.startswith("scrypt$") and "battery" not in h) for h in stored)
    assert not verify_password("x", "scrypt$garbage")


def test_every_sign_in_costs_one_scrypt_run(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unknown, disabled and passwordless names take as long as a wrong password."""
    add_worker(catalog, "ann", "correct horse battery")
    add_worker(catalog, "cy", "correct horse battery")
    set_active(catalog, "cy", False)
    ensure_worker(catalog, "A2MTURKWORKER")
    runs: list[int] = []
    scrypt = hashlib.scrypt

    def counted(*args: Any, **kwargs: Any) -> bytes:
        runs.append(1)
        return scrypt(*args, **kwargs)

    monkeypatch.setattr(accounts.hashlib, "scrypt", counted)
    for name in ("ann", "nobody", "cy", "A2MTURKWORKER"):
        runs.clear()
        assert authenticate(catalog, name, "correct horse battery") is None or name == "ann"
        assert len(runs) == 1, name
    assert authenticate(catalog, "cy", "correct horse battery") is None  # disabled stays out


def test_a_batch_has_candidates_and_hidden_controls(catalog: Catalog) -> None:
    worker = add_worker(catalog, "ann", "password-1")
    task = next_task(catalog, worker.id, CONFIG)
    assert task is not None and task.wnid == BIRD
    assert task.lemmas[0] == "bird" and task.gloss and task.ancestors[0] == "entity"
    assert len(task.items) == 8
    truth = _truth(catalog)
    ids = [item.candidate_id for item in task.items]
    assert len(set(ids)) == 8
    bird_controls = [i for i in ids if i not in _open(catalog) and truth[i]]
    mammal_controls = [i for i in ids if i not in _open(catalog) and not truth[i]]
    assert len(bird_controls) == 1 and len(mammal_controls) == 1
    assert next_task(catalog, worker.id, CONFIG) == task  # resumed, not a second task


def _open(catalog: Catalog) -> set[int]:
    c = schema.candidate
    with catalog.engine.connect() as conn:
        return set(conn.execute(select(c.c.id).where(c.c.status == "candidate")).scalars())


def test_submission_records_one_vote_per_item_once(catalog: Catalog) -> None:
    ann, bob = add_worker(catalog, "ann", "password-1"), add_worker(catalog, "bob", "password-2")
    task = next_task(catalog, ann.id, CONFIG)
    assert task is not None
    chosen = {task.items[0].candidate_id, task.items[3].candidate_id}
    with pytest.raises(VerifyError) as info:
        submit(catalog, task.id, bob.id, chosen, CONFIG)
    assert info.value.code == "E_NO_TASK"
    with pytest.raises(VerifyError) as info:
        submit(catalog, task.id, ann.id, chosen | {999_999}, CONFIG)
    assert info.value.code == "E_BAD_SUBMISSION"
    assert _votes(catalog) == []  # a refused submission stores nothing
    first = submit(catalog, task.id, ann.id, chosen, CONFIG)
    again = submit(catalog, task.id, ann.id, chosen, CONFIG)  # a retried POST
    assert (first.votes, first.repeated) == (8, False)
    assert (again.votes, again.repeated) == (0, True)
    votes = _votes(catalog)
    assert len(votes) == 8
    assert {c for c, _, answer, _ in votes if answer == 1} == chosen
    assert sum(is_control for *_, is_control in votes) == 2


def _duplicate_task(catalog: Catalog, task_id: int) -> int:
    """A second open task with the same items (as racing app processes once could make)."""
    t, ti = schema.task, schema.task_item
    with catalog.engine.begin() as conn:
        row = conn.execute(select(t).where(t.c.id == task_id)).mappings().one()
        copy = {k: v for k, v in row.items() if k != "id"} | {"status": "open"}
        new_id = int(conn.execute(t.insert().values(**copy)).inserted_primary_key[0])
        items = conn.execute(select(ti).where(ti.c.task_id == task_id)).mappings().all()
        conn.execute(ti.insert(), [{**item, "task_id": new_id} for item in items])
    return new_id


def _open_tasks(catalog: Catalog, worker_id: int) -> list[int]:
    t = schema.task.c
    with catalog.engine.connect() as conn:
        query = select(t.id).where(t.worker_id == worker_id, t.status == "open")
        return list(conn.execute(query).scalars())


def test_a_worker_never_holds_two_open_tasks(catalog: Catalog) -> None:
    ann = add_worker(catalog, "ann", "password-1")
    task = next_task(catalog, ann.id, CONFIG)
    assert task is not None
    with pytest.raises(IntegrityError):  # the partial unique index, on SQLite and PostgreSQL
        _duplicate_task(catalog, task.id)
    assert _open_tasks(catalog, ann.id) == [task.id]


def test_a_batch_made_by_another_process_meanwhile_is_handed_out(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process creates the worker's batch between our look and our insert."""
    ann = add_worker(catalog, "ann", "password-1")
    first = next_task(catalog, ann.id, CONFIG)
    assert first is not None
    looks: list[int] = []
    real_look = tasks._open_task_id

    def stale_first_look(conn: Connection, worker_id: int) -> int | None:
        looks.append(worker_id)
        return None if len(looks) == 1 else real_look(conn, worker_id)

    monkeypatch.setattr(tasks, "_open_task_id", stale_first_look)
    again = next_task(catalog, ann.id, CONFIG)
    assert again is not None and again.id == first.id and len(looks) == 2
    assert _open_tasks(catalog, ann.id) == [first.id]


def test_overlapping_batches_never_count_a_worker_twice(catalog: Catalog) -> None:
    """The last line of defence: a batch overlapping a submitted one adds only its controls."""
    ann = add_worker(catalog, "ann", "password-1")
    task = next_task(catalog, ann.id, CONFIG)
    assert task is not None
    everything = {item.candidate_id for item in task.items}
    assert submit(catalog, task.id, ann.id, everything, CONFIG).votes == 8
    twin = _duplicate_task(catalog, task.id)
    assert submit(catalog, twin, ann.id, set(), CONFIG).votes == 2  # only its two controls
    votes = _votes(catalog)
    real = [(candidate, answer) for candidate, _, answer, is_control in votes if not is_control]
    assert len(real) == 6 and all(answer == 1 for _, answer in real)


def test_expired_tasks_return_their_candidates(catalog: Catalog) -> None:
    ann = add_worker(catalog, "ann", "password-1")
    start = datetime.now(UTC)
    task = next_task(catalog, ann.id, CONFIG, now=start)
    assert task is not None
    later = start + CONFIG.ttl + timedelta(seconds=1)
    with pytest.raises(VerifyError) as info:
        submit(catalog, task.id, ann.id, set(), CONFIG, now=later)
    assert info.value.code == "E_TASK_EXPIRED"
    assert expire_tasks(catalog, later) == 1
    fresh = next_task(catalog, ann.id, CONFIG, now=later)
    assert fresh is not None and fresh.id != task.id
    assert _votes(catalog) == []


def test_a_crowd_verifies_the_synset_end_to_end(catalog: Catalog) -> None:
    """Honest workers label until nothing is left; nobody sees a candidate twice."""
    truth = _truth(catalog)
    workers = [add_worker(catalog, f"w{i}", f"password-{i}") for i in range(12)]
    seen: dict[int, list[int]] = {w.id: [] for w in workers}
    for _ in range(200):
        progressed = False
        for worker in workers:
            task = next_task(catalog, worker.id, CONFIG)
            if task is None:
                continue
            ids = [item.candidate_id for item in task.items]
            seen[worker.id] += ids
            submit(catalog, task.id, worker.id, {i for i in ids if truth[i]}, CONFIG)
            progressed = True
        if not progressed:
            break
    for ids in seen.values():
        assert len(ids) == len(set(ids))  # never the same image twice
    c = schema.candidate
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(c.c.id, c.c.status).where(c.c.synset_id == catalog.synset_id(BIRD))
        ).all()
        open_left = conn.execute(select(func.count()).where(c.c.status == "candidate")).scalar_one()
    assert open_left == 0
    decided = {r.id: r.status for r in rows if r.id in _candidates_only(truth, catalog)}
    assert all(decided[i] == ("accepted" if truth[i] else "rejected") for i in decided)


def _candidates_only(truth: dict[int, bool], catalog: Catalog) -> set[int]:
    """The 20 candidates to verify (the controls carry no provenance)."""
    c = schema.candidate
    with catalog.engine.connect() as conn:
        rows = conn.execute(select(c.c.id, c.c.provenance)).all()
    return {r.id for r in rows if r.provenance}


def test_an_image_in_two_synsets_reaches_a_worker_once(catalog: Catalog) -> None:
    """A bird candidate whose picture is also an accepted mammal never comes back as a control."""
    c = schema.candidate
    with catalog.engine.begin() as conn:
        mammals = conn.execute(
            select(c.c.id, c.c.image_id).where(c.c.synset_id == catalog.synset_id(MAMMAL))
        ).all()
    for _, image_id in mammals:  # every mammal control's picture is also a bird candidate
        catalog.add_candidate(image_id, BIRD, provenance={"good": False})
    worker = add_worker(catalog, "ann", "password-1")
    pictures: list[str] = []
    while (task := next_task(catalog, worker.id, CONFIG)) is not None:
        pictures += [item.image_id for item in task.items]
        submit(catalog, task.id, worker.id, set(), CONFIG)
    assert len(pictures) == len(set(pictures))
