"""Workers and admins of the labelling app: accounts, password hashes, sign-in.

Passwords are hashed with scrypt (the standard library's ``hashlib.scrypt``;
no extra dependency) under a random salt, in a self-describing string
``scrypt$n$r$p$salt$hash`` so the cost can be raised later without breaking
stored hashes. Workers whose votes were imported (Mechanical Turk, crowd-kit
files) get an account without a password: they can never sign in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from ..catalog import Catalog, schema
from ..errors import VerifyError

__all__ = [
    "ROLES",
    "Worker",
    "add_worker",
    "authenticate",
    "ensure_worker",
    "get_worker",
    "hash_password",
    "is_valid_name",
    "list_workers",
    "set_active",
    "set_browse",
    "verify_password",
]

ROLES = ("worker", "admin")
MIN_PASSWORD = 8
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # ~16 MiB and ~50 ms per hash: slow for guessers
_MAX_NAME = 128


@dataclass(frozen=True, slots=True)
class Worker:
    """An account. ``can_sign_in`` is False for imported, passwordless workers.

    ``can_browse`` is the grant to browse the explorer; admins may browse
    whatever it says (:attr:`may_browse`). Labelling needs no grant.
    """

    id: int
    name: str
    role: str
    is_active: bool
    can_sign_in: bool
    can_browse: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def may_browse(self) -> bool:
        return self.is_admin or self.can_browse


def is_valid_name(name: str) -> bool:
    """Whether ``name`` can name an account: 1 to 128 characters, no whitespace."""
    return 0 < len(name) <= _MAX_NAME and not any(c.isspace() for c in name)


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password`` in ``scrypt$n$r$p$salt$hash`` form."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    parts = (str(_SCRYPT["n"]), str(_SCRYPT["r"]), str(_SCRYPT["p"]), _b64(salt), _b64(digest))
    return "scrypt$" + "$".join(parts)


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches a stored hash (constant-time; False for no hash)."""
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p)
        )
    except (ValueError, TypeError):  # a malformed stored hash never signs anyone in
        return False
    return hmac.compare_digest(actual, expected)


def add_worker(
    catalog: Catalog,
    name: str,
    password: str | None,
    role: str = "worker",
    *,
    can_browse: bool = False,
) -> Worker:
    """Create an account (``can_browse``: it may browse the explorer too).

    Raises:
        VerifyError: ``E_WORKER_EXISTS`` for a taken name; ``E_CONFIG`` for an
            empty or over-long name, an unknown role, or a password shorter than 8.
    """
    name = name.strip()
    if not is_valid_name(name):
        raise VerifyError(
            f"a worker name is 1-{_MAX_NAME} characters, no spaces: {name!r}", code="E_CONFIG"
        )
    if role not in ROLES:
        raise VerifyError(f"role must be one of {', '.join(ROLES)}, not {role!r}", code="E_CONFIG")
    if password is not None and len(password) < MIN_PASSWORD:
        raise VerifyError(f"a password needs at least {MIN_PASSWORD} characters", code="E_CONFIG")
    row = {
        "name": name,
        "role": role,
        "password_hash": hash_password(password) if password is not None else None,
        "is_active": True,
        "can_browse": can_browse,
        "created_at": datetime.now(UTC),
    }
    try:
        with catalog.engine.begin() as conn:
            statement = insert(schema.worker).values(row).returning(schema.worker.c.id)
            worker_id = conn.execute(statement).scalar_one()
    except IntegrityError:
        raise VerifyError(
            f"a worker named {name!r} exists already", code="E_WORKER_EXISTS"
        ) from None
    return Worker(int(worker_id), name, role, True, password is not None, can_browse)


def ensure_worker(catalog: Catalog, name: str) -> Worker:
    """The account called ``name``, created without a password if missing (imported votes)."""
    existing = _find(catalog, name)
    if existing is not None:
        return existing
    try:
        return add_worker(catalog, name, None)
    except VerifyError as error:
        if error.code != "E_WORKER_EXISTS":
            raise
        found = _find(catalog, name)  # a concurrent import made it first
        assert found is not None
        return found


def authenticate(catalog: Catalog, name: str, password: str) -> Worker | None:
    """The active account ``name`` if ``password`` is right, else None."""
    row = _row(catalog, schema.worker.c.name == name)
    stored = row.password_hash if row is not None else None
    # One scrypt run whatever the account (unknown, disabled, passwordless):
    # the time a sign-in takes must not tell which names exist.
    matches = verify_password(password, stored or _dummy_hash())
    if row is None or not stored or not row.is_active or not matches:
        return None
    return _worker(row)


def set_active(catalog: Catalog, name: str, active: bool) -> Worker:
    """Enable or disable an account; a disabled worker's sessions stop working at once.

    Its votes stay: votes are append-only.

    Raises:
        VerifyError: ``E_NO_WORKER`` for an unknown name.
    """
    w = schema.worker
    with catalog.engine.begin() as conn:
        changed = conn.execute(update(w).where(w.c.name == name).values(is_active=active)).rowcount
    if not changed:
        raise VerifyError(f"no worker named {name!r}", code="E_NO_WORKER")
    found = _find(catalog, name)
    assert found is not None
    return found


def set_browse(catalog: Catalog, name: str, allowed: bool) -> Worker:
    """Grant or take back an account's right to browse the explorer.

    Raises:
        VerifyError: ``E_NO_WORKER`` for an unknown name.
    """
    w = schema.worker
    with catalog.engine.begin() as conn:
        changed = conn.execute(
            update(w).where(w.c.name == name).values(can_browse=allowed)
        ).rowcount
    if not changed:
        raise VerifyError(f"no worker named {name!r}", code="E_NO_WORKER")
    found = _find(catalog, name)
    assert found is not None
    return found


def get_worker(catalog: Catalog, worker_id: int) -> Worker | None:
    row = _row(catalog, schema.worker.c.id == worker_id)
    return _worker(row) if row is not None else None


def list_workers(catalog: Catalog) -> list[Worker]:
    with catalog.engine.connect() as conn:
        rows = conn.execute(select(schema.worker).order_by(schema.worker.c.name)).all()
    return [_worker(row) for row in rows]


def _find(catalog: Catalog, name: str) -> Worker | None:
    row = _row(catalog, schema.worker.c.name == name)
    return _worker(row) if row is not None else None


def _row(catalog: Catalog, where: Any) -> Any:
    """The worker row matching ``where`` (password hash included), or None."""
    with catalog.engine.connect() as conn:
        return conn.execute(select(schema.worker).where(where)).first()


def _worker(row: object) -> Worker:
    r = row._mapping  # type: ignore[attr-defined]
    return Worker(
        int(r["id"]),
        r["name"],
        r["role"],
        bool(r["is_active"]),
        r["password_hash"] is not None,
        bool(r["can_browse"]),
    )


def _dummy_hash() -> str:
    """A stored-hash string with the real cost parameters that no password matches.

    Built without running scrypt, so the first unknown name's sign-in costs the
    same one run as every later one (the digest of 64 zero bytes is never the
    output of scrypt in practice).
    """
    parts = (
        str(_SCRYPT["n"]),
        str(_SCRYPT["r"]),
        str(_SCRYPT["p"]),
        _b64(bytes(16)),
        _b64(bytes(64)),
    )
    return "scrypt$" + "$".join(parts)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
