"""The identity graph's index of which records share a blocking key."""

from __future__ import annotations

from connectors.graph.blocks import BlockIndex

A, B, C, D = ("crm", "a"), ("crm", "b"), ("email", "c"), ("email", "d")


def _index() -> BlockIndex:
    return BlockIndex.of([(A, ["k1", "k2", "k1"]), (B, ["k1"]), (C, ["k2", "k3"])])


def test_a_key_gives_the_records_filed_under_it_up_to_a_limit() -> None:
    index = _index()
    assert index.sharing("k1", 5) == {A, B}
    assert index.sharing("k3", 5) == {C}
    assert index.sharing("k1", 1) is None
    assert index.sharing("unknown", 5) == set()


def test_records_taken_away_and_filed_again_are_found_under_their_new_keys_only() -> None:
    index = _index()
    index.remove(A, ["k1", "k2"])
    index.add(A, ["k3"])
    index.add(D, ["k1", "k4"])
    assert index.sharing("k1", 5) == {B, D}
    assert index.sharing("k2", 5) == {C}
    assert index.sharing("k3", 5) == {A, C}
    assert index.sharing("k4", 5) == {D}
    index.remove(D, ["k1", "k4"])
    assert (index.sharing("k1", 5), index.sharing("k4", 5)) == ({B}, set())
    assert index.sharing("k3", 1) is None


def test_a_key_over_the_limit_is_under_it_once_enough_of_its_records_are_taken_away() -> None:
    index = _index()
    assert index.sharing("k1", 1) is None
    index.remove(B, ["k1"])
    assert index.sharing("k1", 1) == {A}
    index.remove(B, ["k1"])  # twice: it counts once
    index.add(D, ["k1"])
    assert index.sharing("k1", 1) is None
    assert index.sharing("k1", 2) == {A, D}


def test_a_record_filed_twice_under_a_key_leaves_it_once() -> None:
    index = _index()
    index.remove(A, ["k1", "k2", "k1"])  # its keys as the resolver listed them
    assert index.sharing("k1", 1) == {B}
    assert index.sharing("k2", 1) == {C}
    index.remove(C, ["k2", "k3"])
    assert (index.sharing("k2", 0), index.sharing("k3", 0)) == (set(), set())
