"""How the labelling app runs: its task settings, cookies and session length."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ..errors import ConfigError
from ..verify.quality import QualityConfig
from ..verify.tasks import TaskConfig

__all__ = ["WebConfig", "is_loopback"]


@dataclass(frozen=True, slots=True)
class WebConfig:
    """Settings of the web app.

    Attributes:
        task: how labelling batches are made (size, hidden controls, expiry).
        secure_cookies: mark cookies ``Secure`` (sent over HTTPS only). None
            decides from the address the server is bound to: Secure unless it
            is a loopback address (127.0.0.0/8, ::1, localhost), where plain
            HTTP is the norm and a Secure cookie would never come back.
        session_hours: how long a sign-in lasts.
        quality: when the admin page flags a worker from its control answers.
        anonymous_browse: open the explorer's read-only pages (and their
            images) to visitors who are not signed in. Off by default: then
            an admin, or an account granted it (``synsetdb worker browse
            NAME on``), may browse. Labelling and admin always need sign-in.
    """

    task: TaskConfig = field(default_factory=TaskConfig)
    secure_cookies: bool | None = None
    session_hours: float = 12
    quality: QualityConfig = field(default_factory=QualityConfig)
    anonymous_browse: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.session_hours <= 24 * 366:
            raise ConfigError(
                f"session_hours must be in (0, 8784], not {self.session_hours}", code="E_CONFIG"
            )

    def secure_for(self, host: str | None) -> bool:
        """Whether cookies are Secure for a server bound to ``host`` (the rule above)."""
        if self.secure_cookies is not None:
            return self.secure_cookies
        return not is_loopback(host)


def is_loopback(host: str | None) -> bool:
    """True for ``localhost`` and loopback IP addresses (``127.0.0.1``, ``::1``, ``[::1]``)."""
    if not host:
        return False
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
