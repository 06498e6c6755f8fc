"""Shared fixtures. Model-backed fixtures are session-scoped: the model loads once per test run."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SEED = DATA / "seed-article.txt"
TEST_DATA = Path(__file__).resolve().parent / "data"
SHARED = ROOT.parent / "shared" / "data"
WIKINEWS = SHARED / "wikinews" / "articles.jsonl"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Tests that take the `nlp` or a built-graph fixture need the real model: mark them so `make unit` skips them.
    model_fixtures = {"nlp", "seed_result", "seed_graph", "gold_results", "build_texts", "wikinews_graph"}
    for item in items:
        if model_fixtures & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)


@pytest.fixture(scope="session")
def ontology() -> Any:
    from kg.ontology import load_ontology

    return load_ontology()


@pytest.fixture(scope="session")
def nlp() -> Any:
    from kg.nlp import load_pipeline

    return load_pipeline()


@pytest.fixture(scope="session")
def seed_result() -> Any:
    from kg.pipeline import build_graph

    result = build_graph([SEED])
    assert_valid(result.graph)
    return result


@pytest.fixture(scope="session")
def seed_graph(seed_result: Any) -> Any:
    return seed_result.graph


@pytest.fixture(scope="session")
def wikinews_graph() -> Any:
    """The graph of the 295 Wikinews articles in ../shared/data (a minute or two; built once per session)."""
    if not WIKINEWS.is_file():
        pytest.skip("../shared/data/wikinews is not here")
    from kg.pipeline import Settings, build_graph

    return build_graph([WIKINEWS], Settings(batch_size=64)).graph


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium (Debian's) for the session's browser tests (tests/browser.py)."""
    from tests.browser import launch

    yield from launch()


@pytest.fixture(scope="session")
def build_texts(nlp: Any, ontology: Any) -> Callable[..., Any]:
    """Build a graph from texts with the session's model (no reload per test)."""
    from kg.build import build_graph
    from kg.extract import extract_document
    from kg.nlp import parse
    from kg.records import Article
    from kg.resolve import resolve

    def run(*texts: str) -> Any:
        articles = [Article(id=f"t{i}", text=t) for i, t in enumerate(texts)]
        extractions = [extract_document(d, a, ontology) for d, a in parse(nlp, articles, ontology)]
        entities, relations = resolve(extractions, ontology)
        graph = build_graph(entities, relations, ontology, {a.id: a for a in articles})
        assert_valid(graph)
        return graph

    return run


def assert_valid(graph: Any) -> None:
    """Every graph the tests build must pass kg's SHACL shapes."""
    from kg.export import to_rdf
    from kg.validate import validate

    report = validate(to_rdf(graph))
    assert report.conforms, report.text


def edges(g: Any, *, negated: bool | None = False) -> set[tuple[str, str, str]]:
    """(subject label, predicate, object label) of every edge."""
    out = set()
    for s, o, d in g.edges(data=True):
        if negated is None or d["negated"] == negated:
            out.add((g.nodes[s]["label"], d["predicate"], g.nodes[o]["label"]))
    return out


def labels(g: Any) -> list[str]:
    return [d["label"] for _, d in g.nodes(data=True)]
