"""The registry of checks keyed by code, like a linter's rules, and ``--select`` / ``--ignore``.

A check is registered by decorating its function with :func:`check`; the
checks shipped with synsetdb live in ``synsetdb.audit.checks``, one module per
family, and :func:`registry` imports every module there on first use.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..errors import AuditError
from .model import FAMILIES, LEVELS, Check, CheckFunction

__all__ = ["check", "explain", "get_check", "registry", "select_checks", "toml_value"]

_CHECKS: dict[str, Check] = {}
_CODE = re.compile(r"^[A-Z]{3}\d{3}$")
_SCOPES = ("any", "release")


def check(
    code: str,
    name: str,
    *,
    family: str,
    level: str,
    summary: str,
    options: Mapping[str, Any] | None = None,
    scope: str = "any",
) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated function as the check ``code``; its docstring is ``--explain``."""
    if not _CODE.match(code) or family not in FAMILIES or level not in LEVELS:
        raise ValueError(f"bad check definition {code} ({family}, {level})")
    if scope not in _SCOPES:
        raise ValueError(f"{code}: scope must be one of {_SCOPES}")

    def register(function: CheckFunction) -> CheckFunction:
        if code in _CHECKS and _CHECKS[code].function is not function:
            raise ValueError(f"check {code} is registered twice")
        if not inspect.getdoc(function):
            raise ValueError(f"check {code} needs a docstring: it is what --explain prints")
        _CHECKS[code] = Check(
            code, name, family, level, summary, function, dict(options or {}), scope
        )
        return function

    return register


def registry() -> dict[str, Check]:
    """Every registered check by code, in code order (the shipped ones loaded first)."""
    package = importlib.import_module(f"{__package__}.checks")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    return dict(sorted(_CHECKS.items()))


def get_check(code: str) -> Check:
    """The check ``code`` (or its name); ``E_AUDIT_CODE`` when there is none."""
    checks = registry()
    wanted = code.strip()
    for found in checks.values():
        if wanted.upper() == found.code or wanted.lower() == found.name:
            return found
    raise AuditError(
        f"no check {code!r}; `synsetdb audit --list` shows every code", code="E_AUDIT_CODE"
    )


def select_checks(
    select: Sequence[str] = (), ignore: Sequence[str] = (), *, release: bool = False
) -> list[Check]:
    """The checks to run, in code order.

    ``select`` and ``ignore`` take codes (``BAL001``), code prefixes (``BAL``),
    family names (``balance``) or check names (``tiny-class``); an empty
    ``select`` means every check. Checks that need a release are left out when
    there is none (the runner reports them as skipped instead, see ``run_audit``).
    """
    checks = registry()
    chosen = _matching(checks.values(), select) if select else list(checks.values())
    dropped = {c.code for c in _matching(checks.values(), ignore)}
    return [c for c in chosen if c.code not in dropped]


def _matching(checks: Iterable[Check], patterns: Sequence[str]) -> list[Check]:
    checks = list(checks)
    found: dict[str, Check] = {}
    for raw in patterns:
        for pattern in (p.strip() for p in raw.split(",") if p.strip()):
            hits = [c for c in checks if _matches(c, pattern)]
            if not hits:
                raise AuditError(
                    f"{pattern!r} names no check: use a code (BAL001), a prefix (BAL), "
                    f"a family ({', '.join(FAMILIES)}) or a check's name",
                    code="E_AUDIT_CODE",
                )
            found.update((c.code, c) for c in hits)
    return sorted(found.values(), key=lambda c: c.code)


def _matches(check: Check, pattern: str) -> bool:
    upper, lower = pattern.upper(), pattern.lower()
    return check.code.startswith(upper) or lower in (check.family, check.name)


def toml_value(value: Any) -> str:
    """An option's value as it is written in synsetdb.toml (``true``, ``"x"``, ``[1, 2]``)."""
    return json.dumps(value, ensure_ascii=False)


def explain(code: str) -> str:
    """A rule's documentation as ``--explain`` prints it: header, docstring, options."""
    found = get_check(code)
    lines = [
        f"{found.code} {found.name} ({found.family}, {found.level})",
        "",
        found.summary,
        "",
        textwrap.dedent(inspect.getdoc(found.function) or "").strip(),
    ]
    if found.options:
        lines += ["", f"Options ([audit.{found.code}] in synsetdb.toml):"]
        lines += [f"  {name} = {toml_value(value)}" for name, value in found.options.items()]
    if found.scope == "release":
        lines += ["", "Runs with --release only."]
    return "\n".join(lines)
