"""The look-alike index of a unit's names (services/common/names.py NameIndex): a new name finds, in two lookups,
exactly the names `look_alike` pairs it with, by id, as the one-by-one comparison it replaces did."""

from __future__ import annotations

from services.common.names import NameIndex, look_alike

NAMED = [("u3", "ALICE"), ("u1", "Alice"), ("u2", "Bob"), ("u4", "Ａｌｉｃｅ"), ("u5", "一中队"), ("u6", "Il"),
         ("u7", "lI"), ("u8", "一中队")]


def test_the_index_finds_what_the_comparison_finds() -> None:
    index = NameIndex(NAMED)
    # hand-worked: casefolded skeletons meet for ALICE, Alice and the full-width Ａｌｉｃｅ (NFKC); Bob is alone
    assert index.alikes("alice") == [("u1", "Alice"), ("u3", "ALICE"), ("u4", "Ａｌｉｃｅ")]
    assert index.alikes("Bob") == [("u2", "Bob")]
    assert index.alikes("一中队") == [("u5", "一中队"), ("u8", "一中队")]
    assert index.alikes("张三") == []
    for name in ["alice", "Bob", "一中队", "张三", "II", "ll", "Il", "ＢＯＢ", "bob", "AIice"]:
        assert index.alikes(name) == sorted(pair for pair in NAMED if look_alike(name, pair[1])), name


def test_names_added_are_found() -> None:
    index = NameIndex()
    assert index.alikes("张三") == []
    index.add("p2", "张三")
    index.add("p1", "张三")
    assert index.alikes("张三") == [("p1", "张三"), ("p2", "张三")]
