"""The Dask engine (kg build --engine dask): the same graph as a single-process build, a worker killed in the
middle costs no document, settings errors are one line, and no worker process outlives a build."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kg.errors import ClusterError, ModelError, SettingsError
from kg.pipeline import BuildResult, Settings, _articles, build_graph, write_outputs
from kg.records import Article
from tests.conftest import SHARED, TEST_DATA
from tests.test_rdf import _free_port

KG = [sys.executable, "-m", "kg.cli"]
WIKINEWS = SHARED / "wikinews" / "articles.jsonl"


@pytest.fixture
def dask_ok() -> None:
    pytest.importorskip("distributed")


# ---- settings (no cluster, no model) ----


@pytest.mark.parametrize(
    ("settings", "needles"),
    [
        (Settings(engine="bogus"), ["unknown engine 'bogus'", "local, dask"]),
        (Settings(workers=2), ["workers", "--engine dask"]),
        (Settings(scheduler="tcp://127.0.0.1:8786"), ["scheduler", "--engine dask"]),
    ],
)
def test_settings_errors_without_dask(settings: Settings, needles: list[str]) -> None:
    with pytest.raises(SettingsError) as err:
        settings.check()
    assert "\n" not in str(err.value)
    for needle in needles:
        assert needle in str(err.value)


@pytest.mark.parametrize(
    ("settings", "needles"),
    [
        (Settings(engine="dask", workers=0), ["workers must be 1 or more", "0"]),
        (Settings(engine="dask", workers=2, scheduler="tcp://h:8786"), ["not both", "tcp://h:8786"]),
        (Settings(engine="dask", scheduler="tcp://a b"), ["'tcp://a b' is not an address"]),
        (Settings(engine="dask", n_process=2), ["n_process is 2", "workers"]),
    ],
)
def test_settings_errors_of_the_dask_engine(dask_ok: None, settings: Settings, needles: list[str]) -> None:
    with pytest.raises(SettingsError) as err:
        settings.check()
    assert "\n" not in str(err.value)
    for needle in needles:
        assert needle in str(err.value)


def test_dask_not_installed_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # find_spec answers None, as without the package
    with pytest.raises(SettingsError, match=r"pip install 'kg\[dask\]'") as err:
        Settings(engine="dask", workers=2).check()
    assert "\n" not in str(err.value)


def test_unreachable_scheduler_is_one_line_naming_it(dask_ok: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from kg import engine_dask

    monkeypatch.setattr(engine_dask, "CONNECT_TIMEOUT", 1.0)
    address = f"tcp://127.0.0.1:{_free_port()}"
    t = time.perf_counter()
    with pytest.raises(SettingsError) as err:
        build_graph(
            [Article(id="a", text="Iraq protested to the United States.")], Settings(engine="dask", scheduler=address)
        )
    assert time.perf_counter() - t < 30
    assert address in str(err.value) and "\n" not in str(err.value)
    assert_no_workers_left()


def test_cli_unknown_engine_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    out = tmp_path / "out"
    proc = subprocess.run(
        [*KG, "build", str(TEST_DATA / "gold"), "-o", str(out), "--engine", "bogus"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == ["kg: error: [E500] unknown engine 'bogus'; valid: local, dask"], proc.stderr
    assert not out.exists()


# ---- order and process lifetime (a cluster of threads in this process, no model) ----


def test_results_come_in_input_order_whoever_finishes_first(dask_ok: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from distributed import LocalCluster

    from kg import engine_dask

    def fake(index: int, articles: list[Article], context: Any) -> list[Any]:
        time.sleep(random.uniform(0, 0.05))  # partitions finish in any order
        return [(a.id, index) for a in articles]

    monkeypatch.setattr(engine_dask, "_extract_partition", fake)
    articles = [Article(id=f"d{i}", text="x") for i in range(50)]
    with LocalCluster(n_workers=1, threads_per_worker=4, processes=False, dashboard_address=None) as cluster:
        settings = Settings(engine="dask", scheduler=cluster.scheduler_address, batch_size=2)
        got = list(engine_dask.extraction_stream(articles, settings, None))
    assert [doc_id for doc_id, _ in got] == [a.id for a in articles]
    assert len({index for _, index in got}) > 4  # several partitions, so order was at stake


def test_an_error_on_a_worker_ends_the_build_and_its_workers(dask_ok: None) -> None:
    # The model is missing on the workers: the worker's KGError reaches the caller and no worker is left.
    with pytest.raises(ModelError, match="no_such_model"):
        build_graph(
            [Article(id="a", text="Iraq protested to the United States.")],
            Settings(engine="dask", workers=1, model="no_such_model"),
        )
    assert_no_workers_left()


def worker_processes() -> list[Any]:
    import psutil

    out = []
    for p in psutil.Process().children(recursive=True):
        try:
            if "spawn_main" in " ".join(p.cmdline()):  # not multiprocessing's resource tracker, which stays
                out.append(p)
        except psutil.Error:
            pass  # gone meanwhile
    return out


def assert_no_workers_left() -> None:
    deadline = time.monotonic() + 10
    while worker_processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert worker_processes() == []


# ---- real builds (the model) ----


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four gold texts and 20 Wikinews articles, as a folder."""
    if not WIKINEWS.is_file():
        pytest.skip(f"{WIKINEWS} is missing")
    folder = tmp_path_factory.mktemp("dask-corpus")
    for txt in sorted((TEST_DATA / "gold").glob("*.txt")):
        shutil.copy(txt, folder / txt.name)
    with WIKINEWS.open(encoding="utf-8") as fh:
        lines = [next(fh) for _ in range(20)]
    (folder / "wikinews.jsonl").write_text("".join(lines), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def single(corpus: Path) -> BuildResult:
    return build_graph([corpus], Settings(keep_extractions=True))


def assert_same_build(got: BuildResult, want: BuildResult, tmp_path: Path) -> None:
    """The same graph: every node with its attributes, every edge with its evidence, and the same outputs."""
    g, w = got.graph, want.graph
    assert g.graph == w.graph
    assert dict(g.nodes(data=True)) == dict(w.nodes(data=True))
    assert {(s, o, k): d for s, o, k, d in g.edges(keys=True, data=True)} == {
        (s, o, k): d for s, o, k, d in w.edges(keys=True, data=True)
    }
    for name, result in (("got", got), ("want", want)):
        write_outputs(result, tmp_path / name)
    for f in ("entities.jsonl", "relations.jsonl", "graph.ttl"):
        assert (tmp_path / "got" / f).read_bytes() == (tmp_path / "want" / f).read_bytes(), f
    counted = ("documents", "sentences", "tokens", "mentions", "entities", "relations", "edges", "dropped_relations")
    for name in counted:
        assert getattr(got.stats, name) == getattr(want.stats, name), name


@pytest.mark.model
@pytest.mark.slow
def test_two_workers_give_the_single_process_graph(
    dask_ok: None, corpus: Path, single: BuildResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kg import engine_dask
    from kg.resolve import Resolver

    def on_the_driver(self: Resolver, ex: Any) -> None:
        raise AssertionError(f"the driver resolved document {ex.article.id!r}; the workers group by key")

    # Resolution is a group-by on the workers: the driver only takes the reduced total (Resolver.absorb).
    monkeypatch.setattr(Resolver, "add", on_the_driver)
    got = build_graph([corpus], Settings(engine="dask", workers=2, keep_extractions=True))
    assert single.stats.documents == 24 and single.graph.number_of_edges() > 20
    # The documents' RDF came from the workers, a shard per partition; merged, graph.ttl is the same file.
    assert got.rdf_shards is not None and single.rdf_shards is None
    assert len(got.rdf_shards) == len(engine_dask.partitions(_articles([corpus]), 2, Settings().batch_size))
    assert_same_build(got, single, tmp_path)
    assert [ex.article.id for ex in got.new_extractions] == [ex.article.id for ex in single.new_extractions]
    assert_no_workers_left()


@pytest.mark.model
@pytest.mark.slow
def test_a_worker_killed_in_the_middle_loses_no_document(
    dask_ok: None, corpus: Path, single: BuildResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kg import engine_dask

    flag = tmp_path / "killed"
    # The worker that finishes the middle partition dies before answering, once (the flag file says it did);
    # the workers inherit this environment.
    articles = _articles([corpus])
    partitions = len(engine_dask.partitions(articles, 2, Settings().batch_size))
    assert partitions >= 4
    monkeypatch.setenv(engine_dask.KILL_ENV, f"{partitions // 2}:{flag}")
    got = build_graph([corpus], Settings(engine="dask", workers=2, keep_extractions=True))
    assert flag.exists()  # a worker did die there
    ids = [ex.article.id for ex in got.new_extractions]
    assert len(ids) == len(set(ids)) == got.stats.documents == 24  # each document once
    assert ids == [ex.article.id for ex in single.new_extractions]
    assert_same_build(got, single, tmp_path)
    assert_no_workers_left()


@pytest.mark.model
@pytest.mark.slow
def test_a_partition_that_keeps_killing_workers_is_one_line(
    dask_ok: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dask

    from kg import engine_dask

    monkeypatch.setenv(engine_dask.KILL_ENV, f"0:{tmp_path / 'killed'}")
    texts = sorted((TEST_DATA / "gold").glob("*.txt"))
    # No second chance: the one death is one too many (the scheduler of a LocalCluster runs in this process).
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), pytest.raises(ClusterError) as err:
        build_graph(texts, Settings(engine="dask", workers=1))
    assert "partition 0" in str(err.value) and "died" in str(err.value) and "\n" not in str(err.value)
    assert_no_workers_left()


@pytest.mark.model
@pytest.mark.slow
def test_an_existing_cluster_loads_the_model_once_per_worker_and_stays_up(
    dask_ok: None, corpus: Path, single: BuildResult, tmp_path: Path
) -> None:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        settings = Settings(engine="dask", scheduler=cluster.scheduler_address)
        first = build_graph([corpus], settings)
        again = build_graph([corpus], settings)
        # Many partitions over two builds, yet each worker loaded the pipeline once: it stays in the worker.
        loads = client.run(lambda: sys.modules["kg.engine_dask"].LOADS)
        assert sorted(loads.values()) == [1, 1], loads
        assert len(client.nthreads()) == 2  # kg closed its client, not the cluster
    assert_same_build(first, single, tmp_path / "first")
    assert_same_build(again, single, tmp_path / "again")


@pytest.mark.model
@pytest.mark.slow
def test_cli_engine_dask(dask_ok: None, corpus: Path, single: BuildResult, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.run(
        [*KG, "build", str(corpus), "-o", str(out), "-q", "--engine", "dask", "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    # Quiet means quiet: no log lines or tracebacks from the cluster either.
    assert "Traceback" not in proc.stderr and "ERROR" not in proc.stderr, proc.stderr
    write_outputs(single, tmp_path / "want")
    for f in ("entities.jsonl", "relations.jsonl"):
        assert (out / f).read_text(encoding="utf-8") == (tmp_path / "want" / f).read_text(encoding="utf-8"), f
    assert json.loads((out / "build.json").read_text(encoding="utf-8"))["documents"] == 24


def test_partitions_keep_order_and_shrink_towards_the_end() -> None:
    from kg.engine_dask import MAX_PARTITION_CHARS, partitions

    articles = [Article(id=f"d{i}", text="word " * 400) for i in range(200)]
    for slots in (1, 2, 4):
        parts = partitions(articles, slots, batch_size=32)
        assert [a.id for p in parts for a in p] == [a.id for a in articles]
        sizes = [sum(len(a.text) for a in p) for p in parts]
        assert max(sizes) <= MAX_PARTITION_CHARS and all(len(p) <= 64 for p in parts)
        # Guided: the last partitions are smaller than the first, so the workers end together.
        assert sizes[-2] < sizes[0] and sizes[-3] < sizes[0], sizes
        assert len(parts) >= 8 * slots
