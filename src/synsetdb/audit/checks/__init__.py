"""The checks synsetdb ships, a module per family (``labels_*`` hold more of the labels
family); ``synsetdb.audit.registry`` loads every module here."""
