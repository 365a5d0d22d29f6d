"""The checks synsetdb ships, one module per family (``synsetdb.audit.registry`` loads them all)."""
