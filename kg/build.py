"""The build stage: the canonical in-memory graph.

A networkx ``MultiDiGraph`` with one node per entity and one edge per (subject, predicate, object, polarity).
Each edge keeps every statement that supports it as a list of :class:`~kg.records.Provenance`. RDF, HTML
and JSONL are projections of this graph (see :mod:`kg.export`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from kg.iri import entity_iri
from kg.ontology import Ontology
from kg.records import Article, Entity, Provenance, Relation


def edge_key(predicate: str, negated: bool) -> str:
    """Key of the edge for ``predicate`` (negated statements get their own edge)."""
    return f"not:{predicate}" if negated else predicate


def build_graph(
    entities: Iterable[Entity],
    relations: Iterable[Relation],
    ontology: Ontology,
    articles: Mapping[str, Article] | None = None,
    model: str | None = None,
) -> nx.MultiDiGraph:
    """Assemble the graph, dropping relations whose entity types break the property's domain or range.

    Node ids are entity keys; node attributes: ``iri``, ``label``, ``type``, ``aliases``, ``mentions``,
    ``documents``. Edge attributes: ``predicate``, ``negated``, ``hedged`` (every statement hedged),
    ``symmetric``, ``confidence`` (noisy-or over statements), ``evidence`` (list of Provenance),
    ``documents``. ``graph.graph`` holds ``documents`` (id -> title, date, url, source), ``dropped`` (count of
    relations rejected by domain/range) and ``model``.
    """
    g = nx.MultiDiGraph()
    types: dict[str, str] = {}
    for e in entities:
        types[e.key] = e.cls
        g.add_node(
            e.key,
            iri=entity_iri(e.key),
            label=e.label,
            type=e.cls,
            aliases=list(e.aliases),
            mentions=e.mentions,
            documents=list(e.documents),
        )
    grouped, dropped = statement_groups(relations, types, ontology)
    for (s, p, o, negated), found in sorted(grouped.items()):
        evidence = best_evidence(found)
        miss = 1.0
        for pv in evidence:
            miss *= 1.0 - pv.confidence
        g.add_edge(
            s,
            o,
            key=edge_key(p, negated),
            predicate=p,
            negated=negated,
            hedged=all(pv.hedged for pv in evidence),
            symmetric=ontology.relations[p].symmetric,
            confidence=round(1.0 - miss, 4),
            evidence=evidence,
            documents=sorted({pv.doc_id for pv in evidence}),
        )
    g.graph["documents"] = {a.id: document_meta(a) for a in (articles or {}).values()}
    g.graph["dropped"] = dropped
    g.graph["model"] = model
    return g


def document_meta(a: Article) -> dict[str, str | None]:
    """What the graph keeps of a document besides its statements (``graph.graph["documents"]``)."""
    return {"title": a.title, "date": a.date, "url": a.url, "source": a.source, "author": a.author, "site": a.site}


Statement = tuple[str, str, str, bool]


def statement_groups(
    relations: Iterable[Relation], types: Mapping[str, str], ontology: Ontology
) -> tuple[dict[Statement, list[Provenance]], int]:
    """The relations by edge, (subject, predicate, object, negated), and how many were dropped: those naming an
    entity not in ``types`` (key -> class) or whose classes break the property's domain or range. A
    symmetric relation gets one edge per pair, whichever way the text put it."""
    dropped = 0
    grouped: dict[Statement, list[Provenance]] = {}
    for r in relations:
        rel = ontology.relations.get(r.predicate)
        s_cls, o_cls = types.get(r.subject), types.get(r.object)
        if rel is None or s_cls is None or o_cls is None:
            dropped += 1
            continue
        s, o = r.subject, r.object
        if not (ontology.fits(s_cls, rel.domain) and ontology.fits(o_cls, rel.range)):
            if rel.symmetric and ontology.fits(o_cls, rel.domain) and ontology.fits(s_cls, rel.range):
                s, o = o, s
            else:
                dropped += 1
                continue
        if rel.symmetric and o < s:
            s, o = o, s
        grouped.setdefault((s, r.predicate, o, r.provenance.negated), []).append(r.provenance)
    return grouped, dropped


def best_evidence(found: Iterable[Provenance]) -> list[Provenance]:
    """One statement per place and rule, in a stable order: two mentions of one actor in a sentence ("Trump
    ... Donald Trump") can state the same edge twice; the surer reading stands for both."""
    best: dict[tuple[str, int, int, str], Provenance] = {}
    for pv in found:
        k = (pv.doc_id, pv.start, pv.end, pv.rule)
        if k not in best or pv.confidence > best[k].confidence:
            best[k] = pv
    return sorted(best.values(), key=lambda pv: (pv.doc_id, pv.start, pv.end, pv.rule))


def node_record(g: nx.MultiDiGraph, key: str) -> dict[str, Any]:
    """A JSON-ready description of one node."""
    d = g.nodes[key]
    return {"iri": d["iri"], "label": d["label"], "type": d["type"]}


def edge_statements(g: nx.MultiDiGraph) -> Iterable[tuple[str, str, dict[str, Any], Provenance]]:
    """Every (subject, object, edge data, provenance) in a stable order."""
    for s, o, _k, d in sorted(g.edges(keys=True, data=True), key=lambda e: (e[0], e[2], e[1])):
        for pv in d["evidence"]:
            yield s, o, d, pv
