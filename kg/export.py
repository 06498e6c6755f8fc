"""Projections of the graph: RDF and JSON Lines.

In RDF each relation is a direct triple between the two entity IRIs (``?who kg:killed ?x`` just works) and
each statement that supports it is a ``kg:Assertion`` (an ``rdf:Statement`` and a ``prov:Entity``) naming the
triple with ``rdf:subject/predicate/object`` and carrying its document, sentence, offsets, confidence, flags
and rule. A negated statement gets an assertion with ``kg:negated true`` and never a direct triple.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import networkx as nx
from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS
from rdflib.term import Node

from kg.build import edge_statements, node_record
from kg.iri import document_iri, short_hash
from kg.ontology import ID_BASE, KG, ONTOLOGY_IRI

ASSERTION = Namespace(f"{ID_BASE}assertion/")


def assertion_iri(s_iri: str, predicate: str, o_iri: str, doc_id: str, start: int, end: int, rule: str) -> URIRef:
    """A stable IRI for one statement of one relation."""
    return ASSERTION[short_hash(s_iri, predicate, o_iri, doc_id, start, end, rule)]


def to_rdf(g: nx.MultiDiGraph) -> Graph:
    """The graph as an rdflib ``Graph``."""
    rdf = Graph()
    rdf.bind("kg", KG._NS)
    rdf.bind("skos", SKOS)
    rdf.bind("prov", PROV)
    rdf.bind("dcterms", DCTERMS)
    rdf.bind("entity", Namespace(f"{ID_BASE}name/"))
    rdf.bind("country", Namespace(f"{ID_BASE}country/"))
    rdf.bind("actor", Namespace(f"{ID_BASE}actor/"))
    rdf.bind("doc", Namespace(f"{ID_BASE}doc/"))
    rdf.bind("assertion", ASSERTION)
    for doc_id, meta in sorted(g.graph.get("documents", {}).items()):
        doc_node = URIRef(document_iri(doc_id))
        rdf.add((doc_node, RDF.type, KG.Document))
        rdf.add((doc_node, DCTERMS.identifier, Literal(doc_id)))
        if meta.get("title"):
            rdf.add((doc_node, DCTERMS.title, Literal(meta["title"])))
        if meta.get("date"):
            rdf.add((doc_node, DCTERMS.date, _date_literal(meta["date"])))
        if meta.get("url"):
            rdf.add((doc_node, DCTERMS.source, Literal(meta["url"], datatype=XSD.anyURI)))
    for _key, data in sorted(g.nodes(data=True)):
        n = URIRef(data["iri"])
        rdf.add((n, RDF.type, term(data["type"])))
        rdf.add((n, RDFS.label, Literal(data["label"])))
        rdf.add((n, SKOS.prefLabel, Literal(data["label"])))
        for alias in data["aliases"]:
            if alias != data["label"]:
                rdf.add((n, SKOS.altLabel, Literal(alias)))
        rdf.add((n, KG.mentionCount, Literal(data["mentions"])))
        for doc_id in data["documents"]:
            rdf.add((n, KG.mentionedIn, URIRef(document_iri(doc_id))))
    for s, o, d, pv in edge_statements(g):
        s_iri, o_iri = URIRef(g.nodes[s]["iri"]), URIRef(g.nodes[o]["iri"])
        p = term(d["predicate"])
        if not d["negated"]:
            rdf.add((s_iri, p, o_iri))
        a = assertion_iri(str(s_iri), d["predicate"], str(o_iri), pv.doc_id, pv.start, pv.end, pv.rule)
        doc = URIRef(document_iri(pv.doc_id))
        triples: tuple[tuple[Node, Node, Node], ...] = (
            (a, RDF.type, KG.Assertion),
            (a, RDF.subject, s_iri),
            (a, RDF.predicate, p),
            (a, RDF.object, o_iri),
            (a, KG.document, doc),
            (a, PROV.wasDerivedFrom, doc),
            (a, KG.sentence, Literal(pv.sentence)),
            (a, KG.sentenceStart, Literal(pv.sentence_start)),
            (a, KG.sentenceEnd, Literal(pv.sentence_end)),
            (a, KG.evidenceStart, Literal(pv.start)),
            (a, KG.evidenceEnd, Literal(pv.end)),
            (a, KG.confidence, Literal(str(pv.confidence), datatype=XSD.decimal)),
            (a, KG.negated, Literal(pv.negated)),
            (a, KG.hedged, Literal(pv.hedged)),
            (a, KG.rule, Literal(pv.rule)),
        )
        for triple in triples:
            rdf.add(triple)
        if pv.date:
            rdf.add((a, DCTERMS.date, _date_literal(pv.date)))
        if pv.date_text:
            rdf.add((a, KG.dateText, Literal(pv.date_text)))
    return rdf


def term(name: str) -> URIRef:
    """The kg ontology term ``name`` (a class or property local name read from data)."""
    return URIRef(ONTOLOGY_IRI + name)


def _date_literal(value: str) -> Literal:
    if len(value) == 10:
        return Literal(value, datatype=XSD.date)
    if len(value) == 7:
        return Literal(value, datatype=XSD.gYearMonth)
    if len(value) == 4:
        return Literal(value, datatype=XSD.gYear)
    return Literal(value)


def entity_lines(g: nx.MultiDiGraph) -> Iterator[str]:
    """One JSON object per entity."""
    for key, d in sorted(g.nodes(data=True)):
        yield json.dumps(
            {
                "iri": d["iri"],
                "key": key,
                "label": d["label"],
                "type": d["type"],
                "aliases": d["aliases"],
                "mentions": d["mentions"],
                "documents": d["documents"],
                "degree": g.degree(key),
            },
            ensure_ascii=False,
        )


def relation_lines(g: nx.MultiDiGraph) -> Iterator[str]:
    """One JSON object per statement of a relation (an edge supported twice gives two lines)."""
    for s, o, d, pv in edge_statements(g):
        record: dict[str, Any] = {
            "subject": node_record(g, s),
            "predicate": d["predicate"],
            "object": node_record(g, o),
            "document": pv.doc_id,
            "sentence": pv.sentence,
            "sentence_start": pv.sentence_start,
            "sentence_end": pv.sentence_end,
            "start": pv.start,
            "end": pv.end,
            "confidence": pv.confidence,
            "edge_confidence": d["confidence"],
            "negated": pv.negated,
            "hedged": pv.hedged,
            "date": pv.date,
            "date_text": pv.date_text,
            "rule": pv.rule,
        }
        yield json.dumps(record, ensure_ascii=False)
