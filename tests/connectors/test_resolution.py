"""Entity resolution end to end: records from several systems into people and companies.

The model is fitted by EM on a generated directory (300 companies, their people, three
systems); the cases below are resolved with it, among those records."""

from __future__ import annotations

from collections import Counter
from math import comb

import numpy as np
import pytest

from connectors.resolution import (
    PERSON,
    FieldModel,
    Kind,
    MatchModel,
    Override,
    Record,
    Resolution,
    ResolutionError,
    Resolver,
    ResolverSettings,
    candidate_pairs,
    features,
)
from connectors.resolution.synthetic import Directory, generate


@pytest.fixture(scope="module")
def background() -> Directory:
    return generate(300, seed=11)


@pytest.fixture(scope="module")
def fitted(background: Directory) -> Resolution:
    return Resolver().resolve(background.records)


@pytest.fixture(scope="module")
def models(fitted: Resolution) -> dict[Kind, MatchModel]:
    return fitted.models


def resolve(
    models: dict[Kind, MatchModel],
    background: Directory,
    records: list[Record],
    overrides: list[Override] | None = None,
) -> Resolution:
    return Resolver(models=models).resolve([*background.records, *records], overrides or [])


def person(system: str, rid: str, name: str, **fields: object) -> Record:
    data = {"system": system, "record_id": rid, "kind": "person", "name": name}
    return Record.model_validate(data | fields)


def company(system: str, rid: str, name: str | None, **fields: object) -> Record:
    data = {"system": system, "record_id": rid, "kind": "company", "name": name}
    return Record.model_validate(data | fields)


def same_entity(result: Resolution, *keys: tuple[str, str]) -> bool:
    entity = result.entity_of(keys[0])
    return entity is not None and all(k in entity.records for k in keys)


def test_em_converges_and_agreement_is_likelier_among_matches(fitted: Resolution) -> None:
    for kind, model in fitted.models.items():
        assert model.converged, kind
        assert model.pairs > 100
        assert 0 < model.prior < 1
        for field in model.fields:
            if field.name in ("first_name", "last_name", "email", "phone", "company", "domain"):
                assert field.m[0] > field.u[0], (kind, field.name)
                assert field.weight(0) > 0 >= field.weight(len(field.levels) - 1)
                assert list(field.weights()) == sorted(field.weights(), reverse=True)


def test_the_generated_directory_resolves_with_high_precision_and_recall(
    fitted: Resolution, background: Directory
) -> None:
    truth = background.truth
    found = sum(
        comb(n, 2) for e in fitted.entities for n in Counter(truth[k] for k in e.records).values()
    )
    predicted = sum(comb(len(e.records), 2) for e in fitted.entities)
    true = sum(comb(n, 2) for n in Counter(truth.values()).values())
    assert found / predicted > 0.97
    assert found / true > 0.9


def test_a_nickname_and_a_typo_at_the_same_email_domain(
    models: dict[Kind, MatchModel], background: Directory
) -> None:
    robert = person("crm", "c-1", "Robert Smith", email="robert.smith@acmewidgets.io")
    bob = person("support", "s-1", "Bob Smyth", email="bob.smyth@acmewidgets.io")
    result = resolve(models, background, [robert, bob])
    assert same_entity(result, robert.key, bob.key)
    entity = result.entity_of(robert.key)
    assert entity is not None and entity.kind == "person"
    link = next(link for link in entity.links if {link.left, link.right} == {robert.key, bob.key})
    levels = {e.field: e.level for e in link.evidence}
    assert levels == {"first_name": "nickname", "last_name": "close", "email": "domain"}
    assert {"first_name=nickname", "email=domain"} <= set(link.agreed)
    assert link.source == "model" and link.band == "match"
    assert entity.confidence == pytest.approx(link.probability)


def test_acme_corporation_acme_corp_and_acme_io_are_one_company(
    models: dict[Kind, MatchModel], background: Directory
) -> None:
    crm = company("crm", "acct-1", "Acme Corporation", domain="acme.io", phone="(415) 555-0100")
    support = company("support", "org-9", "ACME Corp.", phone="+1 415.555.0100")
    mailbox = company("email", "acme.io", None, domain="https://www.acme.io")
    result = resolve(models, background, [crm, support, mailbox])
    assert same_entity(result, crm.key, support.key, mailbox.key)
    entity = result.entity_of(crm.key)
    assert entity is not None and len(entity.records) == 3
    agreed = {field for link in entity.links for field in link.agreed}
    assert {"company=exact", "domain=exact", "phone=exact"} <= agreed


def test_a_gmail_address_never_merges_two_companies(
    models: dict[Kind, MatchModel], background: Directory
) -> None:
    plumbing = company("crm", "a-1", "Harbor Plumbing", email="harborjobs@gmail.com")
    bakery = company("billing", "b-1", "Summit Bakery", email="harborjobs@gmail.com")
    result = resolve(models, background, [plumbing, bakery])
    assert not same_entity(result, plumbing.key, bakery.key)
    assert all(plumbing.key not in (r.link.left, r.link.right) for r in result.reviews)


def test_phones_in_different_formats_link_a_renamed_company(
    models: dict[Kind, MatchModel], background: Directory
) -> None:
    a = company("crm", "a-7", "Blue Harbor Logistics", phone="(212) 555-0142")
    b = company("billing", "b-7", "Blue Harbour Logistics Inc", phone="001 212 555 0142")
    result = resolve(models, background, [a, b])
    assert same_entity(result, a.key, b.key)
    entity = result.entity_of(a.key)
    assert entity is not None
    assert "phone=exact" in entity.links[0].agreed


def _even(levels: int) -> tuple[float, ...]:
    return tuple(1 / levels for _ in range(levels))


def _person_model() -> MatchModel:
    """A person model with parameters chosen by hand: a shared first and last name give a
    Bayes factor of 2 (log2), against a prior of 0.3 a probability of 0.63; the same email
    adds about 9.8."""
    given = {
        "first_name": ((0.8, 0.15, 0.03, 0.01, 0.01), (0.4, 0.1, 0.1, 0.1, 0.3)),
        "last_name": ((0.8, 0.1, 0.05, 0.05), (0.4, 0.2, 0.2, 0.2)),
        "email": ((0.9, 0.05, 0.03, 0.02), (0.001, 0.01, 0.05, 0.939)),
    }
    fields = tuple(
        FieldModel(
            name=c.name,
            levels=c.levels,
            m=given.get(c.name, (_even(len(c.levels)),) * 2)[0],
            u=given.get(c.name, (_even(len(c.levels)),) * 2)[1],
        )
        for c in PERSON
    )
    return MatchModel(prior=0.3, fields=fields, iterations=0, converged=True, pairs=0)


def test_the_maybe_band_goes_to_review_instead_of_merging(models: dict[Kind, MatchModel]) -> None:
    a = person("crm", "m-1", "Priya Zimmerman")
    b = person("support", "m-2", "Priya Zimmerman")
    c = person("crm", "m-3", "Tomas Kerrigan", email="tk@kerrigan.dev")
    d = person("billing", "m-4", "Tomas Kerrigan", email="TK@kerrigan.dev")
    resolver = Resolver(models={"person": _person_model(), "company": models["company"]})
    result = resolver.resolve([a, b, c, d])
    assert not same_entity(result, a.key, b.key)
    assert same_entity(result, c.key, d.key)
    [review] = result.reviews
    assert {review.link.left, review.link.right} == {a.key, b.key}
    assert review.reason == "maybe" and review.link.band == "maybe"
    assert review.link.bayes_factor == pytest.approx(2.0)
    assert review.link.probability == pytest.approx(1 / (1 + 2 ** -(2 + np.log2(0.3 / 0.7))))
    assert set(review.link.agreed) == {"first_name=exact", "last_name=exact"}
    assert result.stats.maybes == 1
    entity = result.entity_of(c.key)
    assert entity is not None and entity.confidence > 0.999


def test_overrides_beat_the_model(models: dict[Kind, MatchModel], background: Directory) -> None:
    robert = person("crm", "c-1", "Robert Smith", email="robert.smith@acmewidgets.io")
    bob = person("support", "s-1", "Bob Smyth", email="bob.smyth@acmewidgets.io")
    a = person("crm", "m-1", "Priya Zimmerman")
    b = person("support", "m-2", "Priya Zimmerman")
    overrides = [
        Override(left=robert.key, right=bob.key, verdict="not_same"),
        Override(left=a.key, right=b.key, verdict="same"),
    ]
    result = resolve(models, background, [robert, bob, a, b], overrides)
    assert not same_entity(result, robert.key, bob.key)
    assert same_entity(result, a.key, b.key)
    entity = result.entity_of(a.key)
    assert entity is not None
    assert [(link.source, link.probability) for link in entity.links] == [("override", 1.0)]
    assert all({r.link.left, r.link.right} != {robert.key, bob.key} for r in result.reviews)


def test_not_same_splits_a_chain(models: dict[Kind, MatchModel], background: Directory) -> None:
    crm = company("crm", "acct-1", "Acme Corporation", domain="acme.io")
    support = company("support", "org-9", "ACME Corp.", domain="acme.io")
    billing = company("billing", "bill-3", "Acme Inc", domain="acme.io")
    split = Override(left=crm.key, right=billing.key, verdict="not_same")
    result = resolve(models, background, [crm, support, billing], [split])
    assert not same_entity(result, crm.key, billing.key)
    assert same_entity(result, crm.key, support.key) or same_entity(
        result, support.key, billing.key
    )
    assert result.stats.refused_merges >= 1


def test_impossible_overrides_are_refused_politely(
    models: dict[Kind, MatchModel], background: Directory
) -> None:
    a, b = person("crm", "x-1", "Ann Lee"), person("crm", "x-2", "Ann Lee")
    c = company("crm", "x-3", "Lee Studios")
    with pytest.raises(ResolutionError, match="both same and not same"):
        resolve(models, background, [a, b], [
            Override(left=a.key, right=b.key, verdict="same"),
            Override(left=b.key, right=a.key, verdict="not_same"),
        ])  # fmt: skip
    with pytest.raises(ResolutionError, match="not the same kind"):
        resolve(models, background, [a, c], [Override(left=a.key, right=c.key, verdict="same")])
    with pytest.raises(ResolutionError, match="not there"):
        resolve(
            models, background, [a], [Override(left=a.key, right=("crm", "nope"), verdict="same")]
        )
    with pytest.raises(ResolutionError, match="appears twice"):
        resolve(models, background, [a, a])


def test_candidate_pairs_grow_about_linearly_with_the_records() -> None:
    counts = {}
    for companies in (500, 2000):
        records = [features(r) for r in generate(companies, seed=3).records]
        pairs, stats = candidate_pairs(records, max_block=200)
        assert stats.candidate_pairs == len(pairs)
        assert np.all(pairs[:, 0] < pairs[:, 1])
        counts[companies] = (len(records), len(pairs))
    (small_n, small_pairs), (big_n, big_pairs) = counts[500], counts[2000]
    growth = (big_pairs / small_pairs) / (big_n / small_n)
    assert growth < 1.6  # all pairs would grow 4x as fast as the records
    assert big_pairs < 2 * big_n


def test_one_company_filed_hundreds_of_times_is_one_entity(background: Directory) -> None:
    """300 filings of one company under five spellings among a directory's companies, with
    a block limit of 20: every block the filings share is too large, but holds only five
    names; the filings of one name are chained, a pair each."""
    spellings = ["Koninklijke Philips Electronics N.V.", "KONINKLIJKE PHILIPS ELECTRONICS NV",
                 "Koninklijke Philips Electronis", "Koninklijke Phillips Electronics N. V.",
                 "KONINKLIJKE PHILIPS ELECTRONIC N.V."]  # fmt: skip
    filings = [
        Record(system="patents", record_id=f"p{i}", kind="company", name=spellings[i % 5])
        for i in range(300)
    ]
    others = [r for r in background.records if r.kind == "company"]
    alone = Resolver(ResolverSettings(max_block=20)).resolve(others)
    result = Resolver(ResolverSettings(max_block=20)).resolve(filings + others)
    entity = result.entity_of(("patents", "p0"))
    assert entity is not None and len(entity.records) == 300
    assert len(result.entities) == len(alone.entities) + 1
    assert result.stats.candidate_pairs < alone.stats.candidate_pairs + 2 * 300 + 5 * 4


def test_filings_of_one_name_in_two_files_are_linked_across_them_only() -> None:
    left = [Record(system="left", record_id=f"l{i}", kind="company", name="DSM IP Assets B.V.")
            for i in range(40)]  # fmt: skip
    right = [Record(system="right", record_id=f"r{i}", kind="company", name="DSM IP ASSETS BV")
             for i in range(30)]  # fmt: skip
    others = [  # companies of their own, as a real file has (and the model's fit needs)
        Record(system=side, record_id=f"{side}-{i}", kind="company", name=name)
        for side in ("left", "right")
        for i, name in enumerate(["Shell Research B.V.", "Gist-Brocades N.V.", "Océ B.V.",
                                  "Stork Fokker AG", "Hunter Douglas B.V.", "ASML N.V."])
    ]  # fmt: skip
    settings = ResolverSettings(max_block=10, across_systems_only=True)
    result = Resolver(settings).resolve(left + right + others)
    dsm = result.entity_of(("left", "l0"))
    assert dsm is not None and len(dsm.records) == 70
    assert dsm.links and all(link.left[0] != link.right[0] for link in dsm.links)
    assert sorted(len(e.records) for e in result.entities) == [2] * 6 + [70]


def test_an_oversized_block_is_skipped_and_reported() -> None:
    switchboard = [
        Record(system="crm", record_id=f"p{i}", kind="person", phone="(415) 555-0100")
        for i in range(30)
    ]
    pairs, stats = candidate_pairs([features(r) for r in switchboard], max_block=20)
    assert stats.skipped_blocks == 1 and stats.records_in_skipped_blocks == 30
    assert stats.largest_block == 30
    assert len(pairs) == 0
    pairs, stats = candidate_pairs([features(r) for r in switchboard], max_block=30)
    assert (stats.skipped_blocks, len(pairs)) == (0, 30 * 29 // 2)
