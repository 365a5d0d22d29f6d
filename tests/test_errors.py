"""The error hierarchy: codes, built-in bases, and errors crossing process boundaries."""

from __future__ import annotations

import pickle

import pytest

from synsetdb.errors import (
    IngestError,
    NotFoundError,
    SynsetdbError,
    TaxonomyFileError,
    UnknownSynsetError,
)


@pytest.mark.parametrize(
    "error",
    [
        UnknownSynsetError("n02084072", ["n02084071"], {"n02084071": "dog"}),
        TaxonomyFileError("animals.yaml", 7, "cycle of parents", code="E_CYCLE"),
        IngestError("disk full", code="E_BLOB_WRITE"),
        NotFoundError("no blob", code="E_BLOB_MISSING"),
    ],
)
def test_errors_survive_pickling_with_class_message_code_and_fields(error: SynsetdbError) -> None:
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error)
    assert (str(again), again.code) == (str(error), error.code)
    assert again.__dict__ == error.__dict__


def test_lookups_are_key_errors_and_show_plain_messages() -> None:
    error = UnknownSynsetError("n02084072", ["n02084071"], {"n02084071": "dog"})
    assert isinstance(error, KeyError) and isinstance(error, SynsetdbError)
    assert str(error) == "unknown synset 'n02084072'; did you mean n02084071 (dog)?"
