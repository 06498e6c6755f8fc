"""IRI minting: deterministic, injective, safe for any text."""

from __future__ import annotations

import warnings

from hypothesis import given
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from kg.iri import document_iri, encode_segment, entity_iri
from kg.ontology import ID_BASE

names = st.text(min_size=1, max_size=40)


@given(names, names)
def test_different_names_never_collide(a: str, b: str) -> None:
    import unicodedata

    if unicodedata.normalize("NFC", a) != unicodedata.normalize("NFC", b):
        assert entity_iri("name/" + a) != entity_iri("name/" + b)


@given(names)
def test_iris_are_safe_and_round_trip_through_turtle(name: str) -> None:
    iri = entity_iri("name/" + name)
    assert iri.startswith(ID_BASE)
    assert not any(c.isspace() for c in iri)
    assert all(c not in iri for c in '<>"{}|\\^`')
    g = Graph()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g.add((URIRef(iri), RDFS.label, Literal(name)))
        again = Graph().parse(data=g.serialize(format="turtle"), format="turtle")
    assert (URIRef(iri), None, None) in again


def test_stable_and_readable() -> None:
    assert entity_iri("name/qassem soleimani") == f"{ID_BASE}name/qassem_soleimani"
    assert entity_iri("country/IRQ") == f"{ID_BASE}country/IRQ"
    assert encode_segment("a_b") != encode_segment("a b")
    assert document_iri("sub/a.txt") == f"{ID_BASE}doc/sub%2Fa.txt"
