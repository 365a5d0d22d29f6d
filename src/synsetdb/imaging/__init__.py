"""Pixels code shared by stages: perceptual-hash variants and the near-duplicate index.

- :mod:`~synsetdb.imaging.dups`: multi-index hashing over 64-bit pHashes
  (pairs, groups and queries within a Hamming radius).
- :mod:`~synsetdb.imaging.variants`: the pHashes of an image's mirror, trimmed,
  centred and straightened views.
- :mod:`~synsetdb.imaging.linking`: groups linking each image's pHash to the
  pHashes and variant hashes of every other.
"""

from .dups import DEFAULT_RADIUS, MAX_RADIUS, DuplicateGroup, NearDuplicateIndex, duplicate_groups
from .linking import variant_groups
from .variants import VARIANT_COUNT, VARIANTS_VERSION, VIEWS, variant_hashes

__all__ = [
    "DEFAULT_RADIUS",
    "MAX_RADIUS",
    "VARIANTS_VERSION",
    "VARIANT_COUNT",
    "VIEWS",
    "DuplicateGroup",
    "NearDuplicateIndex",
    "duplicate_groups",
    "variant_groups",
    "variant_hashes",
]
