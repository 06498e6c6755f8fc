"""Every output format parses with rdflib, pyoxigraph and networkx, whatever the input text says.

Titles, ids, urls and names come from hypothesis (line breaks, control characters, quotes, percent signs,
"Washington, D.C."); the documents go through the real model. What is checked is what other tools need:
the files parse, and the RDF passes kg's SHACL shapes.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

RDF_FORMATS = {".ttl": "turtle", ".nt": "nt", ".trig": "trig", ".nq": "nquads", ".jsonld": "json-ld"}

pytestmark = pytest.mark.model


@lru_cache(maxsize=1)
def _model() -> tuple[Any, Any]:
    # Not fixtures: hypothesis prints a failing example's arguments, and these two print as 100 kB.
    from kg.nlp import load_pipeline
    from kg.ontology import load_ontology

    return load_pipeline(), load_ontology()


_field = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40).filter(lambda s: s.strip())
_name = st.one_of(
    st.sampled_from(["Washington, D.C.", "St. Louis", "Café Müller", "100% Group", "A_B", "O'Neil", "Dr. Who."]),
    st.from_regex(r"[A-Z][a-z]{2,8}( [A-Z][a-z\.%,_'&-]{1,8}){0,2}", fullmatch=True),
)


def _build(docs: list[dict[str, Any]]) -> Any:
    from kg.build import build_graph
    from kg.extract import extract_document
    from kg.nlp import parse
    from kg.records import Article
    from kg.resolve import resolve

    nlp, ontology = _model()
    articles = [Article(**d) for d in docs]
    extractions = [extract_document(doc, a, ontology) for doc, a in parse(nlp, articles, ontology)]
    entities, relations = resolve(extractions, ontology)
    return build_graph(entities, relations, ontology, {a.id: a for a in articles})


def parse_rdf(path: Path) -> None:
    """Parse an RDF file with rdflib and with pyoxigraph; each must find statements."""
    import pyoxigraph as ox
    from rdflib import Dataset, Graph

    ext = path.suffix
    target = Dataset() if ext in (".trig", ".nq", ".jsonld") else Graph()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # rdflib's Dataset.parse calls its own old API
        target.parse(path, format=RDF_FORMATS[ext])
    assert len(list(target.quads() if isinstance(target, Dataset) else target)) > 0, ext
    assert list(ox.parse(path=str(path), format=ox.RdfFormat.from_extension(ext[1:]))), ext


def check_outputs(graph: Any, out: Path) -> None:
    import networkx as nx

    from kg.export import write_graph
    from kg.validate import load_rdf, validate

    for ext in RDF_FORMATS:
        path = out / f"graph{ext}"
        write_graph(graph, path)
        parse_rdf(path)
    report = validate(load_rdf(out / "graph.ttl"))
    assert report.conforms, report.text
    for ext, read in ((".graphml", nx.read_graphml), (".gexf", nx.read_gexf)):
        path = out / f"graph{ext}"
        write_graph(graph, path)
        assert read(path).number_of_nodes() == graph.number_of_nodes(), ext


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc_id=_field, title=_field, url=_field, a=_name, b=_name, c=_name)
def test_every_format_parses_for_any_fields_and_names(
    tmp_path_factory: pytest.TempPathFactory,
    doc_id: str,
    title: str,
    url: str,
    a: str,
    b: str,
    c: str,
) -> None:
    text = (
        f"President {a} of {b} condemned the attack on {c} on March 3, 2021.\n"
        f"{c} said {a} had backed the rebels in {b}. {a} met {c} in Washington, D.C. last week."
    )
    docs = [
        {"id": doc_id, "text": text, "title": title, "url": url, "date": "2021-03-04"},
        {"id": doc_id + "\n2", "text": f"{b} attacked {c}.\x0b {a} leads {b}.", "title": title + "\r\n", "url": None},
    ]
    graph = _build(docs)
    assert graph.number_of_nodes() > 0
    check_outputs(graph, tmp_path_factory.mktemp("out"))
