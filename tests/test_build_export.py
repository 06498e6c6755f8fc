"""The graph and its RDF projection (no model)."""

from __future__ import annotations

from typing import Any

from rdflib import Graph
from rdflib.compare import isomorphic

from kg.build import build_graph
from kg.export import entity_lines, relation_lines, to_rdf
from kg.records import Article, Entity, Provenance, Relation


def ent(key: str, label: str, cls: str) -> Entity:
    return Entity(key, label, cls, (label,), 1, ("a",))


def pv(start: int, conf: float = 0.8, negated: bool = False, hedged: bool = False) -> Provenance:
    return Provenance("a", "Some sentence.", 0, 14, start, start + 4, "verb-active", conf, negated, hedged)


ENTITIES = [
    ent("country/USA", "United States", "Country"),
    ent("name/jane roe", "Jane Roe", "Person"),
    ent("country/IRN", "Iran", "Country"),
    ent("name/acme", "Acme", "Organization"),
]


def graph(relations: list[Relation]) -> Any:
    return build_graph(ENTITIES, relations, _onto(), {"a": Article("a", "x", title="T", date="2020-01-05")})


def _onto() -> Any:
    from kg.ontology import load_ontology

    return load_ontology()


def test_evidence_groups_into_one_edge_with_noisy_or_confidence() -> None:
    g = graph(
        [
            Relation("country/USA", "killed", "name/jane roe", pv(0)),
            Relation("country/USA", "killed", "name/jane roe", pv(5)),
        ]
    )
    (d,) = [d for _, _, d in g.edges(data=True)]
    assert len(d["evidence"]) == 2 and abs(d["confidence"] - 0.96) < 1e-9


def test_domain_and_range_are_enforced() -> None:
    g = graph(
        [
            Relation("country/USA", "killed", "country/IRN", pv(0)),
            Relation("country/USA", "leaderOf", "name/acme", pv(0)),
        ]
    )
    assert g.number_of_edges() == 0 and g.graph["dropped"] == 2


def test_symmetric_relations_make_one_edge() -> None:
    g = graph(
        [
            Relation("country/USA", "alliedWith", "country/IRN", pv(0)),
            Relation("country/IRN", "alliedWith", "country/USA", pv(9)),
        ]
    )
    assert g.number_of_edges() == 1


def test_negated_statement_is_its_own_edge_and_no_direct_triple() -> None:
    g = graph([Relation("country/USA", "attacked", "country/IRN", pv(0, negated=True))])
    rdf = to_rdf(g)
    q = "PREFIX kg: <https://w3id.org/kg-news/ontology#> SELECT ?s WHERE { ?s kg:attacked ?o }"
    assert list(rdf.query(q)) == []
    q2 = """PREFIX kg: <https://w3id.org/kg-news/ontology#>
            PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
            SELECT ?a WHERE { ?a rdf:predicate kg:attacked ; kg:negated true }"""
    assert len(list(rdf.query(q2))) == 1


def test_direct_triple_and_provenance_in_rdf() -> None:
    g = graph([Relation("country/USA", "killed", "name/jane roe", pv(3, hedged=True))])
    rdf = to_rdf(g)
    q = "PREFIX kg: <https://w3id.org/kg-news/ontology#> SELECT ?who WHERE { ?who kg:killed ?x }"
    assert [str(r[0]) for r in rdf.query(q)] == ["https://w3id.org/kg-news/id/country/USA"]
    q = """PREFIX kg: <https://w3id.org/kg-news/ontology#>
           PREFIX prov: <http://www.w3.org/ns/prov#>
           PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
           SELECT ?doc ?start ?end ?conf ?hedged WHERE {
             ?a rdf:subject ?s ; rdf:predicate kg:killed ; prov:wasDerivedFrom ?doc ;
                kg:evidenceStart ?start ; kg:evidenceEnd ?end ; kg:confidence ?conf ; kg:hedged ?hedged }"""
    ((doc, start, end, conf, hedged),) = list(rdf.query(q))
    assert str(doc).endswith("/doc/a") and (start.toPython(), end.toPython()) == (3, 7)
    assert float(conf) == 0.8 and hedged.toPython() is True


def test_rdf_is_deterministic_and_round_trips() -> None:
    rels = [Relation("country/USA", "opposes", "country/IRN", pv(0))]
    a, b = to_rdf(graph(rels)), to_rdf(graph(rels))
    assert isomorphic(a, b)
    assert a.serialize(format="turtle") == b.serialize(format="turtle")
    assert isomorphic(a, Graph().parse(data=a.serialize(format="turtle"), format="turtle"))


def test_jsonl_lines() -> None:
    import json

    g = graph([Relation("country/USA", "killed", "name/jane roe", pv(0))])
    ents = [json.loads(line) for line in entity_lines(g)]
    assert {e["label"] for e in ents} == {"United States", "Jane Roe", "Iran", "Acme"}
    (r,) = [json.loads(line) for line in relation_lines(g)]
    assert r["subject"]["label"] == "United States" and r["predicate"] == "killed" and r["document"] == "a"
    assert set(r) >= {"sentence", "start", "end", "confidence", "negated", "hedged", "date"}


def test_documents_and_assertions_are_prov_entities() -> None:
    g = graph([Relation("country/USA", "killed", "name/jane roe", pv(3))])
    q = """PREFIX prov: <http://www.w3.org/ns/prov#>
           PREFIX kg: <https://w3id.org/kg-news/ontology#>
           SELECT ?x WHERE { ?x a prov:Entity }"""
    assert len(list(to_rdf(g).query(q))) == 2  # the document and the assertion


def test_shards_of_documents_concatenate_to_the_graphs_nquads() -> None:
    # A cluster's workers write the N-Quads of their partitions' documents; merged in input order with the
    # entities graph, they are the text the whole graph gives, line for line.
    from dataclasses import replace

    from kg.build import document_meta
    from kg.export import nquads, shard_nquads

    def at(doc: str, start: int, **kw: Any) -> Provenance:
        return replace(pv(start, **kw), doc_id=doc)

    articles = {d: Article(d, "x", title=f"T {d}") for d in ("b", "a", "c")}  # input order, not sorted
    relations = [
        Relation("country/USA", "killed", "name/jane roe", at("b", 0)),
        Relation("country/USA", "killed", "name/jane roe", at("a", 5, conf=0.6)),
        Relation("country/USA", "killed", "name/jane roe", at("a", 5, conf=0.9)),  # the surer reading stands
        Relation("country/IRN", "alliedWith", "country/USA", at("c", 3)),  # symmetric: one edge, sorted ends
        Relation("country/USA", "killed", "country/IRN", at("c", 9)),  # breaks the range: left out
        Relation("name/jane roe", "opposes", "country/IRN", at("b", 7, negated=True)),
    ]
    onto = _onto()
    g = build_graph(ENTITIES, relations, onto, articles)
    types = {e.key: e.cls for e in ENTITIES}

    def shard(docs: list[str]) -> str:
        mine = [r for r in relations if r.provenance.doc_id in docs]
        return shard_nquads(mine, {d: document_meta(articles[d]) for d in docs}, types, onto)

    whole = nquads(g)
    assert "T b" in whole and whole.count("\n") > 40
    for cut in range(4):
        parts = [shard(["b", "a", "c"][:cut]), shard(["b", "a", "c"][cut:])]
        assert nquads(g, parts) == whole, cut
