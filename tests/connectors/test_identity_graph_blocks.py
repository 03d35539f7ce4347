"""The identity graph's index of which records share a blocking key."""

from __future__ import annotations

from connectors.graph.blocks import BlockIndex
from connectors.resolution import code_keys

A, B, C, D = ("crm", "a"), ("crm", "b"), ("email", "c"), ("email", "d")


def _index() -> BlockIndex:
    return BlockIndex.of([(A, ["k1", "k2", "k1"]), (B, ["k1"]), (C, ["k2", "k3"])])


def test_a_key_gives_the_records_filed_under_it_up_to_a_limit() -> None:
    index = _index()
    assert index.sharing(["k1"], 5) == {A, B}
    assert index.sharing(["k3"], 5) == {C}
    assert index.sharing(["k1"], 1) == set()
    assert index.sharing(["unknown"], 5) == set()


def test_keys_give_the_records_of_each_one_within_the_limit() -> None:
    index = _index()
    assert index.sharing(["k1", "k3", "unknown"], 5) == {A, B, C}
    assert index.sharing(["k1", "k3", "k3"], 1) == {C}  # k1 has two: left out
    assert index.sharing([], 5) == set()


def test_records_taken_away_and_filed_again_are_found_under_their_new_keys_only() -> None:
    index = _index()
    index.remove([(A, ["k1", "k2"])])
    index.add(A, ["k3"])
    index.add(D, ["k1", "k4"])
    assert index.sharing(["k1"], 5) == {B, D}
    assert index.sharing(["k2"], 5) == {C}
    assert index.sharing(["k3"], 5) == {A, C}
    assert index.sharing(["k4"], 5) == {D}
    index.remove([(D, ["k1", "k4"])])
    assert (index.sharing(["k1"], 5), index.sharing(["k4"], 5)) == ({B}, set())
    assert index.sharing(["k3"], 1) == set()


def test_a_key_over_the_limit_is_under_it_once_enough_of_its_records_are_taken_away() -> None:
    index = _index()
    assert index.sharing(["k1"], 1) == set()
    index.remove([(B, ["k1"])])
    assert index.sharing(["k1"], 1) == {A}
    index.remove([(B, ["k1"]), (B, ["k1"])])  # again: it counts once
    index.add(D, ["k1"])
    assert index.sharing(["k1"], 1) == set()
    assert index.sharing(["k1"], 2) == {A, D}


def test_a_record_filed_twice_under_a_key_leaves_it_once() -> None:
    index = _index()
    index.remove([(A, ["k1", "k2", "k1"])])  # its keys as the resolver listed them
    assert index.sharing(["k1"], 1) == {B}
    assert index.sharing(["k2"], 1) == {C}
    index.remove([(C, ["k2", "k3"])])
    assert index.sharing(["k2", "k3"], 0) == set()
    assert index.sharing(["k2", "k3"], 5) == set()


def test_an_empty_index_has_no_records_under_any_key() -> None:
    index = BlockIndex([], code_keys([]))
    assert index.sharing(["k1"], 5) == set()
    index.remove([(A, ["k1"])])
    index.add(A, ["k1"])
    assert index.sharing(["k1"], 5) == {A}


def test_coded_keys_are_slices_of_their_records_in_order() -> None:
    coded = code_keys([["x", "y", "x"], ["y"], [], ["z", "x"]])
    starts, sizes = coded.slices()
    x, y, z, unknown = coded.lookup(["x", "y", "z", "w"]).tolist()
    assert unknown == -1
    members = coded.owners.tolist()
    for code, records in ((x, [0, 3]), (y, [0, 1]), (z, [3])):
        assert members[starts[code] : starts[code] + sizes[code]] == records
    assert sorted(coded.codes.tolist()) == sorted([x, y, y, z, x])
