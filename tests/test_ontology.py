"""The ontology drives extraction: its files load, agree with the closed namespace, and reject typos."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph, URIRef

from kg.errors import OntologyError
from kg.ontology import KG, ONTOLOGY_IRI, load_ontology

REQUIRED = ("killed", "attacked", "opposes", "alliedWith", "leaderOf", "memberOf", "locatedIn")


@pytest.mark.parametrize("name", REQUIRED)
def test_required_relations_have_domain_range_and_words(ontology: Any, name: str) -> None:
    rel = ontology.relations[name]
    assert rel.domain and rel.range
    assert rel.verbs or rel.nouns or rel.roles


def test_symmetry(ontology: Any) -> None:
    assert ontology.relations["alliedWith"].symmetric
    assert not ontology.relations["killed"].symmetric


def test_class_hierarchy(ontology: Any) -> None:
    assert ontology.is_a("ArmedGroup", "Organization") and ontology.is_a("ArmedGroup", "Actor")
    assert ontology.is_a("Country", "Place") and ontology.is_a("Country", "Actor")
    assert not ontology.is_a("City", "Actor")


def test_gazetteer_aliases(ontology: Any) -> None:
    gaz = ontology.gazetteer
    assert {gaz[a].key for a in ("IS", "ISIS", "Isis", "ISIL", "Daesh", "Islamic State")} == {"actor/islamic-state"}
    assert gaz["Turkish"].key == "country/TUR" and gaz["Turkish"].kind == "demonym"
    assert gaz["Tehran"].kind == "capital" and gaz["Tehran"].key == "country/IRN"
    assert gaz["Iran, Islamic Republic of"].key == "country/IRN"  # official names come from pycountry


def test_closed_namespace_rejects_typos() -> None:
    assert KG.killed == URIRef(ONTOLOGY_IRI + "killed")
    with pytest.raises(AttributeError):
        _ = KG.kiled


def test_every_namespace_term_is_defined_in_the_ttl() -> None:
    g = Graph().parse(Path(load_ontology().directory) / "kg.ttl")
    defined = {str(s) for s in g.subjects()}
    terms = [str(t) for t in dir(KG)]
    assert len(terms) > 30
    missing = [t for t in terms if t not in defined]
    assert not missing, missing


def test_broken_ontology_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "kg.ttl").write_text("this is not turtle", encoding="utf-8")
    with pytest.raises(OntologyError, match="cannot parse"):
        load_ontology(tmp_path)
    with pytest.raises(OntologyError, match=r"no kg\.ttl"):
        load_ontology(tmp_path / "missing")
