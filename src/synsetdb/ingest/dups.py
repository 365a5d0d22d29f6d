"""Moved to :mod:`synsetdb.imaging.dups` (pixels code shared by stages); re-exported here."""

from ..imaging.dups import (
    DEFAULT_MAX_BUCKET,
    DEFAULT_RADIUS,
    MAX_RADIUS,
    DuplicateGroup,
    IndexStats,
    NearDuplicateIndex,
    as_unsigned,
    duplicate_groups,
)

__all__ = [
    "DEFAULT_MAX_BUCKET",
    "DEFAULT_RADIUS",
    "MAX_RADIUS",
    "DuplicateGroup",
    "IndexStats",
    "NearDuplicateIndex",
    "as_unsigned",
    "duplicate_groups",
]
