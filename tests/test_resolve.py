"""Entity resolution from hand-made mentions (no model)."""

from __future__ import annotations

from typing import Any

from kg.records import Article, DocumentExtraction, Mention, Provenance, RelationMention
from kg.resolve import Resolver, grouped, merge, resolve


def mention(doc: str, i: int, name: str, cls: str = "Person", start: int | None = None, **kw: Any) -> Mention:
    s = start if start is not None else i * 10
    return Mention(
        doc_id=doc, index=i, start=s, end=s + len(name), text=name, name=name, cls=cls, kind="name", sentence=i, **kw
    )


def doc(doc_id: str, *mentions: Mention, relations: tuple[RelationMention, ...] = ()) -> DocumentExtraction:
    return DocumentExtraction(article=Article(id=doc_id, text="x" * 500), mentions=mentions, relations=relations)


def labels(entities: list[Any]) -> dict[str, Any]:
    return {e.label: e for e in entities}


def test_surname_joins_the_full_name(ontology: Any) -> None:
    ents, _ = resolve([doc("a", mention("a", 0, "Qassem Soleimani"), mention("a", 1, "Soleimani"))], ontology)
    (e,) = ents
    assert e.label == "Qassem Soleimani" and e.mentions == 2 and set(e.aliases) == {"Qassem Soleimani", "Soleimani"}


def test_two_people_of_one_surname_stay_apart(ontology: Any) -> None:
    ents, _ = resolve(
        [doc("a", mention("a", 0, "Donald Trump"), mention("a", 1, "Ivanka Trump"), mention("a", 2, "Trump"))],
        ontology,
    )
    by = labels(ents)
    assert set(by) == {"Donald Trump", "Ivanka Trump"}
    assert by["Ivanka Trump"].mentions == 2  # the bare surname goes to the one named last


def test_bare_surname_across_documents_only_when_unique(ontology: Any) -> None:
    ents, _ = resolve([doc("a", mention("a", 0, "Dana Stroul")), doc("b", mention("b", 0, "Stroul"))], ontology)
    assert [e.label for e in ents] == ["Dana Stroul"]
    ents, _ = resolve(
        [doc("a", mention("a", 0, "Ann Lee")), doc("b", mention("b", 0, "Bo Lee")), doc("c", mention("c", 0, "Lee"))],
        ontology,
    )
    assert sorted(e.label for e in ents) == ["Ann Lee", "Bo Lee", "Lee"]


def test_acronym_joins_the_organisation_it_spells(ontology: Any) -> None:
    ents, _ = resolve(
        [
            doc(
                "a",
                mention("a", 0, "International Crisis Group", "Organization"),
                mention("a", 1, "ICG", "Organization"),
            )
        ],
        ontology,
    )
    assert [e.label for e in ents] == ["International Crisis Group"]


def test_gazetteer_keys_merge_across_documents_and_type_is_voted(ontology: Any) -> None:
    ents, _ = resolve(
        [
            doc("a", mention("a", 0, "IS", "ArmedGroup", key="actor/islamic-state")),
            doc("b", mention("b", 0, "Daesh", "ArmedGroup", key="actor/islamic-state")),
            doc("c", mention("c", 0, "Jane Roe"), mention("c", 1, "Jane Roe", "City"), mention("c", 2, "Jane Roe")),
        ],
        ontology,
    )
    by = labels(ents)
    assert by["Islamic State"].documents == ("a", "b")
    assert by["Jane Roe"].cls == "Person"


def test_collective_nouns_are_scoped_to_their_document(ontology: Any) -> None:
    c = {"cls": "Organization", "key": "local/coalition"}
    m1 = Mention("a", 0, 0, 9, "coalition", "coalition", kind="collective", sentence=0, **c)
    m2 = Mention("b", 0, 0, 9, "coalition", "coalition", kind="collective", sentence=0, **c)
    ents, _ = resolve([doc("a", m1), doc("b", m2)], ontology)
    assert len(ents) == 2


def test_pronouns_count_for_their_antecedent_and_relations_map_to_entities(ontology: Any) -> None:
    pv = Provenance("a", "s", 0, 10, 0, 10, "verb-active", 0.9)
    m0 = mention("a", 0, "Jane Roe")
    m1 = Mention("a", 1, 20, 22, "he", "", "Person", "pronoun", 1, antecedent=0)
    m2 = mention("a", 2, "Iran", "Country", key="country/IRN")
    ents, rels = resolve([doc("a", m0, m1, m2, relations=(RelationMention(1, "opposes", 2, pv),))], ontology)
    assert labels(ents)["Jane Roe"].mentions == 2
    assert [(r.subject, r.predicate, r.object) for r in rels] == [("name/jane roe", "opposes", "country/IRN")]


def test_named_antecedent_follows_chains_and_stops_at_gaps() -> None:
    from kg.records import named_antecedent

    name = mention("a", 0, "Jane Roe")
    he = Mention("a", 1, 20, 22, "he", "", "Person", "pronoun", 1, antecedent=0)
    desc = Mention("a", 2, 30, 40, "the leader", "", "Person", "description", 1, antecedent=1)
    lost = Mention("a", 3, 50, 52, "it", "", "Actor", "pronoun", 2)
    ms = (name, he, desc, lost)
    assert [getattr(named_antecedent(ms, i), "index", None) for i in range(4)] == [0, 0, 0, None]


def test_grouping_by_key_in_parts_then_merging_resolves_as_the_whole(ontology: Any) -> None:
    # A cluster groups each partition by entity key and reduces the partitions pairwise: any cut of the corpus
    # gives the entities and relations that resolving it whole gives, surnames merged across partitions too.
    pv = Provenance("b", "s", 0, 10, 0, 10, "verb-active", 0.9)
    docs = [
        doc("a", mention("a", 0, "Dana Stroul"), mention("a", 1, "Iran", "Country", key="country/IRN")),
        doc(
            "b",
            mention("b", 0, "Stroul"),
            mention("b", 1, "Iraq", "Country"),
            relations=(RelationMention(0, "opposes", 1, pv),),
        ),
        doc("c", mention("c", 0, "Iran", "Country", key="country/IRN"), mention("c", 1, "Dana Stroul")),
        doc("d", mention("d", 0, "ICG", "Organization")),
    ]
    whole = resolve(docs, ontology)
    for cut in range(len(docs) + 1):
        resolver = Resolver(ontology)
        resolver.absorb(merge(grouped(docs[:cut]), grouped(docs[cut:])))
        assert resolver.result() == whole, cut
    assert whole[1][0].subject == "name/dana stroul"  # "Stroul" in b joined the full name of a and c
