"""Separation of duties compares persons (services.common.separation): a `sub` in NFKC, case folded, so that a token
whose `sub` is `Dave` is the person `dave` (docs/identity.md, "Separation of duties"); an API key is its creator.

Hand-worked: `Dave`, `DAVE` and full-width `ｄａｖｅ` (U+FF44 U+FF41 U+FF56 U+FF45, NFKC `dave`) fold to `dave`; German
`STRASSE` and `straße` both fold to `strasse`; `dave` and `david`, `dave` and `dave2` stay two persons."""

from __future__ import annotations

import pytest

from services.common import separation
from services.common.auth import Grant, Principal
from services.common.errors import Forbidden


async def _creators(ids: list[str]) -> dict[str, str]:
    return {"k1": "Dave"}  # api-key:k1 was created by Dave


@pytest.mark.parametrize(("first", "second", "same"), [
    ("dave", "Dave", True), ("dave", "DAVE", True), ("dave", "ｄａｖｅ", True), ("STRASSE", "straße", True),
    ("dave", "david", False), ("dave", "dave2", False), ("王芳", "王芳", True), ("王芳", "王方", False)])
def test_one_person_whatever_the_case_or_width(first: str, second: str, same: bool) -> None:
    assert separation.same_person(first, second) is same
    assert separation.one_of(first, ["erin", second]) is same


async def test_a_caller_is_one_of_the_actors_folded_and_through_their_keys() -> None:
    dave = Principal(subject="DAVE", grants=(Grant("admin", ""),))
    assert await separation.is_one_of(dave, ["dave"], _creators) is True
    assert await separation.is_one_of(dave, ["api-key:k1"], _creators) is True  # the key Dave made
    assert await separation.is_one_of(dave, ["erin", "api-key:k2"], _creators) is False


def test_the_subject_of_evidence_is_refused() -> None:
    bob = Principal(subject="bob", grants=(Grant("reviewer", "city/a"),), subject_ids=("d1-c02",))
    with pytest.raises(Forbidden) as refused:
        separation.refuse_about_themselves(bob, "d1-c02")
    assert str(refused.value.message) == ("bob is the subject of this submission; no one reviews evidence about "
                                          "themselves (four-eyes principle)")
    separation.refuse_about_themselves(bob, "d1-c03")  # another subject: no refusal
    assert separation.about_themselves(bob, "d1-c03") is None
    assert separation.about_themselves(bob, "d1-c02") == (
        "bob is subject d1-c02, so this row would be approved on upload by the person it is about; no one reviews "
        "evidence about themselves (four-eyes principle): another reviewer uploads it")
