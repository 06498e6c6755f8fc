"""A store survives whatever happens to a build: kills at random points, failures inside a step, two builds at
once, and stores of the first layouts."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kg.store import DB, GraphStore
from tests.conftest import SEED

GOLD = Path(__file__).resolve().parent / "data" / "gold"
KG = [sys.executable, "-m", "kg.cli", "build"]


def rdf_documents(store: Path) -> set[str]:
    """The documents the store's RDF dataset has a named graph for (what readers see)."""
    from kg.iri import document_iri
    from kg.ontology import ID_BASE
    from kg.query import open_source

    graphs = {g.value for g in open_source(store).named_graphs() if g.value.startswith(f"{ID_BASE}doc/")}
    return {g for g in graphs if g.startswith(document_iri(""))}


def assert_consistent(store: Path) -> set[str]:
    """Open the store as a build does (which finishes RDF a killed build left stale), and check that its
    documents are the same in SQLite and in the RDF dataset (one named graph per document)."""
    from kg.iri import document_iri

    with GraphStore(store).locked():
        pass
    ids = {ex.article.id for ex in GraphStore(store).extractions()}
    assert rdf_documents(store) == {document_iri(i) for i in ids}
    return ids


@pytest.mark.model
def test_a_failure_inside_a_step_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.resolve
    from kg.pipeline import build_into_store

    store = tmp_path / "store"
    build_into_store([SEED], store)
    before = assert_consistent(store)

    def broken(_ex: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(kg.resolve, "contributions", broken)
    with pytest.raises(OSError, match="No space left"):
        build_into_store([GOLD / "yemen.txt"], store)
    monkeypatch.undo()
    assert assert_consistent(store) == before


@pytest.mark.model
def test_a_failure_writing_rdf_is_finished_by_the_next_opening(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.export
    from kg.errors import OutputError
    from kg.iri import document_iri
    from kg.pipeline import build_into_store

    store = tmp_path / "store"
    build_into_store([SEED], store)
    before = rdf_documents(store)

    def broken(_quads: Any) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(kg.export, "sparql_insert", broken)
    with pytest.raises(OutputError, match="No space left"):
        build_into_store([GOLD / "yemen.txt"], store)
    assert rdf_documents(store) == before  # readers see the store as it was
    monkeypatch.undo()
    assert assert_consistent(store) == {"seed-article.txt", "yemen.txt"}
    assert document_iri("yemen.txt") in rdf_documents(store)


@pytest.mark.model
def test_a_second_build_is_told_the_store_is_busy(tmp_path: Path) -> None:
    from kg.store import StoreBusyError

    store = GraphStore(tmp_path / "store")
    with store.locked():
        proc = subprocess.run(
            [*KG, str(SEED), "--store", str(store.path), "-o", str(tmp_path / "out"), "-q"],
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert proc.returncode == 1
    assert "is busy: another kg build is writing it" in proc.stderr
    assert StoreBusyError.code in proc.stderr


@pytest.mark.model
def test_a_store_of_the_first_layouts_is_moved_into_sqlite(tmp_path: Path) -> None:
    from kg.pipeline import build_into_store
    from kg.store import extraction_to_json

    built = tmp_path / "built"
    build_into_store([SEED], built)
    # the first layout: one JSON file per document under extractions/, and a dataset beside it
    store = tmp_path / "store"
    (store / "extractions").mkdir(parents=True)
    for n, ex in enumerate(GraphStore(built).extractions()):
        (store / "extractions" / f"{n}.json").write_text(extraction_to_json(ex), encoding="utf-8")
    (store / "oxigraph").mkdir()
    assert {ex.article.id for ex in GraphStore(store).extractions()} == {"seed-article.txt"}
    result = build_into_store([SEED, GOLD / "yemen.txt"], store)
    assert result.unchanged == 1  # the migrated document is not parsed again
    assert assert_consistent(store) == {"seed-article.txt", "yemen.txt"}
    assert (store / DB).is_file() and not (store / "extractions").exists()


@pytest.mark.slow
@pytest.mark.model
def test_killed_at_random_points_the_store_is_before_or_after(tmp_path: Path) -> None:
    from kg.iri import document_iri

    store = tmp_path / "store"
    out = tmp_path / "out"
    subprocess.run([*KG, str(SEED), "--store", str(store), "-o", str(out), "-q"], check=True, timeout=300)
    ids = assert_consistent(store)
    rng = random.Random(11)
    texts = sorted(GOLD.glob("*.txt"))
    outcomes = {"before": 0, "after": 0}
    for trial in range(30):
        doc = tmp_path / f"doc-{trial}.txt"
        doc.write_text(rng.choice(texts).read_text(encoding="utf-8"), encoding="utf-8")
        proc = subprocess.Popen(
            [*KG, str(doc), "--store", str(store), "-o", str(out), "-q"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.5, 7.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        seen = rdf_documents(store)  # before anything opens the store again: what readers see
        assert seen in ({document_iri(i) for i in ids}, {document_iri(i) for i in ids | {doc.name}}), trial
        now = assert_consistent(store)
        assert now in (ids, ids | {doc.name}), (trial, now - ids)
        outcomes["after" if now != ids else "before"] += 1
        ids = now
    assert outcomes["before"] and outcomes["after"], outcomes  # the kills did land on both sides
    # the next build resumes: what the killed ones stored is not parsed again
    done = subprocess.run(
        [*KG, *(str(tmp_path / f"doc-{t}.txt") for t in range(30)), "--store", str(store), "-o", str(out)],
        check=True,
        timeout=600,
        capture_output=True,
        text=True,
    )
    assert f"{len(ids) - 1} already stored" in done.stdout, done.stdout
    assert assert_consistent(store) == {"seed-article.txt"} | {f"doc-{t}.txt" for t in range(30)}


@pytest.mark.model
def test_documents_stored_with_the_same_content_are_not_parsed_again(tmp_path: Path) -> None:
    from kg.pipeline import build_into_store

    store = tmp_path / "store"
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text((GOLD / "yemen.txt").read_text(encoding="utf-8"), encoding="utf-8")
    b.write_text((GOLD / "sahel.txt").read_text(encoding="utf-8"), encoding="utf-8")
    first = build_into_store([a, b], store)
    written = (store / DB).stat().st_mtime_ns
    again = build_into_store([a, b], store)
    assert again.unchanged == 2 and again.stats.documents == 0  # nothing parsed
    assert (store / DB).stat().st_mtime_ns == written  # nothing written
    assert sorted(again.graph.edges(keys=True)) == sorted(first.graph.edges(keys=True))
    b.write_text(b.read_text(encoding="utf-8") + "\nFrance condemned the junta.\n", encoding="utf-8")
    changed = build_into_store([a, b], store)
    assert changed.unchanged == 1 and changed.stats.documents == 1
    stored = {ex.article.id: ex.article.text for ex in GraphStore(store).extractions()}
    assert stored["b.txt"].endswith("France condemned the junta.\n")
