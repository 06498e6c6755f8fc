"""Projections of the graph: RDF and JSON Lines.

In RDF each relation is a direct triple between the two entity IRIs (``?who kg:killed ?x`` just works) and
each statement that supports it is a ``kg:Assertion`` (an ``rdf:Statement`` and a ``prov:Entity``) naming the
triple with ``rdf:subject/predicate/object`` and carrying its document, sentence, offsets, confidence, flags
and rule. A negated statement gets an assertion with ``kg:negated true`` and never a direct triple.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import networkx as nx
from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS
from rdflib.term import Node

from kg.build import best_evidence, edge_key, edge_statements, node_record, statement_groups
from kg.errors import UnknownFormatError
from kg.iri import document_iri, entity_iri, short_hash
from kg.ontology import ID_BASE, KG, ONTOLOGY_IRI, Ontology
from kg.records import Provenance, Relation

ASSERTION = Namespace(f"{ID_BASE}assertion/")


def assertion_iri(s_iri: str, predicate: str, o_iri: str, doc_id: str, start: int, end: int, rule: str) -> URIRef:
    """A stable IRI for one statement of one relation."""
    return ASSERTION[short_hash(s_iri, predicate, o_iri, doc_id, start, end, rule)]


ENTITIES_GRAPH = URIRef(f"{ID_BASE}graph/entities")

#: Output formats by file extension, with the name ``--format`` takes. GraphML and GEXF come from the
#: networkx graph; the others are RDF (TriG, N-Quads and JSON-LD keep one named graph per document).
FORMATS: dict[str, str] = {
    ".ttl": "turtle",
    ".nt": "ntriples",
    ".trig": "trig",
    ".nq": "nquads",
    ".jsonld": "json-ld",
    ".graphml": "graphml",
    ".gexf": "gexf",
}
NETWORKX_FORMATS = (".graphml", ".gexf")


PREFIXES = {
    "kg": str(KG._NS),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "prov": str(PROV),
    "dcterms": str(DCTERMS),
    "name": f"{ID_BASE}name/",
    "country": f"{ID_BASE}country/",
    "actor": f"{ID_BASE}actor/",
    "doc": f"{ID_BASE}doc/",
    "assertion": str(ASSERTION),
}


def _bind(rdf: Graph) -> None:
    for prefix, iri in PREFIXES.items():
        rdf.bind(prefix, Namespace(iri))


def quads(g: nx.MultiDiGraph) -> Iterator[tuple[Node, Node, Node, URIRef]]:
    """Every statement of the graph with the named graph it belongs to.

    Each document's graph (named by the document's IRI) holds the document's description, the assertions
    made from it and the direct triples they support; the entities graph holds what is known of each
    entity across the corpus (class, labels, mention count, documents). Documents come in the order the
    graph lists them (the build's input order), each with its statements, then the entities: the order in
    which a cluster's shards (:func:`shard_nquads`), concatenated, give the same text.
    """
    documents = g.graph.get("documents", {})
    by_doc: dict[str, list[tuple[str, str, dict[str, Any], Provenance]]] = {}
    for s, o, d, pv in edge_statements(g):
        by_doc.setdefault(pv.doc_id, []).append((s, o, d, pv))
    for doc_id in [*documents, *(d for d in by_doc if d not in documents)]:
        if doc_id in documents:
            yield from document_quads(doc_id, documents[doc_id])
        for s, o, d, pv in by_doc.get(doc_id, ()):
            yield from statement_quads(g.nodes[s]["iri"], d["predicate"], g.nodes[o]["iri"], d["negated"], pv)
    for _key, data in sorted(g.nodes(data=True)):
        yield from entity_quads(data)


def document_quads(doc_id: str, meta: Mapping[str, Any]) -> Iterator[tuple[Node, Node, Node, URIRef]]:
    """A document's description, in its own graph (``meta``: title, date, url, author, site)."""
    doc_node = URIRef(document_iri(doc_id))
    yield doc_node, RDF.type, KG.Document, doc_node
    yield doc_node, RDF.type, PROV.Entity, doc_node  # explicit, so PROV-O queries need no reasoner
    yield doc_node, DCTERMS.identifier, Literal(doc_id), doc_node
    if meta.get("title"):
        yield doc_node, DCTERMS.title, Literal(meta["title"]), doc_node
    if meta.get("date"):
        yield doc_node, DCTERMS.date, _date_literal(meta["date"]), doc_node
    if meta.get("url"):
        yield doc_node, DCTERMS.source, Literal(meta["url"], datatype=XSD.anyURI), doc_node
    if meta.get("author"):
        yield doc_node, DCTERMS.creator, Literal(meta["author"]), doc_node
    if meta.get("site"):
        yield doc_node, DCTERMS.publisher, Literal(meta["site"]), doc_node


def statement_quads(
    s: str, predicate: str, o: str, negated: bool, pv: Provenance
) -> Iterator[tuple[Node, Node, Node, URIRef]]:
    """One statement in its document's graph: the direct triple (unless negated) and its assertion."""
    s_iri, o_iri = URIRef(s), URIRef(o)
    p = term(predicate)
    doc = URIRef(document_iri(pv.doc_id))
    if not negated:
        yield s_iri, p, o_iri, doc
    a = assertion_iri(s, predicate, o, pv.doc_id, pv.start, pv.end, pv.rule)
    triples: tuple[tuple[Node, Node, Node], ...] = (
        (a, RDF.type, KG.Assertion),
        (a, RDF.type, PROV.Entity),
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
    for t in triples:
        yield (*t, doc)
    if pv.date:
        yield a, DCTERMS.date, _date_literal(pv.date), doc
    if pv.date_text:
        yield a, KG.dateText, Literal(pv.date_text), doc


def shard_nquads(
    relations: Iterable[Relation],
    documents: Mapping[str, Mapping[str, Any]],
    types: Mapping[str, str],
    ontology: Ontology,
) -> str:
    """The N-Quads of some documents' graphs (each document's description, then its assertions and direct
    triples), as :func:`quads` writes them from the whole graph: a shard that a cluster's worker writes for
    its partition. ``documents`` in input order; ``relations`` are theirs, between final entity keys;
    ``types`` holds the class of every entity of the corpus (relations that break a domain or range are
    left out, as the graph leaves them out)."""
    grouped, _dropped = statement_groups(relations, types, ontology)

    def edge_order(item: tuple[tuple[str, str, str, bool], Any]) -> tuple[str, str, str]:
        (s, p, o, negated), _found = item
        return s, edge_key(p, negated), o  # the order of edge_statements

    by_doc: dict[str, list[str]] = {}
    for (s, p, o, negated), found in sorted(grouped.items(), key=edge_order):
        for pv in best_evidence(found):
            lines = (nquad(*q) for q in statement_quads(entity_iri(s), p, entity_iri(o), negated, pv))
            by_doc.setdefault(pv.doc_id, []).extend(lines)
    out: list[str] = []
    for doc_id in [*documents, *(d for d in by_doc if d not in documents)]:
        if doc_id in documents:
            out.extend(nquad(*q) for q in document_quads(doc_id, documents[doc_id]))
        out.extend(by_doc.get(doc_id, ()))
    return "".join(out)


#: The predicates of an entity's description that :func:`entity_quads` writes besides ``kg:mentionedIn``.
DESCRIPTION = (RDF.type, RDFS.label, SKOS.prefLabel, SKOS.altLabel, KG.mentionCount)


def entity_quads(data: dict[str, Any], documents: bool = True) -> Iterator[tuple[Node, Node, Node, URIRef]]:
    """What the entities graph says of one node (its attributes ``data``); ``documents``: with the
    ``kg:mentionedIn`` link to every document (a store writes those per document)."""
    n = URIRef(data["iri"])
    yield n, RDF.type, term(data["type"]), ENTITIES_GRAPH
    yield n, RDFS.label, Literal(data["label"]), ENTITIES_GRAPH
    yield n, SKOS.prefLabel, Literal(data["label"]), ENTITIES_GRAPH
    for alias in data["aliases"]:
        if alias != data["label"]:
            yield n, SKOS.altLabel, Literal(alias), ENTITIES_GRAPH
    yield n, KG.mentionCount, Literal(data["mentions"]), ENTITIES_GRAPH
    if documents:
        for doc_id in data["documents"]:
            yield n, KG.mentionedIn, URIRef(document_iri(doc_id)), ENTITIES_GRAPH


def nquad(s: Node, p: Node, o: Node, c: Node) -> str:
    """One statement as an N-Quads line."""
    return f"{_nt(s)} {_nt(p)} {_nt(o)} {_nt(c)} .\n"


def sparql_insert(quads: Iterable[tuple[Node, Node, Node, Node]]) -> str:
    """A SPARQL ``INSERT DATA`` operation adding ``quads`` (empty text for none)."""
    by_graph: dict[Node, list[str]] = {}
    for s, p, o, c in quads:
        by_graph.setdefault(c, []).append(f"{_nt(s)} {_nt(p)} {_nt(o)} .\n")
    if not by_graph:
        return ""
    blocks = "".join(f"GRAPH {_nt(c)} {{\n{''.join(lines)}}}\n" for c, lines in by_graph.items())
    return f"INSERT DATA {{\n{blocks}}}"


def to_rdf(g: nx.MultiDiGraph) -> Graph:
    """The graph as one rdflib ``Graph`` (the union of all named graphs)."""
    rdf = Graph()
    _bind(rdf)
    for s, p, o, _ctx in quads(g):
        rdf.add((s, p, o))
    return rdf


def nquads(g: nx.MultiDiGraph, shards: Sequence[str] | None = None) -> str:
    """The graph as N-Quads text, one named graph per document (see :func:`quads`). ``shards``: the
    documents' graphs as a cluster's workers wrote them (:func:`shard_nquads`), partition by partition; the
    entities graph is then the only part written here."""
    if shards is None:
        return "".join(nquad(*q) for q in quads(g))
    entities = (nquad(*q) for _key, data in sorted(g.nodes(data=True)) for q in entity_quads(data))
    return "".join([*shards, *entities])


# rdflib's Node.n3() writes a literal with a line break as a Turtle long string ("""..."""), which is not
# N-Quads; every character outside printable ASCII that N-Quads cannot hold raw is escaped here instead.
_NT_ESCAPES = {ord("\\"): "\\\\", ord('"'): '\\"', ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}
_NT_ESCAPES.update({c: f"\\u{c:04X}" for c in [*range(0x20), 0x7F] if c not in _NT_ESCAPES})
_NT_ESCAPES.update({c: "\ufffd" for c in range(0xD800, 0xE000)})  # a lone surrogate is no character at all


def _nt(term: Node) -> str:
    if isinstance(term, Literal):
        body = f'"{str(term).translate(_NT_ESCAPES)}"'
        if term.language:
            return f"{body}@{term.language}"
        return f"{body}^^<{term.datatype}>" if term.datatype else body
    return f"<{term}>"


def format_for(path: str | Path, fmt: str | None = None) -> str:
    """The extension (``.ttl``, ``.trig`` ...) of the format named by ``fmt`` or by ``path``'s extension.

    Raises:
        UnknownFormatError: Neither names a format kg writes.
    """
    if fmt:
        wanted = fmt.lower().lstrip(".")
        for ext, name in FORMATS.items():
            if wanted in (name, ext[1:]):
                return ext
        raise UnknownFormatError(f"unknown output format '{fmt}'; valid: {', '.join(sorted(FORMATS.values()))}")
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise UnknownFormatError(
            f"cannot tell the format of '{path}' from its extension; valid: {', '.join(sorted(FORMATS))} or --format"
        )
    return ext


def write_graph(
    g: nx.MultiDiGraph, path: str | Path, fmt: str | None = None, shards: Sequence[str] | None = None
) -> None:
    """Write ``g`` to ``path`` in the format its extension (or ``fmt``) names (``shards``: see :func:`nquads`)."""
    ext = format_for(path, fmt)
    if ext == ".graphml":
        nx.write_graphml(flat_graph(g), path)
    elif ext == ".gexf":
        nx.write_gexf(flat_graph(g), path)
    else:
        import pyoxigraph as ox

        text = nquads(g, shards)
        serialize_quads(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS), path, ext)


def serialize_quads(quads: Iterable[Any], path: str | Path, ext: str) -> None:
    """Write Oxigraph quads to ``path`` as the RDF format of extension ``ext``, with kg's prefixes.

    Triple formats get each triple once (a relation stated in two documents is one triple). Oxigraph
    writes every RDF format an order of magnitude faster than rdflib.
    """
    import pyoxigraph as ox

    target = ox.RdfFormat.from_extension(ext.lstrip("."))
    if target is None or ext in NETWORKX_FORMATS:
        raise UnknownFormatError(f"'{ext}' is not an RDF format; valid: .ttl, .nt, .trig, .nq, .jsonld")
    if not target.supports_datasets:
        quads = _distinct_triples(quads)
    prefixes = None
    if target in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        quads = list(quads)
        prefixes = _plain_prefixes(quads)
    ox.serialize(quads, output=str(path), format=target, prefixes=prefixes)


#: A local name every Turtle parser reads: Oxigraph escapes "%" and a final "." with a backslash, which is
#: valid Turtle that rdflib cannot parse ("name:caf\%C3\%A9", "name:d.c\.").
_PLAIN_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")


def _plain_prefixes(quads: Sequence[Any]) -> dict[str, str]:
    """kg's prefixes, less those under which some IRI of ``quads`` would need an escaped local name (those
    IRIs are then written in full)."""
    import pyoxigraph as ox

    unsafe: set[str] = set()
    spaces = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))
    for q in quads:
        for t in (q.subject, q.predicate, q.object, getattr(q, "graph_name", None)):
            if not isinstance(t, ox.NamedNode) or not t.value.startswith(ID_BASE):
                continue
            iri = t.value
            for prefix, ns in spaces:
                if iri.startswith(ns):
                    if not _PLAIN_LOCAL.match(iri[len(ns) :]):
                        unsafe.add(prefix)
                    break
    return {p: ns for p, ns in PREFIXES.items() if p not in unsafe}


def _distinct_triples(quads: Iterable[Any]) -> list[Any]:
    """The triples of ``quads`` once each, in first-seen order."""
    seen: dict[Any, None] = {}
    for q in quads:
        seen.setdefault(q.triple, None)
    return list(seen)


#: Characters XML 1.0 cannot hold at all (GraphML and GEXF are XML): C0 controls but tab and line breaks,
#: lone surrogates, U+FFFE and U+FFFF. Each becomes U+FFFD, the replacement character.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def flat_graph(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy of ``g`` with only scalar attributes, as GraphML and GEXF need (lists joined with " | "), and
    no character XML cannot hold (an id or a sentence may carry a control character)."""
    flat = nx.MultiDiGraph()
    for key, d in g.nodes(data=True):
        flat.add_node(
            _xml(key),
            label=_xml(d["label"]),
            type=d["type"],
            iri=d["iri"],
            aliases=_xml(" | ".join(d["aliases"])),
            mentions=d["mentions"],
            documents=_xml(" | ".join(d["documents"])),
        )
    for s, o, k, d in g.edges(keys=True, data=True):
        flat.add_edge(
            _xml(s),
            _xml(o),
            key=_xml(str(k)),
            label=d["predicate"],
            predicate=d["predicate"],
            negated=d["negated"],
            hedged=d["hedged"],
            confidence=float(d["confidence"]),
            statements=len(d["evidence"]),
            documents=_xml(" | ".join(d["documents"])),
            sentence=_xml(d["evidence"][0].sentence),
        )
    return flat


def term(name: str) -> URIRef:
    """The kg ontology term ``name`` (a class or property local name read from data)."""
    return URIRef(ONTOLOGY_IRI + name)


def _date_literal(value: str) -> Literal:
    from kg.ingest import valid_date

    if not valid_date(value):  # never an ill-typed xsd literal: other tools reject the whole file
        return Literal(value)
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
    docs = g.graph.get("documents", {})
    for s, o, d, pv in edge_statements(g):
        record: dict[str, Any] = {
            "subject": node_record(g, s),
            "predicate": d["predicate"],
            "object": node_record(g, o),
            "document": pv.doc_id,
            "document_meta": {k: docs.get(pv.doc_id, {}).get(k) for k in ("title", "date", "author", "url", "site")},
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
