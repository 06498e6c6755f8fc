"""RDF done properly: formats, SHACL validation, stable IRIs, stores, saved queries, the SPARQL server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.export import ENTITIES_GRAPH, to_rdf, write_graph
from kg.query import QueryError, open_source, read_query, run_query, serialize_rows
from kg.validate import load_rdf, validate
from tests.conftest import ROOT

QUERIES = ROOT / "queries"


@pytest.fixture(scope="module")
def seed_ttl(seed_graph: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rdf") / "graph.ttl"
    write_graph(seed_graph, path)
    return path


# --- formats -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", ["ttl", "nt", "trig", "nq", "jsonld"])
def test_every_rdf_format_round_trips(seed_graph: Any, tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"g.{ext}"
    write_graph(seed_graph, path)
    if ext in ("trig", "nq", "jsonld"):
        import pyoxigraph as ox

        parsed = list(ox.parse(path=str(path), format=ox.RdfFormat.from_extension(ext)))
        names = {str(q.graph_name.value) for q in parsed if isinstance(q.graph_name, ox.NamedNode)}
        assert str(ENTITIES_GRAPH) in names
        assert any(n.endswith("/doc/seed-article.txt") for n in names)  # one named graph per document
        union = Graph().parse(data="".join(f"{q.subject} {q.predicate} {q.object} .\n" for q in parsed), format="nt")
        assert isomorphic(union, to_rdf(seed_graph))
    else:
        assert isomorphic(load_rdf(path), to_rdf(seed_graph))


@pytest.mark.parametrize("ext", ["graphml", "gexf"])
def test_graphml_and_gexf_load_in_networkx(seed_graph: Any, tmp_path: Path, ext: str) -> None:
    import networkx as nx

    path = tmp_path / f"g.{ext}"
    write_graph(seed_graph, path)
    loaded = nx.read_graphml(path) if ext == "graphml" else nx.read_gexf(path)
    assert loaded.number_of_nodes() == seed_graph.number_of_nodes()
    assert loaded.number_of_edges() == seed_graph.number_of_edges()


def test_unknown_format_is_a_clear_error(seed_graph: Any, tmp_path: Path) -> None:
    from kg.errors import UnknownFormatError

    with pytest.raises(UnknownFormatError, match="valid"):
        write_graph(seed_graph, tmp_path / "g.xyz")


# --- validation --------------------------------------------------------------------------------------


def test_built_graphs_validate(seed_ttl: Path, build_texts: Any, tmp_path: Path) -> None:
    assert validate(load_rdf(seed_ttl)).conforms
    other = tmp_path / "other.ttl"
    write_graph(build_texts("Iran did not attack Israel. Hamas reportedly attacked Israel in 2023."), other)
    assert validate(load_rdf(other)).conforms


def test_broken_graph_fails_with_a_readable_report(seed_ttl: Path, tmp_path: Path) -> None:
    text = seed_ttl.read_text(encoding="utf-8")
    broken = tmp_path / "broken.ttl"
    broken.write_text(text.replace("kg:confidence 0.9 ;", "kg:confidence 1.7 ;", 1), encoding="utf-8")
    assert "kg:confidence 1.7" in broken.read_text(encoding="utf-8")
    report = validate(load_rdf(broken))
    assert not report.conforms and report.violations >= 1
    assert "confidence must be a decimal between 0 and 1" in report.text
    proc = subprocess.run([sys.executable, "-m", "kg.cli", "validate", str(broken)], capture_output=True, text=True)
    assert proc.returncode == 1 and "confidence must be" in proc.stdout
    ok = subprocess.run([sys.executable, "-m", "kg.cli", "validate", str(seed_ttl)], capture_output=True, text=True)
    assert ok.returncode == 0 and "conforms" in ok.stdout


# --- identity and stores -----------------------------------------------------------------------------

A = "Dana Stroul, an analyst at the Washington Institute, said Iran attacked Iraq. Stroul left."
B = "Stroul said the United States opposes Iran. Hezbollah attacked Israel."


def _store_graph(path: Path) -> Graph:
    g = Graph()
    store = open_source(path)
    for q in store.quads_for_pattern(None, None, None, None):
        g.parse(data=f"{q.subject} {q.predicate} {q.object} .", format="nt")
    return g


def _articles(tmp: Path) -> tuple[Path, Path]:
    a, b = tmp / "a.txt", tmp / "b.txt"
    a.write_text(A, encoding="utf-8")
    b.write_text(B, encoding="utf-8")
    return a, b


def test_two_runs_give_identical_iris(tmp_path: Path) -> None:
    from kg.pipeline import build_graph

    a, b = _articles(tmp_path)
    g1, g2 = to_rdf(build_graph([a, b]).graph), to_rdf(build_graph([a, b]).graph)
    assert isomorphic(g1, g2)
    assert sorted(map(str, g1.all_nodes())) == sorted(map(str, g2.all_nodes()))


def test_store_is_incremental_and_idempotent(tmp_path: Path) -> None:
    from kg.pipeline import build_graph, build_into_store

    a, b = _articles(tmp_path)
    together = build_graph([a, b]).graph
    build_into_store([a], tmp_path / "s1")
    after_b = build_into_store([b], tmp_path / "s1").graph
    # "Stroul" in B alone is re-resolved to "Dana Stroul" from A, exactly as in a joint build.
    assert sorted(d["label"] for _, d in after_b.nodes(data=True)) == sorted(
        d["label"] for _, d in together.nodes(data=True)
    )
    stored = _store_graph(tmp_path / "s1")
    assert isomorphic(stored, to_rdf(together))
    build_into_store([a], tmp_path / "s1")
    assert isomorphic(_store_graph(tmp_path / "s1"), stored)  # adding A again adds nothing


def test_export_from_a_store_matches_the_build(tmp_path: Path) -> None:
    from kg.pipeline import build_into_store
    from kg.query import export_rdf

    a, b = _articles(tmp_path)
    graph = build_into_store([a, b], tmp_path / "s").graph
    export_rdf(tmp_path / "s", tmp_path / "all.nt")
    export_rdf(tmp_path / "s", tmp_path / "all.ttl")
    lines = (tmp_path / "all.nt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(set(lines))  # a triple stated in two documents' graphs is written once
    assert isomorphic(load_rdf(tmp_path / "all.nt"), to_rdf(graph))
    assert "@prefix kg:" in (tmp_path / "all.ttl").read_text(encoding="utf-8")


def test_store_keeps_one_named_graph_per_document(tmp_path: Path) -> None:
    from kg.pipeline import build_into_store

    a, b = _articles(tmp_path)
    build_into_store([a, b], tmp_path / "s")
    store = open_source(tmp_path / "s")
    graphs = {g.value for g in store.named_graphs()}
    assert {g for g in graphs if "/doc/" in g} == {
        "https://w3id.org/kg-news/id/doc/a.txt",
        "https://w3id.org/kg-news/id/doc/b.txt",
    }


def test_store_refuses_a_folder_that_is_not_a_store(tmp_path: Path) -> None:
    from kg.errors import OutputError
    from kg.store import GraphStore

    (tmp_path / "precious.txt").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="not a kg store"):
        GraphStore(tmp_path)


# --- queries -----------------------------------------------------------------------------------------


def q(seed_ttl: Path, name: str, **params: str) -> Any:
    return run_query(open_source(seed_ttl), read_query(str(QUERIES / name)), params)


def test_who_killed_whom(seed_ttl: Path) -> None:
    r = q(seed_ttl, "who-killed-whom.rq")
    assert ("United States", "Qassem Soleimani") in [row[:2] for row in r.rows]


def test_enemies_of(seed_ttl: Path) -> None:
    r = q(seed_ttl, "enemies-of.rq", actor="Daesh")  # any alias works
    enemies = {row[0] for row in r.rows}
    assert "Qassem Soleimani" in enemies
    assert any("coalition" in e for e in enemies)


def test_allies_of_enemies(build_texts: Any, tmp_path: Path) -> None:
    path = tmp_path / "g.ttl"
    write_graph(build_texts("Israel attacked Hezbollah. Iran is Hezbollah's ally. Syria backed Hezbollah."), path)
    r = run_query(open_source(path), read_query(str(QUERIES / "allies-of-enemies.rq")), {"actor": "Israel"})
    assert {("Iran", "Hezbollah"), ("Syria", "Hezbollah")} <= set(r.rows)


def test_evidence_for_one_edge(seed_ttl: Path) -> None:
    r = q(seed_ttl, "evidence.rq", subject="United States", predicate="killed", object="Qassem Soleimani")
    sentences = [row[1] for row in r.rows]
    assert any("drone strike" in s for s in sentences)
    assert all(row[0] == "seed-article.txt" for row in r.rows)


def test_entities_by_documents(seed_ttl: Path) -> None:
    r = q(seed_ttl, "entities-by-documents.rq")
    top = [row[0] for row in r.rows[:3]]
    assert "Islamic State" in top and "United States" in top


def test_syntax_error_names_the_position(seed_ttl: Path) -> None:
    with pytest.raises(QueryError, match=r"1:\d+"):
        run_query(open_source(seed_ttl), "SELECT ?x WHERE { ?x ?p }")


def test_parameters_cannot_inject(seed_ttl: Path) -> None:
    r = q(seed_ttl, "enemies-of.rq", actor='x" } } ; SELECT * { ?s ?p ?o')
    assert r.rows == ()


def test_result_formats(seed_ttl: Path) -> None:
    import csv
    import io
    import json

    r = q(seed_ttl, "who-killed-whom.rq")
    rows = list(csv.reader(io.StringIO(serialize_rows(r, "csv"))))
    assert rows[0] == ["killer", "victim", "statements", "confidence"] and len(rows) == len(r.rows) + 1
    data = json.loads(serialize_rows(r, "json"))
    assert data["head"]["vars"] == list(r.variables)
    assert serialize_rows(r, "tsv").splitlines()[0] == "killer\tvictim\tstatements\tconfidence"


def test_query_cli(seed_ttl: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "kg.cli",
            "query",
            str(seed_ttl),
            str(QUERIES / "enemies-of.rq"),
            "-p",
            "actor=IS",
            "--format",
            "csv",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0 and "Qassem Soleimani,opposes" in proc.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "kg.cli", "query", str(seed_ttl), "SELEC nothing"], capture_output=True, text=True
    )
    assert bad.returncode == 1 and bad.stderr.startswith("kg: error: [E600] SPARQL syntax error")


# --- the SPARQL server -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_sparql_over_http(seed_ttl: Path) -> None:
    from SPARQLWrapper import JSON, SPARQLWrapper

    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", str(seed_ttl), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        endpoint = SPARQLWrapper(f"http://127.0.0.1:{port}/query")
        endpoint.setReturnFormat(JSON)
        endpoint.setQuery(read_query(str(QUERIES / "who-killed-whom.rq")))
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = endpoint.queryAndConvert()
                break
            except Exception:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.3)
        rows = answer["results"]["bindings"]  # type: ignore[index,call-overload]
        assert {(r["killer"]["value"], r["victim"]["value"]) for r in rows} == {("United States", "Qassem Soleimani")}
        endpoint.setQuery("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
        endpoint.setMethod("POST")
        with pytest.raises(Exception):  # noqa: B017 - read-only: any refusal will do
            endpoint.query()
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_an_ill_typed_date_does_not_conform() -> None:
    doc = """@prefix kg: <https://w3id.org/kg-news/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<http://example.org/d> a kg:Document ; dcterms:identifier "d" ; dcterms:date "%s"^^xsd:%s ."""
    good = Graph().parse(data=doc % ("2019-12-31", "date"), format="turtle")
    assert validate(good).conforms
    for value, dtype in (("2019-13-45", "date"), ("2019-02-30", "date")):
        report = validate(Graph().parse(data=doc % (value, dtype), format="turtle"))
        assert not report.conforms, value
        assert "a date must be a valid xsd:date" in report.text


def test_a_date_off_the_calendar_is_never_written_as_xsd_date() -> None:
    from rdflib.namespace import XSD

    from kg.export import _date_literal

    assert _date_literal("2019-12-31").datatype == XSD.date
    assert _date_literal("2019-13-45").datatype is None
