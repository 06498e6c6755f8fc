"""The ways news states a relation, each on a sentence of its own (real model)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import edges

CASES = [
    ("active verb", "Israel attacked Hamas on Monday.", ("Israel", "attacked", "Hamas")),
    (
        "passive with by",
        "Abu Bakr al-Baghdadi was killed by American special forces in 2019.",
        ("United States", "killed", "Abu Bakr al-Baghdadi"),
    ),
    (
        "passive, agent on the instrument",
        "Hassan Nasrallah was killed in an Israeli airstrike in Beirut.",
        ("Israel", "killed", "Hassan Nasrallah"),
    ),
    (
        "nominalisation with possessive",
        "Russia's attack on Ukraine began in February.",
        ("Russia", "attacked", "Ukraine"),
    ),
    (
        "nominalisation, act of",
        "Washington condemned Moscow's act of invading Ukraine.",
        ("Russia", "attacked", "Ukraine"),
    ),
    (
        "strikes against",
        "Turkey defended its strikes against the PKK.",
        ("Turkey", "attacked", "Kurdistan Workers' Party"),
    ),
    ("role noun", "John Bolton was a fierce critic of the Kremlin.", ("John Bolton", "opposes", "Russia")),
    ("possessive role noun", "Hungary has long been Russia's ally in Europe.", ("Hungary", "alliedWith", "Russia")),
    (
        "apposition, member",
        "Jane Holt, an analyst at the Brookings Institution, disagreed.",
        ("Jane Holt", "memberOf", "Brookings Institution"),
    ),
    (
        "apposition, leader",
        "Germany voted on Sunday. The country's chancellor, Olaf Scholz, spoke later.",
        ("Olaf Scholz", "leaderOf", "Germany"),
    ),
    (
        "title with demonym",
        "French President Emmanuel Macron met the press.",
        ("Emmanuel Macron", "leaderOf", "France"),
    ),
    ("reciprocal verb", "India and Pakistan accused each other of shelling.", ("India", "opposes", "Pakistan")),
    ("reciprocal noun", "The standoff between India and China continued.", ("China", "opposes", "India")),
    ("coordinated subjects 1", "Britain and France attacked Libya in 2011.", ("United Kingdom", "attacked", "Libya")),
    ("coordinated subjects 2", "Britain and France attacked Libya in 2011.", ("France", "attacked", "Libya")),
    ("coordinated objects", "Iran condemned Israel and Saudi Arabia.", ("Iran", "opposes", "Saudi Arabia")),
    ("capital as government", "Beijing criticised Washington over tariffs.", ("China", "opposes", "United States")),
    ("pronoun", "Boris Johnson spoke on Monday. He condemned Russia.", ("Boris Johnson", "opposes", "Russia")),
    (
        "definite description",
        "The Taliban took Kabul in August. Pakistan backed the militant group for years.",
        ("Pakistan", "supports", "Taliban"),
    ),
    (
        "based in",
        "Human Rights Watch, based in New York, published the report.",
        ("Human Rights Watch", "locatedIn", "New York"),
    ),
    (
        "light verb, target on the verb",
        "The United States sent weapons to Ukraine.",
        ("United States", "supports", "Ukraine"),
    ),
    ("sanctions imposed", "The European Union imposed sanctions on Belarus.", ("European Union", "opposes", "Belarus")),
    (
        "killed a group",
        "Government soldiers killed twelve civilians in the village.",
        ("government soldiers", "killed", "civilians"),
    ),
]


@pytest.mark.parametrize(("pattern", "text", "triple"), CASES, ids=[c[0] for c in CASES])
def test_pattern(build_texts: Any, pattern: str, text: str, triple: tuple[str, str, str]) -> None:
    g = build_texts(text)
    assert triple in edges(g), (pattern, sorted(edges(g)))


def test_negation_is_never_a_positive_edge(build_texts: Any) -> None:
    g = build_texts("Israel did not attack Iran. Egypt never fought Sudan.")
    assert ("Israel", "attacked", "Iran") not in edges(g)
    assert ("Israel", "attacked", "Iran") in edges(g, negated=True)
    assert ("Egypt", "opposes", "Sudan") not in edges(g)


def test_hedged_statement_is_flagged_with_lower_confidence(build_texts: Any) -> None:
    plain = build_texts("Iran attacked Israel.")
    hedged = build_texts("Iran reportedly attacked Israel.")
    # the attack itself (the model may add that the two are enemies, which is another statement)
    (p,) = [d for _, _, d in plain.edges(data=True) if d["predicate"] == "attacked"]
    (h,) = [d for _, _, d in hedged.edges(data=True) if d["predicate"] == "attacked"]
    assert h["hedged"] and not p["hedged"]
    assert h["confidence"] < p["confidence"]


def test_ambiguous_pronoun_is_left_alone(build_texts: Any) -> None:
    g = build_texts("Joe Biden met Vladimir Putin. He condemned Iran.")
    assert not any(p == "opposes" and o == "Iran" for _, p, o in edges(g))


def test_date_from_the_sentence(build_texts: Any) -> None:
    g = build_texts("On January 3, 2020, the United States killed Qassem Soleimani.")
    (d,) = [d for _, _, d in g.edges(data=True) if d["predicate"] == "killed"]
    assert d["evidence"][0].date == "2020-01-03"


def test_titles_do_not_spread_over_coordination(build_texts: Any) -> None:
    g = build_texts(
        "The call was seconded by German Chancellor Angela Merkel and British Prime Minister Boris Johnson."
    )
    e = edges(g)
    assert ("Angela Merkel", "leaderOf", "Germany") in e and ("Boris Johnson", "leaderOf", "United Kingdom") in e
    assert ("Boris Johnson", "leaderOf", "Germany") not in e and (
        "Angela Merkel",
        "leaderOf",
        "United Kingdom",
    ) not in e


def test_member_of_never_points_at_a_person(build_texts: Any) -> None:
    g = build_texts("Former Trump adviser Steve Bannon spoke to reporters about Donald Trump.")
    assert not any(p == "memberOf" and o == "Donald Trump" for _, p, o in edges(g))


def test_regions_in_a_list_are_not_located_in_each_other(build_texts: Any) -> None:
    g = build_texts("He announced a security plan for the Persian Gulf, the Gulf of Oman and the Strait of Hormuz.")
    assert not any(p == "locatedIn" for _, p, _ in edges(g))


def test_city_comma_country(build_texts: Any) -> None:
    g = build_texts("Khashoggi was murdered in the Saudi consulate in Istanbul, Turkey.")
    assert ("Istanbul", "locatedIn", "Turkey") in edges(g)
