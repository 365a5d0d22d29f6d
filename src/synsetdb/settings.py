"""Settings: a project's ``synsetdb.toml`` overlaid by ``SYNSETDB_*`` environment variables.

Every environment variable synsetdb reads is listed in ``ENVIRONMENT`` here and
nowhere else.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = [
    "ENVIRONMENT",
    "LOG_LEVELS",
    "PROJECT_FILE",
    "Settings",
    "env_log_level",
    "env_project_dir",
    "load_settings",
]

PROJECT_FILE = "synsetdb.toml"

ENVIRONMENT: dict[str, str] = {
    "SYNSETDB_PROJECT": "project directory, instead of searching up from the working directory",
    "SYNSETDB_CATALOG_URL": "catalog database URL (sqlite:///… or postgresql://…)",
    "SYNSETDB_BLOB_URL": "blob store: a local path or any fsspec URL (s3://bucket/prefix)",
    "SYNSETDB_TAXONOMY": "taxonomy: 'wordnet-3.0' or a YAML/JSON taxonomy file",
    "SYNSETDB_LOG_LEVEL": "logging level (DEBUG, INFO, WARNING, ERROR)",
}

DEFAULT_CATALOG_URL = "sqlite:///catalog.sqlite"
DEFAULT_BLOB_URL = "blobs"
DEFAULT_TAXONOMY = "wordnet-3.0"
DEFAULT_LOG_LEVEL = "WARNING"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
WORDNET_SOURCES = ("wordnet-3.0", "wordnet")


@dataclass(frozen=True, slots=True)
class Settings:
    """A project's effective settings; relative paths are resolved against ``root``."""

    root: Path
    catalog_url: str = DEFAULT_CATALOG_URL
    blob_url: str = DEFAULT_BLOB_URL
    taxonomy: str = DEFAULT_TAXONOMY
    log_level: str = DEFAULT_LOG_LEVEL
    # [web] anonymous_browse: the explorer opens to visitors who are not signed in.
    anonymous_browse: bool = False
    # [audit]: per check code, a table of option values (``[audit.BAL002] min_images = 20``);
    # checked against the registry when an audit runs (synsetdb.audit).
    audit: Mapping[str, Any] = field(default_factory=dict)

    def resolved_catalog_url(self) -> str:
        """The catalog URL with a relative SQLite path made absolute under ``root``."""
        prefix = "sqlite:///"
        if self.catalog_url.startswith(prefix):
            path = self.catalog_url.removeprefix(prefix)
            if path and path != ":memory:" and not Path(path).is_absolute():
                return prefix + str(self.root / path)
        return self.catalog_url

    def resolved_blob_url(self) -> str:
        if "://" in self.blob_url or Path(self.blob_url).is_absolute():
            return self.blob_url
        return str(self.root / self.blob_url)

    @property
    def uses_wordnet(self) -> bool:
        """True when the taxonomy is the bundled WordNet 3.0."""
        return self.taxonomy in WORDNET_SOURCES

    def resolved_taxonomy(self) -> str:
        if self.uses_wordnet or Path(self.taxonomy).is_absolute():
            return self.taxonomy
        return str(self.root / self.taxonomy)

    def to_toml(self) -> dict[str, Any]:
        return {
            "catalog": {"url": self.catalog_url},
            "blobs": {"url": self.blob_url},
            "taxonomy": {"source": self.taxonomy},
        }


def env_project_dir(environ: Mapping[str, str] | None = None) -> str | None:
    """``SYNSETDB_PROJECT``: the project directory to use instead of searching (None if unset)."""
    env = os.environ if environ is None else environ
    return env.get("SYNSETDB_PROJECT") or None


def env_log_level(environ: Mapping[str, str] | None = None) -> str:
    """``SYNSETDB_LOG_LEVEL``, upper-cased and checked (``ConfigError`` for an unknown level)."""
    env = os.environ if environ is None else environ
    return _log_level(env.get("SYNSETDB_LOG_LEVEL") or DEFAULT_LOG_LEVEL)


def _log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in LOG_LEVELS:
        raise ConfigError(
            f"SYNSETDB_LOG_LEVEL={value!r} is not a logging level; "
            f"use one of {', '.join(LOG_LEVELS)}",
            code="E_CONFIG",
        )
    return level


def load_settings(root: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Read ``root/synsetdb.toml`` and apply ``SYNSETDB_*`` overrides."""
    env = os.environ if environ is None else environ
    path = root / PROJECT_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path} does not exist", code="E_NO_PROJECT") from None
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}", code="E_CONFIG") from exc
    return Settings(
        root=root,
        catalog_url=env.get("SYNSETDB_CATALOG_URL")
        or _get(data, path, "catalog", "url", DEFAULT_CATALOG_URL),
        blob_url=env.get("SYNSETDB_BLOB_URL") or _get(data, path, "blobs", "url", DEFAULT_BLOB_URL),
        taxonomy=env.get("SYNSETDB_TAXONOMY")
        or _get(data, path, "taxonomy", "source", DEFAULT_TAXONOMY),
        log_level=env_log_level(env),
        anonymous_browse=_get_bool(data, path, "web", "anonymous_browse", False),
        audit=_audit_table(data, path),
    )


def _audit_table(data: dict[str, Any], path: Path) -> dict[str, Any]:
    table = data.get("audit", {})
    if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
        raise ConfigError(
            f"{path}: [audit] holds one table per check code ([audit.BAL002] min_images = 20)",
            code="E_CONFIG",
        )
    return table


def _get(data: dict[str, Any], path: Path, section: str, key: str, default: str) -> str:
    value = _table(data, path, section, key).get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{path}: [{section}] {key} must be a string", code="E_CONFIG")
    return value


def _get_bool(data: dict[str, Any], path: Path, section: str, key: str, default: bool) -> bool:
    value = _table(data, path, section, key).get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(
            f"{path}: [{section}] {key} must be true or false, not {value!r}", code="E_CONFIG"
        )
    return value


def _table(data: dict[str, Any], path: Path, section: str, key: str) -> dict[str, Any]:
    table = data.get(section, {})
    if not isinstance(table, dict):
        raise ConfigError(
            f"{path}: {section} must be a table ([{section}] with {key} = …)", code="E_CONFIG"
        )
    return table
