"""Settings: a project's ``synsetdb.toml`` overlaid by ``SYNSETDB_*`` environment variables.

Every environment variable synsetdb reads is listed in ``ENVIRONMENT`` here and
nowhere else.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["ENVIRONMENT", "PROJECT_FILE", "Settings", "load_settings"]

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


@dataclass(frozen=True, slots=True)
class Settings:
    """A project's effective settings; relative paths are resolved against ``root``."""

    root: Path
    catalog_url: str = DEFAULT_CATALOG_URL
    blob_url: str = DEFAULT_BLOB_URL
    taxonomy: str = DEFAULT_TAXONOMY
    log_level: str = DEFAULT_LOG_LEVEL

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

    def resolved_taxonomy(self) -> str:
        if self.taxonomy in ("wordnet-3.0", "wordnet") or Path(self.taxonomy).is_absolute():
            return self.taxonomy
        return str(self.root / self.taxonomy)

    def to_toml(self) -> dict[str, Any]:
        return {
            "catalog": {"url": self.catalog_url},
            "blobs": {"url": self.blob_url},
            "taxonomy": {"source": self.taxonomy},
        }


def load_settings(root: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Read ``root/synsetdb.toml`` and apply ``SYNSETDB_*`` overrides."""
    env = os.environ if environ is None else environ
    path = root / PROJECT_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path} does not exist", code="E_NO_PROJECT") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}", code="E_CONFIG") from exc
    return Settings(
        root=root,
        catalog_url=env.get("SYNSETDB_CATALOG_URL")
        or _get(data, path, "catalog", "url", DEFAULT_CATALOG_URL),
        blob_url=env.get("SYNSETDB_BLOB_URL") or _get(data, path, "blobs", "url", DEFAULT_BLOB_URL),
        taxonomy=env.get("SYNSETDB_TAXONOMY")
        or _get(data, path, "taxonomy", "source", DEFAULT_TAXONOMY),
        log_level=env.get("SYNSETDB_LOG_LEVEL") or DEFAULT_LOG_LEVEL,
    )


def _get(data: dict[str, Any], path: Path, section: str, key: str, default: str) -> str:
    value = data.get(section, {}).get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{path}: [{section}] {key} must be a string", code="E_CONFIG")
    return value
