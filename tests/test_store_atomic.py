"""A store is exactly before or exactly after a build: kills at random points, a failure inside the save,
two builds at once, and a store of the first layout."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kg.store import CURRENT, GraphStore
from tests.conftest import SEED

GOLD = Path(__file__).resolve().parent / "data" / "gold"
KG = [sys.executable, "-m", "kg.cli", "build"]


def assert_consistent(store: Path) -> set[str]:
    """The documents the store holds, checked to be the same in its extractions and in its RDF dataset (one
    named graph per document)."""
    from kg.iri import document_iri
    from kg.ontology import ID_BASE
    from kg.query import open_source

    ids = {ex.article.id for ex in GraphStore(store).extractions()}
    graphs = {g.value for g in open_source(store).named_graphs() if g.value.startswith(f"{ID_BASE}doc/")}
    assert graphs == {document_iri(i) for i in ids}, (ids, graphs)
    return ids


@pytest.mark.model
def test_a_failure_inside_the_save_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.export
    from kg.errors import OutputError
    from kg.pipeline import build_into_store

    store = tmp_path / "store"
    build_into_store([SEED], store)
    before = assert_consistent(store)

    def broken(_graph: Any) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(kg.export, "nquads", broken)
    with pytest.raises(OutputError, match="No space left"):
        build_into_store([GOLD / "yemen.txt"], store)
    assert assert_consistent(store) == before
    assert len(list(store.glob(".gen-*"))) == 1  # the failed generation is gone


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
def test_a_store_of_the_first_layout_is_moved_into_a_generation(tmp_path: Path) -> None:
    from kg.pipeline import build_into_store

    store = tmp_path / "store"
    build_into_store([SEED], store)
    gen = store / Path(store / CURRENT).readlink()
    # turn it back into the first layout: real folders at the top, no link
    for part in ("oxigraph", "extractions"):
        (store / part).unlink()
        (gen / part).rename(store / part)
    (store / CURRENT).unlink()
    gen.rmdir()
    build_into_store([GOLD / "yemen.txt"], store)
    assert assert_consistent(store) == {"seed-article.txt", "yemen.txt"}
    assert (store / "oxigraph").is_symlink()


@pytest.mark.slow
@pytest.mark.model
def test_killed_at_random_points_the_store_is_before_or_after(tmp_path: Path) -> None:
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
        now = assert_consistent(store)
        assert now in (ids, ids | {doc.name}), (trial, now - ids)
        outcomes["after" if now != ids else "before"] += 1
        ids = now
    assert outcomes["before"] and outcomes["after"], outcomes  # the kills did land on both sides
    # the next build removes what the killed ones left
    subprocess.run([*KG, str(SEED), "--store", str(store), "-o", str(out), "-q"], check=True, timeout=300)
    assert len(list(store.glob(".gen-*"))) == 1
    assert not list(store.glob(".data.tmp-*"))


@pytest.mark.model
def test_documents_stored_with_the_same_content_are_not_parsed_again(tmp_path: Path) -> None:
    import os

    from kg.pipeline import build_into_store

    store = tmp_path / "store"
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text((GOLD / "yemen.txt").read_text(encoding="utf-8"), encoding="utf-8")
    b.write_text((GOLD / "sahel.txt").read_text(encoding="utf-8"), encoding="utf-8")
    first = build_into_store([a, b], store)
    generation = os.readlink(store / CURRENT)
    again = build_into_store([a, b], store)
    assert again.unchanged == 2 and again.stats.documents == 0  # nothing parsed
    assert os.readlink(store / CURRENT) == generation  # nothing written
    assert sorted(again.graph.edges(keys=True)) == sorted(first.graph.edges(keys=True))
    b.write_text(b.read_text(encoding="utf-8") + "\nFrance condemned the junta.\n", encoding="utf-8")
    changed = build_into_store([a, b], store)
    assert changed.unchanged == 1 and changed.stats.documents == 1
    stored = {ex.article.id: ex.article.text for ex in GraphStore(store).extractions()}
    assert stored["b.txt"].endswith("France condemned the junta.\n")
