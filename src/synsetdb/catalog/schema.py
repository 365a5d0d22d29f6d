"""The catalog's tables (SQLAlchemy Core), as migrated by ``catalog/migrations``.

Changing a table here needs a new migration in ``migrations/versions``; a test
compares the migrated database with this metadata so the two cannot drift.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

__all__ = [
    "ACTIVITY_KINDS",
    "CANDIDATE_STATUSES",
    "COUNT_KEYS",
    "DECIDED_BY",
    "IMAGE_FACETS",
    "LIVE_STATUSES",
    "SPLITS",
    "SYNSET_FACETS",
    "activity",
    "box",
    "candidate",
    "decision",
    "dup_group",
    "dup_member",
    "image",
    "image_tally",
    "image_variant",
    "ingest_item",
    "metadata",
    "project_meta",
    "release",
    "release_count",
    "release_item",
    "rendition",
    "synset",
    "synset_closure",
    "synset_count",
    "synset_facet",
    "synset_parent",
    "task",
    "task_item",
    "vote",
    "worker",
]

CANDIDATE_STATUSES = ("candidate", "accepted", "rejected", "undecided")
# How a candidate was decided: its source was trusted at ingest ("source"), the
# crowd's votes reached consensus ("crowd"), or a person decided it ("person":
# `synsetdb label accept|reject`, or the single-annotator review mode).
DECIDED_BY = ("source", "crowd", "person")
INGEST_STATUSES = ("added", "duplicate", "rejected")
SPLITS = ("train", "val", "test")
# Statuses that count as "an image of this synset" in counts and listings.
LIVE_STATUSES = ("candidate", "accepted", "undecided")
# The keys of synset_count: each candidate status, and "live" (any status but
# rejected: what "images of this synset" means in counts and listings).
COUNT_KEYS = (*CANDIDATE_STATUSES, "live")
IMAGE_FACETS = ("source", "licence", "format")
SYNSET_FACETS = ("split", "source", "licence")
ACTIVITY_KINDS = ("images", "votes", "accepted", "rejected", "undecided")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

project_meta = Table(
    "project_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

synset = Table(
    "synset",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("wnid", String(32), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("lemmas", Text, nullable=False),  # tab-separated, WordNet's spelling
    Column("gloss", Text, nullable=False),
    Column("lexname", String(32)),
    Column("is_custom", Boolean, nullable=False),
)

synset_parent = Table(
    "synset_parent",
    metadata,
    Column("child_id", ForeignKey("synset.id", ondelete="CASCADE"), primary_key=True),
    Column("parent_id", ForeignKey("synset.id", ondelete="CASCADE"), primary_key=True),
    Column("is_instance", Boolean, nullable=False),
    Index(None, "parent_id"),
    sqlite_with_rowid=False,
)

# Every (ancestor, descendant) pair, including each synset with itself, so that
# "everything under X" is one indexed join.
synset_closure = Table(
    "synset_closure",
    metadata,
    Column("ancestor_id", ForeignKey("synset.id", ondelete="CASCADE"), primary_key=True),
    Column("descendant_id", ForeignKey("synset.id", ondelete="CASCADE"), primary_key=True),
    Index(None, "descendant_id", "ancestor_id"),
    sqlite_with_rowid=False,
)

image = Table(
    "image",
    metadata,
    Column("id", String(64), primary_key=True),  # sha256 of the original bytes, hex
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("format", String(16), nullable=False),
    Column("byte_size", BigInteger, nullable=False),
    Column("phash", BigInteger),  # 64-bit DCT perceptual hash, stored signed
    Column("blob_key", String(255), nullable=False),
    Column("thumbnail_key", String(255)),  # JPEG rendition for the explorer
    Column("source", Text),  # where it was first seen
    Column("licence", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("width > 0 AND height > 0", name="positive_size"),
    Index(None, "phash"),
    # The explorer's image grids filtered by source or licence, paged by id.
    Index(None, "source", "id"),
    Index(None, "licence", "id"),
)

# Derivatives of an image stored as blobs of their own, one per kind: the
# resized copies trainers read (``resized-256``). The explorer's thumbnail
# predates this table and stays in image.thumbnail_key.
rendition = Table(
    "rendition",
    metadata,
    Column("image_id", ForeignKey("image.id"), primary_key=True),
    Column("kind", Text, primary_key=True),
    Column("blob_key", Text, nullable=False),
    Column("width", Integer),
    Column("height", Integer),
)

candidate = Table(
    "candidate",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("image_id", ForeignKey("image.id"), nullable=False),
    Column("synset_id", ForeignKey("synset.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("source", Text),
    Column("query", Text),
    Column("language", String(16)),
    Column("provider", String(64)),
    Column("rank", Integer),
    Column("url", Text),
    Column("split", String(16)),  # official split, when the source had one
    Column("file_name", Text),  # the original file name (n01440764_10026.JPEG)
    Column("provenance", JSON),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # How a decided candidate got its status (DECIDED_BY); NULL while undecided.
    Column("decided_by", String(16)),
    UniqueConstraint("image_id", "synset_id"),
    CheckConstraint("status IN ('candidate', 'accepted', 'rejected', 'undecided')", name="status"),
    # A synset's candidates by status, image ids in the index: a grid page sorts
    # the ids of one class from the index alone, without reading its rows.
    Index(None, "synset_id", "status", "image_id"),
)

worker = Table(
    "worker",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text),
    Column("is_active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # May browse the explorer (admins always may); labelling needs no grant.
    Column("can_browse", Boolean, nullable=False, server_default=false()),
    CheckConstraint("role IN ('worker', 'admin')", name="role"),
)

task = Table(
    "task",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("synset_id", ForeignKey("synset.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("worker_id", ForeignKey("worker.id")),
    Column("payload", JSON),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    Column("submitted_at", DateTime(timezone=True)),
    Index(None, "status", "synset_id"),
    Index(None, "worker_id", "status"),
    # One open batch per worker, whatever number of app processes hand them out.
    Index(
        "ux_task_open_worker",
        "worker_id",
        unique=True,
        sqlite_where=text("status = 'open'"),
        postgresql_where=text("status = 'open'"),
    ),
)

# The images of a labelling task, in display order; controls are hidden from the worker.
task_item = Table(
    "task_item",
    metadata,
    Column("task_id", ForeignKey("task.id"), primary_key=True),
    Column("candidate_id", ForeignKey("candidate.id"), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("is_control", Boolean, nullable=False),
    Index(None, "candidate_id"),
)

# Append-only: votes are never updated or deleted; aggregates are recomputed.
vote = Table(
    "vote",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("candidate_id", ForeignKey("candidate.id"), nullable=False),
    Column("worker_id", ForeignKey("worker.id"), nullable=False),
    Column("task_id", ForeignKey("task.id")),
    Column("answer", SmallInteger, nullable=False),
    # A vote on a hidden control measures the worker, never the candidate.
    Column("is_control", Boolean, nullable=False, server_default=false()),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index(None, "candidate_id"),
    Index(None, "worker_id"),
)

# Append-only: every decision taken after ingest (a crowd's consensus, a person's
# bulk accept or reject, a trusted source), with who took it and why.
decision = Table(
    "decision",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("candidate_id", ForeignKey("candidate.id"), nullable=False),
    Column("status", String(16), nullable=False),  # the status the candidate got
    Column("decided_by", String(16), nullable=False),  # DECIDED_BY
    Column("actor", Text),  # a person's name, a source's, an aggregator's
    Column("reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index(None, "candidate_id"),
)

box = Table(
    "box",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("image_id", ForeignKey("image.id"), nullable=False),
    Column("synset_id", ForeignKey("synset.id"), nullable=False),
    Column("x0", Float, nullable=False),
    Column("y0", Float, nullable=False),
    Column("x1", Float, nullable=False),
    Column("y1", Float, nullable=False),
    Column("source", Text),
    CheckConstraint("x0 <= x1 AND y0 <= y1", name="ordered"),
    Index(None, "image_id"),
)

release = Table(
    "release",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("parent_id", ForeignKey("release.id")),
    Column("config", JSON, nullable=False),
    Column("manifest_sha256", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

release_item = Table(
    "release_item",
    metadata,
    Column("release_id", ForeignKey("release.id"), primary_key=True),
    Column("image_id", ForeignKey("image.id"), primary_key=True),
    Column("synset_id", ForeignKey("synset.id"), primary_key=True),
    Column("split", String(16), nullable=False),
    Index(None, "release_id", "split"),
    Index(None, "release_id", "synset_id"),  # one class of a release
    Index(None, "image_id"),  # the releases an image is in
)

# One row per input a source yielded: what became of it, and why. A re-run of
# the same source skips keys already here, which is what makes ingest resumable.
ingest_item = Table(
    "ingest_item",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(255), nullable=False),
    Column("key", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("code", String(32)),  # E_DECODE, E_HTTP_404, … for rejects
    Column("detail", Text),
    Column("image_id", ForeignKey("image.id")),
    Column("wnid", String(32)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("source", "key"),
    CheckConstraint("status IN ('added', 'duplicate', 'rejected')", name="status"),
    Index(None, "source", "status"),
    Index(None, "image_id"),
)


# ------------------------------------------------------------------------ maintained aggregates
# Kept right by every write (catalog/aggregates.py), rebuilt by `synsetdb recount`
# and checked by `synsetdb check`: the explorer's counts never scan images.

# Per synset and key (COUNT_KEYS): ``own`` candidates of the synset itself, and
# ``subtree`` distinct images with such a candidate anywhere under it (itself
# included). Rows with both counts zero are not kept.
synset_count = Table(
    "synset_count",
    metadata,
    Column("synset_id", ForeignKey("synset.id", ondelete="CASCADE"), primary_key=True),
    Column("status", String(16), primary_key=True),
    Column("own", BigInteger, nullable=False),
    Column("subtree", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

# A synset's own live candidates (any status but rejected) per value of a facet:
# ``split`` (the source's official split), ``source`` (the candidate's), ``licence``
# (its image's); '' stands for "not known". The synset page's counts by facet.
synset_facet = Table(
    "synset_facet",
    metadata,
    Column("synset_id", ForeignKey("synset.id", ondelete="CASCADE"), primary_key=True),
    Column("facet", String(16), primary_key=True),
    Column("value", Text, primary_key=True),
    Column("n", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

# The same for a release, per split ("all" for every split together); written
# once when the release is stored (releases are immutable).
release_count = Table(
    "release_count",
    metadata,
    Column("release_id", ForeignKey("release.id", ondelete="CASCADE"), primary_key=True),
    Column("synset_id", ForeignKey("synset.id", ondelete="CASCADE"), primary_key=True),
    Column("split", String(16), primary_key=True),
    Column("own", BigInteger, nullable=False),
    Column("subtree", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

# Images per value of a facet (IMAGE_FACETS); '' stands for "not known".
image_tally = Table(
    "image_tally",
    metadata,
    Column("facet", String(16), primary_key=True),
    Column("value", Text, primary_key=True),
    Column("images", BigInteger, nullable=False),
)

# What happened per UTC day (ACTIVITY_KINDS): images added, votes cast,
# candidates decided accepted/rejected/undecided.
activity = Table(
    "activity",
    metadata,
    Column("day", Date, primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("n", BigInteger, nullable=False),
)

# Near-duplicate groups of the whole catalog as the last `synsetdb dups --store`
# found them (its radius and time in project_meta); singletons are not kept.
dup_group = Table(
    "dup_group",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("size", Integer, nullable=False),
    Column("max_distance", SmallInteger, nullable=False),
    Index(None, "size"),
)

dup_member = Table(
    "dup_member",
    metadata,
    Column("image_id", ForeignKey("image.id"), primary_key=True),
    Column("group_id", ForeignKey("dup_group.id", ondelete="CASCADE"), nullable=False),
    Index(None, "group_id"),
)

# An image's variant hashes (synsetdb.imaging.variants): the pHashes of its mirror,
# trimmed, centred and straightened views, packed as big-endian signed 64-bit
# integers; empty when its pixels could not be read. Derived data, computed when
# near-duplicate grouping first needs them; ``version`` is the views' version.
image_variant = Table(
    "image_variant",
    metadata,
    Column("image_id", ForeignKey("image.id", ondelete="CASCADE"), primary_key=True),
    Column("version", SmallInteger, nullable=False),
    Column("hashes", LargeBinary, nullable=False),
)


# ------------------------------------------------------------------------ audits
# The findings of the last `synsetdb audit` per scope ('' for the whole catalog, else
# a release's name) and check: a run replaces the rows of the checks it ran.
audit_finding = Table(
    "audit_finding",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("scope", String(128), nullable=False),
    Column("code", String(16), nullable=False),
    Column("level", String(8), nullable=False),
    # sha256 of the code and the key of the thing found: stable across runs, so a
    # review of one thing applies to that thing only (synsetdb.audit.fingerprint).
    Column("fingerprint", String(64), nullable=False),
    Column("subject", Text, nullable=False),  # the key: a wnid, an image id, a pair, …
    Column("synset_id", ForeignKey("synset.id", ondelete="CASCADE")),
    Column("image_id", ForeignKey("image.id", ondelete="CASCADE")),
    Column("other_image_id", String(64)),  # the second image of a pair (a leak)
    Column("split", String(16)),
    Column("message", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("score", Float),  # rank within the code, higher is worse
    Column("found_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("scope", "code", "fingerprint"),
    Index(None, "scope", "code", "score"),
    Index(None, "synset_id"),
    Index(None, "image_id"),
    Index(None, "other_image_id"),
)

# When each check last ran per scope, and whether it ran or was skipped (and why).
audit_run = Table(
    "audit_run",
    metadata,
    Column("scope", String(128), primary_key=True),
    Column("code", String(16), primary_key=True),
    Column("ran_at", DateTime(timezone=True), nullable=False),
    Column("found", Integer, nullable=False),
    Column("skipped", Text),  # why it did not run; NULL when it ran
)

# A person's review of one finding, by fingerprint: ``accepted`` (a real problem,
# knowingly kept) or ``dismissed`` (not a problem, with a reason). Later runs show
# the finding as reviewed; a finding with another fingerprint is never covered.
audit_review = Table(
    "audit_review",
    metadata,
    Column("fingerprint", String(64), primary_key=True),
    Column("code", String(16), nullable=False),
    Column("subject", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text),
    Column("actor", Text, nullable=False),
    Column("reviewed_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("status IN ('accepted', 'dismissed')", name="status"),
)
