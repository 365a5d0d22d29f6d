"""Moved to :mod:`synsetdb.imaging._mih`; these names stay importable from here."""

from ..imaging._mih import as_unsigned, plan, popcount, popcount_bytes

__all__ = ["as_unsigned", "plan", "popcount", "popcount_bytes"]
