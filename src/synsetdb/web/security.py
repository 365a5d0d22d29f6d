"""Signed session cookies and CSRF tokens, with nothing but ``hmac`` and ``hashlib``.

Every token is an HMAC-SHA256 under one secret per project, kept in
``DIR/web-session.key`` (32 random bytes, hex, mode 0600, made on first use).
Each kind of token signs its own prefix, so one kind can never pass for another:

- session cookie: ``worker.issued.nonce.signature``; the server holds no
  session table, a cookie is valid while its signature checks, it is younger
  than ``session_hours`` and its nonce was not signed out in this process;
- form token (CSRF): the HMAC of the session's nonce, so it is bound to
  one sign-in and cannot be minted without the secret;
- sign-in form token: ``nonce.signature``, sent both as a cookie and as a
  form field (a signed double submit: a forged form cannot know the cookie).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

__all__ = ["SECRET_FILE", "Session", "Signer", "load_secret"]

log = logging.getLogger(__name__)

SECRET_FILE = "web-session.key"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")


def load_secret(folder: Path) -> bytes:
    """The project's signing secret, created (mode 0600) if missing.

    Creation is atomic: the secret is written to a private temporary file
    which is then hard-linked to its name, so two servers starting at once
    agree on one secret and neither reads a half-written file.

    Raises:
        ConfigError: ``E_WEB_SECRET`` when the file cannot be read or made, or is malformed.
    """
    path = folder / SECRET_FILE
    try:
        if not path.exists():
            _create_secret(path)
        mode = path.stat().st_mode & 0o777
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot use the web secret {path}: {exc}", code="E_WEB_SECRET") from exc
    if mode & 0o077:
        log.warning("%s is readable by others (mode %o); chmod 600 it", path, mode)
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise ConfigError(
            f"{path} is not a web secret (64 hex digits); delete it to make a new one",
            code="E_WEB_SECRET",
        )
    return bytes.fromhex(text)


def _create_secret(path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another server made it first: use theirs
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class Session:
    """A verified session cookie."""

    worker_id: int
    issued: int  # unix seconds
    nonce: str


class Signer:
    """Issues and checks session cookies and form tokens under one secret.

    Args:
        secret: the project's key (:func:`load_secret`).
        lifetime: seconds a session lasts.
        clock: the time source (tests pass a fake one).
    """

    def __init__(
        self, secret: bytes, lifetime: float, clock: Callable[[], float] = time.time
    ) -> None:
        self._secret = secret
        self.lifetime = lifetime
        self._clock = clock
        self._signed_out: dict[str, float] = {}  # nonce -> when its cookie would expire
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._clock()

    def _sign(self, kind: str, message: str) -> str:
        return hmac.new(self._secret, f"{kind}:{message}".encode(), hashlib.sha256).hexdigest()

    # ------------------------------------------------------------------ sessions

    def issue(self, worker_id: int) -> str:
        """A new session cookie value for a worker who just signed in."""
        payload = f"{worker_id}.{int(self.now())}.{secrets.token_urlsafe(24)}"
        return f"{payload}.{self._sign('session', payload)}"

    def read(self, value: str | None) -> Session | None:
        """The cookie's session; None if it is forged, malformed, expired or signed out."""
        parts = (value or "").split(".")
        if len(parts) != 4:
            return None
        worker, issued, nonce, signature = parts
        if not (worker.isdigit() and issued.isdigit() and len(worker) < 19 and len(issued) < 19):
            return None
        if not (_NONCE.match(nonce) and _SIGNATURE.match(signature)):
            return None
        expected = self._sign("session", f"{worker}.{issued}.{nonce}")
        if not _same(expected, signature):
            return None
        age = self.now() - int(issued)
        if not -60 <= age < self.lifetime:  # a minute of clock skew between servers
            return None
        with self._lock:
            if nonce in self._signed_out:
                return None
        return Session(int(worker), int(issued), nonce)

    def sign_out(self, session: Session) -> None:
        """Refuse this session's cookie from now on (in this process; see the module doc)."""
        now = self.now()
        with self._lock:
            self._signed_out = {n: t for n, t in self._signed_out.items() if t > now}
            self._signed_out[session.nonce] = session.issued + self.lifetime

    # ------------------------------------------------------------------ form tokens

    def csrf_token(self, session: Session) -> str:
        """The token every form of this session must carry."""
        return self._sign("csrf", session.nonce)

    def check_csrf(self, session: Session, token: object) -> bool:
        return isinstance(token, str) and _same(self.csrf_token(session), token)

    def login_token(self) -> str:
        """A fresh sign-in form token (used as both cookie and form field)."""
        nonce = secrets.token_urlsafe(24)
        return f"{nonce}.{self._sign('login', nonce)}"

    def check_login(self, cookie: str | None, field: object) -> bool:
        """Whether a sign-in form's token matches its cookie and carries our signature."""
        if not cookie or not isinstance(field, str) or not _same(cookie, field):
            return False
        nonce, _, signature = cookie.partition(".")
        if not (_NONCE.match(nonce) and _SIGNATURE.match(signature)):
            return False
        return _same(self._sign("login", nonce), signature)


def _same(a: str, b: str) -> bool:
    """Constant-time equality of two strings (any characters: form fields are user input)."""
    return hmac.compare_digest(
        a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
    )
