"""The HTML explorer, tested in a real headless Chromium (Debian's, driven by Playwright) with no network."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kg.build import build_graph
from kg.html import render_html
from kg.records import Article, Entity, Provenance, Relation
from tests.browser import Page, page_of
from tests.conftest import ROOT

ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def seed_page(browser: Any, seed_graph: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    with page_of(browser, seed_graph, tmp_path_factory.mktemp("html"), "Sample article") as page:
        yield page


def test_no_url_anywhere_in_the_file(seed_graph: Any) -> None:
    page = render_html(seed_graph)
    assert not re.search(r"https?://", page)
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!#|data:)""", page, re.I)


def test_loads_with_no_console_error_and_no_request(seed_page: Page) -> None:
    assert seed_page.console == []
    assert seed_page.blocked == []
    assert all(u.startswith("file:") for u in seed_page.requests), seed_page.requests


def test_counts_match_the_graph(seed_page: Page, seed_graph: Any) -> None:
    assert seed_page.js("window.kg.nodes.length") == seed_graph.number_of_nodes()
    assert seed_page.js("window.kg.edges.length") == seed_graph.number_of_edges()


def test_layout_is_computed_and_frozen(seed_page: Page) -> None:
    # Positions come from kg.layout; the page starts still, and "Resume layout" lets vis-network move it.
    assert seed_page.page.text_content("#layout-status") == "frozen"
    assert seed_page.page.text_content("#physics") == "Resume layout"


def test_search_focuses_soleimani(seed_page: Page, seed_graph: Any) -> None:
    seed_page.page.fill("#search", "Soleimani")
    seed_page.page.press("#search", "Enter")
    (key,) = [k for k, d in seed_graph.nodes(data=True) if d["label"] == "Qassem Soleimani"]
    assert seed_page.js("window.kg.focused") == key
    assert seed_page.js("window.kg.network.getSelectedNodes()") == [key]
    assert "Qassem Soleimani" in seed_page.page.text_content("#details")


def test_clicking_an_edge_shows_its_evidence(seed_page: Page, seed_graph: Any) -> None:
    (s, o, k, d) = next(
        (s, o, k, d) for s, o, k, d in seed_graph.edges(keys=True, data=True) if d["predicate"] == "killed"
    )
    edge_id = f"{s}|{k}|{o}"
    seed_page.js("window.kg.network.fit({animation: false})")
    point = seed_page.js(
        f"""(() => {{ const n = window.kg.network; const e = n.body.edges[{edge_id!r}];
            const p = e.edgeType.getPoint(0.5); const d = n.canvasToDOM(p);
            const r = document.getElementById('graph').getBoundingClientRect();
            return [d.x + r.left, d.y + r.top]; }})()"""
    )
    seed_page.page.mouse.click(point[0], point[1])
    details = seed_page.page.text_content("#details")
    assert "killed" in details
    assert d["evidence"][0].sentence in details


def test_filters_hide_relations(seed_page: Page) -> None:
    before = seed_page.js("window.kg.network.body.data.edges.length")
    seed_page.page.check('#relation-filters input[data-name="memberOf"]')
    seed_page.page.uncheck('#relation-filters input[data-name="memberOf"]')
    after = seed_page.js("window.kg.network.body.data.edges.length")
    assert after < before
    seed_page.page.check('#relation-filters input[data-name="memberOf"]')


def test_screenshot_artifact(seed_page: Page) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    seed_page.page.fill("#search", "Soleimani")
    seed_page.page.press("#search", "Enter")
    seed_page.page.screenshot(path=str(ARTIFACTS / "graph.png"))
    assert (ARTIFACTS / "graph.png").stat().st_size > 10_000


def test_hostile_text_is_shown_as_text_and_never_runs(browser: Any, ontology: Any, tmp_path: Path) -> None:
    evil_label = "<script>window.__xss = 1</script>"
    evil_alias = '"><img src=x onerror="window.__xss = 2">'
    evil_sentence = "It said <img src=x onerror=window.__xss=3> and </script><script>window.__xss=4</script>."
    entities = [
        Entity("name/evil", evil_label, "Person", (evil_label, evil_alias), 2, ("d1",)),
        Entity("country/IRN", "Iran", "Country", ("Iran",), 1, ("d1",)),
    ]
    pv = Provenance("d1", evil_sentence, 0, len(evil_sentence), 0, 10, "verb-active", 0.8)
    g = build_graph(
        entities,
        [Relation("name/evil", "opposes", "country/IRN", pv)],
        ontology,
        {"d1": Article("d1", evil_sentence, title='<b onmouseover="window.__xss=5">t</b>')},
    )
    with page_of(browser, g, tmp_path) as page:
        page.page.fill("#search", evil_label)
        page.page.press("#search", "Enter")
        page.js("window.kg.showEdge(window.kg.edges.getIds()[0])")
        assert page.js("typeof window.__xss") == "undefined"
        assert page.js("document.querySelectorAll('#details img, #details script, #details b').length") == 0
        assert evil_sentence in page.page.text_content("#details")
        assert page.console == [] and page.blocked == []


def test_max_nodes_keeps_the_most_connected_and_says_so(browser: Any, seed_graph: Any, tmp_path: Path) -> None:
    with page_of(browser, seed_graph, tmp_path, max_nodes=5) as page:
        assert page.js("window.kg.nodes.length") == 5
        summary = page.page.text_content("#summary")
        assert f"of {seed_graph.number_of_nodes()}" in summary and "left out" in summary
        labels = set(page.js("window.kg.nodes.map(n => n.label)"))
        assert "United States" in labels  # the most connected actor stays
        dropped = page.page.text_content("#dropped-list")
        missing = {d["label"] for _, d in seed_graph.nodes(data=True)} - labels
        assert missing and all(name in dropped for name in missing)
