"""The incremental store (no model): whatever documents are added, replaced and removed, in whatever steps,
the store's RDF dataset and graph equal those of a plain build of the documents it holds."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.build import build_graph
from kg.errors import InputError, OutputError
from kg.export import nquads
from kg.records import Article, DocumentExtraction, Mention, Provenance, RelationMention
from kg.resolve import resolve
from kg.store import DB, GraphStore

# Names whose merges depend on the corpus: "Smith" joins "John Smith" only while no other Smith is known,
# and only while most of its mentions say it is a person; "Iraq" is a gazetteer key.
NAMES: list[tuple[str, str, str | None]] = [
    ("John Smith", "Person", None),
    ("Jane Smith", "Person", None),
    ("Smith", "Person", None),
    ("Smith", "Organization", None),
    ("Acme Corp", "Organization", None),
    ("Acme Corp", "Person", None),
    ("Iraq", "Country", "country/IRQ"),
    ("the junta", "ArmedGroup", None),
]
PREDICATES = ["memberOf", "opposes", "killed", "leaderOf", "alliedWith", "partOf"]


def make_doc(doc_id: str, picks: list[int], rels: list[tuple[int, int, int]], date: str | None = None) -> Any:
    mentions = []
    for i, pick in enumerate(picks):
        name, cls, key = NAMES[pick]
        kind = "collective" if name.startswith("the ") else "name"
        mentions.append(Mention(doc_id, i, i * 20, i * 20 + len(name), name, name, cls, kind, sentence=i // 2, key=key))
    relations = []
    for n, (s, o, p) in enumerate(rels):
        if s < len(mentions) and o < len(mentions) and s != o:
            pv = Provenance(doc_id, f"sentence {n}", 0, 50, n, n + 10, f"rule{n % 2}", 0.5 + 0.1 * (n % 4))
            relations.append(RelationMention(s, PREDICATES[p % len(PREDICATES)], o, pv))
    article = Article(id=doc_id, text=f"text of {doc_id} " * 10, title=f"Title {doc_id}", date=date)
    return DocumentExtraction(article=article, mentions=tuple(mentions), relations=tuple(relations))


def quads_of_store(path: Path) -> set[str]:
    from kg.query import open_source

    return {str(q) for q in open_source(path).quads_for_pattern(None, None, None, None)}


def quads_of_build(docs: list[Any], ontology: Any) -> set[str]:
    import pyoxigraph as ox

    entities, relations = resolve(docs, ontology)
    g = build_graph(entities, relations, ontology, {d.article.id: d.article for d in docs})
    mem = ox.Store()
    if docs:
        mem.load(nquads(g).encode("utf-8"), format=ox.RdfFormat.N_QUADS)
    return {str(q) for q in mem.quads_for_pattern(None, None, None, None)}


def graph_signature(g: Any) -> tuple[Any, Any]:
    nodes = sorted((k, sorted((a, str(v)) for a, v in d.items())) for k, d in g.nodes(data=True))
    edges = sorted((s, o, k, str(sorted(d.items()))) for s, o, k, d in g.edges(keys=True, data=True))
    return nodes, edges


doc_strategy = st.tuples(
    st.lists(st.integers(0, len(NAMES) - 1), min_size=1, max_size=5),
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 5)), max_size=4),
)
# One step: add (or replace) some of doc-0..doc-5, then remove some of those held.
step_strategy = st.tuples(
    st.dictionaries(st.integers(0, 5), doc_strategy, max_size=3), st.lists(st.integers(0, 5), max_size=2)
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step_strategy, min_size=1, max_size=4))
def test_any_sequence_of_changes_equals_a_build_of_what_is_held(
    steps: list[Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    from kg.ontology import load_ontology

    ontology = load_ontology()  # not a fixture: hypothesis would print its whole repr
    path = tmp_path_factory.mktemp("store")
    held: dict[str, Any] = {}
    for version, (adds, removes) in enumerate(steps):
        with GraphStore(path, ontology).locked() as store:
            for i, (picks, rels) in sorted(adds.items()):
                ex = make_doc(f"doc-{i}", picks, rels, date=f"2024-01-{version + 1:02d}")
                store.add(ex)
                held[ex.article.id] = ex
            store.commit()
            gone = [f"doc-{i}" for i in dict.fromkeys(removes) if f"doc-{i}" in held]
            store.remove(gone)
            for doc_id in gone:
                del held[doc_id]
        docs = [held[k] for k in sorted(held)]
        assert quads_of_store(path) == quads_of_build(docs, ontology)
        entities, relations = resolve(docs, ontology)
        expected = build_graph(entities, relations, ontology, {d.article.id: d.article for d in docs})
        assert graph_signature(GraphStore(path, ontology).graph()) == graph_signature(expected)


def test_a_then_b_equals_a_and_b_and_removing_b_gives_a(ontology: Any, tmp_path: Path) -> None:
    a = make_doc("a", [2, 4, 6], [(0, 1, 0), (1, 2, 1)])  # "Smith" alone: its own entity
    b = make_doc("b", [0, 7, 6], [(0, 1, 0), (1, 2, 2)])  # "John Smith": now "Smith" in a is him
    with GraphStore(tmp_path / "ab", ontology).locked() as s:
        s.add(a)
        s.add(b)
    with GraphStore(tmp_path / "a_b", ontology).locked() as s:
        s.add(a)
    with GraphStore(tmp_path / "a_b", ontology).locked() as s:
        s.add(b)
    together = quads_of_store(tmp_path / "ab")
    assert quads_of_store(tmp_path / "a_b") == together == quads_of_build([a, b], ontology)
    assert any("name/john_smith" in q and "doc/a" in q for q in together)  # a's statement moved to John Smith
    with GraphStore(tmp_path / "a_b", ontology).locked() as s:
        s.add(a)  # A twice
    assert quads_of_store(tmp_path / "a_b") == together
    with GraphStore(tmp_path / "a_b", ontology).locked() as s:
        s.remove(["b"])
    assert quads_of_store(tmp_path / "a_b") == quads_of_build([a], ontology)
    assert not any("name/john_smith" in q for q in quads_of_store(tmp_path / "a_b"))


def test_an_unknown_document_cannot_be_removed(ontology: Any, tmp_path: Path) -> None:
    with GraphStore(tmp_path / "s", ontology).locked() as s:
        s.add(make_doc("a", [0, 4], [(0, 1, 0)]))
    with (
        pytest.raises(InputError, match="holds no document 'nope'"),
        GraphStore(tmp_path / "s", ontology).locked() as s,
    ):
        s.remove(["a", "nope"])
    assert {e.article.id for e in GraphStore(tmp_path / "s", ontology).extractions()} == {"a"}


def test_writing_outside_the_lock_is_refused(ontology: Any, tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="only inside"):
        GraphStore(tmp_path / "s", ontology).add(make_doc("a", [0], []))


def test_rdf_left_stale_by_a_kill_is_written_when_the_store_is_next_opened(ontology: Any, tmp_path: Path) -> None:
    path = tmp_path / "s"
    with GraphStore(path, ontology).locked() as s:
        s.add(make_doc("a", [0, 4], [(0, 1, 0)]))
    before = quads_of_store(path)
    # What a build killed between its SQLite commit and its Oxigraph update leaves: a document in SQLite,
    # its RDF marked stale, not written.
    store = GraphStore(path, ontology)
    with store.locked():
        store._write_rdf = lambda: None  # type: ignore[method-assign]
        store.add(make_doc("b", [1, 6], [(0, 1, 1)]))
        store.commit()
    assert quads_of_store(path) == before  # readers still see the store as it was
    with sqlite3.connect(path / DB) as db:
        assert db.execute("SELECT COUNT(*) FROM stale").fetchone()[0] > 0
    with GraphStore(path, ontology).locked():
        pass
    docs = list(GraphStore(path, ontology).extractions())
    assert quads_of_store(path) == quads_of_build(docs, ontology)


def test_kg_remove_takes_documents_out_and_names_unknown_ones(ontology: Any, tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "s"
    a, b = make_doc("a", [2, 4, 6], [(0, 1, 0)]), make_doc("b", [0, 7, 6], [(0, 1, 0), (1, 2, 2)])
    with GraphStore(path, ontology).locked() as s:
        s.add(a)
        s.add(b)
    kg = [sys.executable, "-m", "kg.cli", "remove"]
    ok = subprocess.run([*kg, str(path), "b"], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and "removed 1 documents" in ok.stdout and "it holds 1" in ok.stdout, ok.stderr
    assert quads_of_store(path) == quads_of_build([a], ontology)
    for args, message in (
        ([str(path), "b"], "holds no document 'b'"),
        ([str(tmp_path / "nothing"), "a"], "is not a kg store"),
    ):
        bad = subprocess.run([*kg, *args], capture_output=True, text=True, timeout=120)
        assert bad.returncode == 1 and message in bad.stderr and "Traceback" not in bad.stderr, bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1


def test_a_view_of_a_large_store_keeps_the_most_connected_actors(ontology: Any, tmp_path: Path) -> None:
    path = tmp_path / "s"
    docs = [make_doc(f"d{i}", [0, 4, 7, 1], [(0, 1, 0), (2, 0, 1), (3, 1, 1)]) for i in range(3)]
    with GraphStore(path, ontology).locked() as s:
        for ex in docs:
            s.add(ex)
    store = GraphStore(path, ontology)
    full = store.graph()
    assert full.graph["view"] == {"entities": full.number_of_nodes(), "of": full.number_of_nodes()}
    view = store.graph(limit=2)
    assert set(view.nodes) == {"name/john smith", "name/acme corp"}  # 6 statements each; the others 3
    assert view.graph["view"] == {"entities": 2, "of": full.number_of_nodes()}
    assert {(s, o) for s, o in view.edges()} == {(s, o) for s, o in full.edges() if {s, o} <= set(view.nodes)}
