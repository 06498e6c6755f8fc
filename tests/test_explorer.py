"""The explorer on a corpus: time, sources, neighbourhoods and paths, layout and labels, export.

Most tests drive one page of a small hand-made corpus (no model) in headless Chromium with the network
blocked, and check what the page draws against what the graph says (computed here in Python, independently
of the page's code). The last test builds the 295 Wikinews articles, draws their page and keeps a screenshot
in test-artifacts/.
"""

from __future__ import annotations

import csv
import io
import math
import re
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from kg.build import build_graph
from kg.html import month_period, page_data, render_html, statement_period
from kg.records import Article, Entity, Provenance, Relation
from tests.browser import Page, page_of
from tests.conftest import ROOT

ARTIFACTS = ROOT / "test-artifacts"
HOSTILE_TITLE = '<img src=x onerror="window.__xss = 1">Report'

DOCS = {
    "d1": ("One", "2019-01-10", "https://news.example/one"),
    "d2": ("Two", "2019-03-05", "https://news.example/two"),
    "d3": ("Three", "2019-06-01", "https://news.example/three"),
    "d4": ("Four", "2019-09-20", "https://news.example/four"),
    "d5": ("Five", "2019-12-02", None),
    "d6": ("Six", "2020-02-14", "https://news.example/six"),
    "d7": ("Seven", None, None),
    "d8": (HOSTILE_TITLE, "2019-05-05", "javascript:window.__xss = 2"),
}
ACTORS = {
    "A": ("Alpha Person", "Person"),
    "B": ("Bravo Land", "Country"),
    "C": ("Charlie Corp", "Organization"),
    "D": ("Delta Front", "ArmedGroup"),
    "E": ("Echo Person", "Person"),
    "F": ("Foxtrot Land", "Country"),
    "G": ("Golf Group", "Group"),
    "H": ("Hotel Person", "Person"),
    "I": ("India Org", "Organization"),
    "L1": ("Lonely One", "Person"),
    "L2": ("Lonely Two", "Country"),
}
# (subject, predicate, object, document, event date the sentence gives, negated, hedged)
STATEMENTS = [
    ("A", "attacked", "B", "d1", None, False, False),
    ("A", "attacked", "B", "d2", None, False, False),
    ("B", "opposes", "C", "d3", None, False, False),
    ("C", "supports", "D", "d4", "2018", False, False),
    ("D", "attacked", "E", "d5", None, False, False),
    ("E", "alliedWith", "F", "d1", None, False, False),
    ("E", "alliedWith", "F", "d5", None, False, False),
    ("E", "alliedWith", "F", "d6", None, False, False),
    ("F", "supports", "G", "d7", None, False, False),
    ("A", "killed", "E", "d2", None, False, True),
    ("H", "memberOf", "I", "d8", None, False, False),
    ("A", "opposes", "B", "d3", None, True, False),
]


def key(x: str) -> str:
    return f"name/{x.lower()}"


@pytest.fixture(scope="module")
def corpus(ontology: Any) -> Any:
    articles = {d: Article(d, "text", title=t, date=date, url=url) for d, (t, date, url) in DOCS.items()}
    entities = [Entity(key(x), label, cls, (label,), 2, ("d1",)) for x, (label, cls) in ACTORS.items()]
    relations = []
    for n, (s, p, o, doc, when, negated, hedged) in enumerate(STATEMENTS):
        sentence = f"Sentence {n}: {ACTORS[s][0]} {p} {ACTORS[o][0]}."
        pv = Provenance(doc, sentence, 0, len(sentence), 0, 10, "verb-active", 0.7, negated, hedged, when, when)
        relations.append(Relation(key(s), p, key(o), pv))
    return build_graph(entities, relations, ontology, articles)


@pytest.fixture(scope="module")
def page(browser: Any, corpus: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    with page_of(browser, corpus, tmp_path_factory.mktemp("explorer"), "Small corpus") as p:
        yield p


@pytest.fixture(autouse=True)
def reset(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every browser test starts from the page's defaults: all dates, one document, no focus."""
    yield
    if "page" in request.fixturenames:
        p: Page = request.getfixturevalue("page")
        p.page.click("#time-all")
        set_min_docs(p, 1)
        p.js("document.getElementById('focus-clear').click()")
        assert p.console == [] and p.blocked == []


# ---- what the graph says, computed here ----


def period(date: str | None) -> tuple[str, str] | None:
    """(first month, last month) of a date as YYYY-MM; a year covers January to December."""
    if not date:
        return None
    return (date[:7], date[:7]) if len(date) >= 7 else (f"{date}-01", f"{date}-12")


def expected_edges(
    g: Any, first: str | None = None, last: str | None = None, undated: bool = True, min_docs: int = 1
) -> set[str]:
    """Ids of the relations drawn for a date range (months, None for open) and a least number of documents."""
    docs = g.graph["documents"]
    out = set()
    for s, o, k, d in g.edges(keys=True, data=True):
        support = set()
        for pv in d["evidence"]:
            when = period(pv.date) or period(docs[pv.doc_id]["date"])
            inside = when is not None and (first is None or when[1] >= first) and (last is None or when[0] <= last)
            if inside or (when is None and undated):
                support.add(pv.doc_id)
        if support and len(support) >= min_docs:
            out.add(f"{s}|{k}|{o}")
    return out


def drawn_edges(p: Page) -> set[str]:
    return set(p.js("window.kg.network.body.data.edges.getIds()"))


def drawn_nodes(p: Page) -> set[str]:
    return set(p.js("window.kg.network.body.data.nodes.getIds()"))


def set_range(p: Page, first: str, last: str) -> None:
    """Move the date range's two sliders (the real controls) and let go."""
    a, b = p.js(f"[window.kg.step({first!r}), window.kg.step({last!r})]")
    assert a is not None and b is not None, (first, last)
    for slider, value in (("time-from", a), ("time-to", b)):  # a value, then the event a slider sends on release
        p.js(
            f"(s => {{ s.value = {value}; s.dispatchEvent(new Event('change')) }})(document.getElementById({slider!r}))"
        )


def set_min_docs(p: Page, n: int) -> None:
    p.page.fill("#min-docs", str(n))


def undirected(g: Any, edge_ids: set[str]) -> nx.Graph:
    h = nx.Graph()
    for s, o, k in g.edges(keys=True):
        if f"{s}|{k}|{o}" in edge_ids:
            h.add_edge(s, o)
    return h


def download(p: Page, selector: str) -> bytes:
    with p.page.expect_download() as info:
        p.page.click(selector)
    path = info.value.path()
    assert path is not None
    return Path(path).read_bytes()


# ---- the data the page is written from ----


def test_dates_are_the_event_date_else_the_document_date(corpus: Any) -> None:
    assert month_period("2019-05-14") == month_period("2019-05") == (2019 * 12 + 4,) * 2
    assert month_period("2018") == (2018 * 12, 2018 * 12 + 11)
    assert month_period(None) is None and month_period("May 2019") is None and month_period("2019-13") is None
    docs = corpus.graph["documents"]
    by_sentence = {pv.sentence[:11]: pv for _, _, d in corpus.edges(data=True) for pv in d["evidence"]}
    assert statement_period(by_sentence["Sentence 3:"], docs) == month_period("2018")  # the text's own date
    assert statement_period(by_sentence["Sentence 0:"], docs) == month_period("2019-01")  # its document's
    assert statement_period(by_sentence["Sentence 8:"], docs) is None  # an undated document


def test_every_relation_carries_every_source_and_only_web_links(corpus: Any) -> None:
    data = page_data(corpus)
    docs = data["docs"]
    for e in data["edges"]:
        s, k, o = e["id"].split("|")
        d = corpus.edges[s, o, k]
        assert len(e["when"]) == len(d["evidence"])
        assert {docs[w[2]]["id"] for w in e["when"]} == set(d["documents"])
        assert e["sources"] == len(d["documents"])
    widths = {e["sources"]: e["width"] for e in data["edges"]}
    assert widths[1] < widths[2] < widths[3]  # line width follows the number of documents
    urls = {d["id"]: d["url"] for d in docs}
    assert urls["d1"] == "https://news.example/one"
    assert urls["d8"] is None  # javascript: is no link
    page = render_html(corpus)
    assert "news.example" in page and not re.search(r"https?://", page)  # the sources' URLs are data, not links


def test_positions_only_for_actors_with_relations_and_none_overlap(corpus: Any) -> None:
    data = page_data(corpus)
    placed = {n["id"]: n for n in data["nodes"] if "x" in n}
    connected = {k for k in corpus if corpus.degree(k)}
    assert set(placed) == connected
    for a in placed.values():
        for b in placed.values():
            if a["id"] < b["id"]:
                assert math.dist((a["x"], a["y"]), (b["x"], b["y"])) >= a["size"] + b["size"]


# ---- the page ----


def test_only_actors_with_a_drawn_relation_are_drawn(page: Page, corpus: Any) -> None:
    connected = {k for k in corpus if corpus.degree(k)}
    assert drawn_nodes(page) == connected
    assert drawn_edges(page) == expected_edges(corpus)
    assert page.js("window.kg.nodes.length") == corpus.number_of_nodes()  # the others are carried, not drawn
    # Listed in the side panel, and one click draws one.
    page.page.click("#undrawn summary")
    listed = page.page.text_content("#undrawn-list")
    assert "Lonely One" in listed and "Lonely Two" in listed
    page.page.click("#undrawn-list button:has-text('Lonely One')")
    assert drawn_nodes(page) == connected | {key("L1")}
    assert "Lonely One" in page.page.text_content("#details")
    assert "Lonely One" not in page.page.text_content("#undrawn-list")
    page.page.click("#details button:has-text('Hide again')")
    assert drawn_nodes(page) == connected
    # Search finds an actor with no relation and draws it.
    page.page.fill("#search", "Lonely Two")
    page.page.press("#search", "Enter")
    assert key("L2") in drawn_nodes(page)
    assert page.js("window.kg.network.getSelectedNodes()") == [key("L2")]
    page.page.click("#details button:has-text('Hide again')")


def test_most_connected_ranks_by_relations(page: Page, corpus: Any) -> None:
    items = page.page.locator("#most-list li").all_text_contents()
    counts = [int(t.rsplit("(", 1)[1].rstrip(")")) for t in items]
    assert counts == sorted(counts, reverse=True)
    by_label = {corpus.nodes[k]["label"]: corpus.degree(k) for k in corpus}
    for text, n in zip(items, counts, strict=True):
        assert by_label[text.rsplit(" (", 1)[0]] == n
    assert counts[0] == max(by_label.values())


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("2019-01", "2019-03", {"A|attacked|B", "A|killed|E", "E|alliedWith|F", "F|supports|G"}),
        ("earlier", "earlier", {"C|supports|D", "F|supports|G"}),  # the 2018 event date, before the corpus
        ("2019-06", "2019-06", {"A|not:opposes|B", "B|opposes|C", "F|supports|G"}),
        ("2019-04", "2019-05", {"H|memberOf|I", "F|supports|G"}),
        ("2020-02", "2020-02", {"E|alliedWith|F", "F|supports|G"}),
    ],
)
def test_the_date_range_draws_the_relations_of_its_dates(
    page: Page, corpus: Any, first: str, last: str, expected: set[str]
) -> None:
    full = len(drawn_edges(page))
    set_range(page, first, last)
    # "earlier" is everything before the first document's month (January 2019).
    lo, hi = (None, "2018-12") if first == "earlier" else (first, last)
    want = expected_edges(corpus, lo, hi)
    assert want == {"|".join(key(p) if len(p) <= 2 else p for p in x.split("|")) for x in expected}
    assert drawn_edges(page) == want
    assert len(want) < full
    assert page.page.text_content("#time-status").startswith(f"{len(want)} relation(s)")
    # Actors left with no drawn relation go too.
    ends = {x for e in want for x in (e.split("|")[0], e.split("|")[2])}
    assert drawn_nodes(page) == ends
    # Relations with no date at all are kept only while the box says so.
    page.page.uncheck("#time-undated")
    assert drawn_edges(page) == expected_edges(corpus, lo, hi, undated=False)


def test_histogram_counts_the_statements(page: Page, corpus: Any) -> None:
    bars = page.js(
        "Array.from(document.querySelectorAll('#histogram div')).map(b => [b.title, b.classList.contains('in')])"
    )
    # earlier + January 2019 to February 2020
    assert len(bars) == 15 and all(inside for _, inside in bars)
    assert bars[0][0] == "earlier: 1 statement(s)"
    assert bars[1][0] == "2019-01: 2 statement(s)"
    total = sum(float(t.rsplit(": ", 1)[1].split()[0]) for t, _ in bars)
    dated = sum(1 for _, _, d in corpus.edges(data=True) for pv in d["evidence"] if pv.doc_id != "d7")
    assert total == pytest.approx(dated)
    set_range(page, "2019-03", "2019-05")
    inside = [
        t.split(":")[0]
        for t, on in page.js(
            "Array.from(document.querySelectorAll('#histogram div')).map(b => [b.title, b.classList.contains('in')])"
        )
        if on
    ]
    assert inside == ["2019-03", "2019-04", "2019-05"]


def test_supported_by_at_least_n_documents(page: Page, corpus: Any) -> None:
    set_min_docs(page, 2)
    assert (
        drawn_edges(page)
        == expected_edges(corpus, min_docs=2)
        == {f"{key('A')}|attacked|{key('B')}", f"{key('E')}|alliedWith|{key('F')}"}
    )
    set_min_docs(page, 3)
    assert drawn_edges(page) == {f"{key('E')}|alliedWith|{key('F')}"}
    # Within a date range a relation counts the documents of that range only.
    set_min_docs(page, 2)
    set_range(page, "2019-01", "2019-03")
    assert (
        drawn_edges(page)
        == expected_edges(corpus, "2019-01", "2019-03", min_docs=2)
        == {f"{key('A')}|attacked|{key('B')}"}
    )


def test_a_relation_lists_its_sources_with_date_and_link(page: Page) -> None:
    page.js(f"window.kg.showEdge('{key('E')}|alliedWith|{key('F')}')")
    details = page.page.text_content("#details")
    assert "in 3 document(s)" in details and "Sources (3)" in details
    for title, date in (("One", "2019-01-10"), ("Five", "2019-12-02"), ("Six", "2020-02-14")):
        assert f"{title} ({date})" in details
    links = page.js(
        "Array.from(document.querySelectorAll('#details a')).map(a => [a.textContent, a.href, a.target, a.rel])"
    )
    assert links == [
        ["One", "https://news.example/one", "_blank", "noopener noreferrer"],
        ["Six", "https://news.example/six", "_blank", "noopener noreferrer"],
    ]
    for n in (5, 6, 7):
        assert f"Sentence {n}:" in details
    assert page.blocked == []  # a link is there to follow, the page fetches nothing


def test_a_hostile_title_and_url_stay_text(page: Page) -> None:
    page.js(f"window.kg.showEdge('{key('H')}|memberOf|{key('I')}')")
    assert HOSTILE_TITLE in page.page.text_content("#details")
    assert page.js("document.querySelectorAll('#details a, #details img').length") == 0
    assert page.js("typeof window.__xss") == "undefined"


def test_an_actor_lists_its_relations_in_time_order(page: Page, corpus: Any) -> None:
    page.js(f"window.kg.showNode('{key('E')}')")
    rows = page.js("Array.from(document.querySelectorAll('#details .timeline li')).map(li => li.dataset.edge)")
    docs = corpus.graph["documents"]
    first = {}
    for s, o, k, d in corpus.edges(keys=True, data=True):
        if key("E") in (s, o):
            months = [p[0] for pv in d["evidence"] if (p := period(pv.date) or period(docs[pv.doc_id]["date"]))]
            first[f"{s}|{k}|{o}"] = min(months)
    assert rows == sorted(first, key=lambda e: (first[e], e))
    text = page.page.text_content("#details .timeline")
    assert text.index("2019-01 to 2020-02") < text.index("2019-03") < text.index("2019-12")


@pytest.mark.parametrize("hops", [1, 2])
def test_isolate_a_neighbourhood(page: Page, corpus: Any, hops: int) -> None:
    page.js(f"window.kg.network.selectNodes(['{key('A')}'])")
    page.page.click("#hop1" if hops == 1 else "#hop2")
    bright = set(page.js("window.kg.nodes.get({filter: n => n.opacity !== 0.15}).map(n => n.id)")) & drawn_nodes(page)
    want = set(nx.ego_graph(undirected(corpus, drawn_edges(page)), key("A"), radius=hops))
    assert bright == want
    assert want == {key(x) for x in ("ABE" if hops == 1 else "ABCDEF")}
    lit = set(page.js("window.kg.edges.get({filter: e => !(e.color && e.color.opacity === 0.1)}).map(e => e.id)"))
    assert lit & drawn_edges(page) == set(page.js("window.kg.visibleEdgeIds()"))
    assert "Alpha Person with the actors within" in page.page.text_content("#focus-status")
    page.page.click("#focus-clear")
    assert page.js("window.kg.nodes.get({filter: n => n.opacity === 0.15}).length") == 0


def test_shortest_chain_between_two_actors(page: Page, corpus: Any) -> None:
    page.page.fill("#path-from", "Alpha Person")
    page.page.fill("#path-to", "Golf Group")
    page.page.click("#path-go")
    steps = page.page.locator("#path-result li").all_text_contents()
    want = nx.shortest_path_length(undirected(corpus, drawn_edges(page)), key("A"), key("G"))
    assert len(steps) == want == 3
    assert "3 step(s)" in page.page.text_content("#focus-status")
    assert steps == [
        "Alpha Person killed Echo Person",
        "Echo Person alliedWith Foxtrot Land",
        "Foxtrot Land supports Golf Group",
    ]
    chain = set(page.js("window.kg.visibleEdgeIds()"))
    assert chain == {
        f"{key('A')}|killed|{key('E')}",
        f"{key('E')}|alliedWith|{key('F')}",
        f"{key('F')}|supports|{key('G')}",
    }
    # No chain across components: said, not drawn.
    page.page.fill("#path-to", "Hotel Person")
    page.page.click("#path-go")
    assert "No chain" in page.page.text_content("#focus-status")


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_exported_csv_is_the_drawn_relations(page: Page, corpus: Any) -> None:
    def exported() -> set[str]:
        rows = csv_rows(download(page, "#export-csv"))
        ids = set()
        for r in rows:
            k = r["relation"].replace("not ", "not:")
            ids.add(f"{r['subject_key']}|{k}|{r['object_key']}")
            assert r["subject"] == corpus.nodes[r["subject_key"]]["label"]
        assert len(ids) == len(rows)
        return ids

    assert exported() == drawn_edges(page) == expected_edges(corpus)
    set_range(page, "2019-01", "2019-03")
    assert exported() == drawn_edges(page) == expected_edges(corpus, "2019-01", "2019-03")
    rows = {r["relation"]: r for r in csv_rows(download(page, "#export-csv"))}
    # Sources and evidence of the range only: E alliedWith F has one document in January to March.
    allied = rows["alliedWith"]
    assert allied["documents"] == "1" and allied["sources"] == "One (2019-01-10)"
    assert allied["urls"] == "https://news.example/one" and allied["evidence"].startswith("Sentence 5:")
    assert (allied["first_date"], allied["last_date"]) == ("2019-01", "2019-01")
    page.page.click("#time-all")
    page.js(f"window.kg.isolate('{key('A')}', 1)")
    assert (
        exported()
        == set(page.js("window.kg.visibleEdgeIds()"))
        == {
            e
            for e in drawn_edges(page)
            if all(x in {key("A"), key("B"), key("E")} for x in (e.split("|")[0], e.split("|")[2]))
        }
    )


def test_a_spreadsheet_does_not_run_a_cell(page: Page, browser: Any, ontology: Any, tmp_path: Path) -> None:
    ents = [
        Entity(key("x"), "=HYPERLINK(1)", "Person", ("=HYPERLINK(1)",), 1, ("d",)),
        Entity(key("y"), 'Plain, "quoted"', "Country", ("y",), 1, ("d",)),
    ]
    pv = Provenance("d", "s", 0, 1, 0, 1, "verb-active", 0.5)
    g = build_graph(ents, [Relation(key("x"), "opposes", key("y"), pv)], ontology, {"d": Article("d", "s")})
    with page_of(browser, g, tmp_path) as p:
        (row,) = csv_rows(download(p, "#export-csv"))
        assert row["subject"] == "'=HYPERLINK(1)" and row["object"] == 'Plain, "quoted"'


def test_exported_picture_is_the_canvas(page: Page) -> None:
    png = download(page, "#export-png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert [width, height] == page.js(
        "[window.kg.network.canvas.frame.canvas.width, window.kg.network.canvas.frame.canvas.height]"
    )


def apart(a: dict[str, float], b: dict[str, float], gap: float = 0) -> bool:
    """Two label boxes (screen pixels) that neither overlap nor come nearer than ``gap`` side by side."""
    return a["x1"] + gap <= b["x0"] or b["x1"] + gap <= a["x0"] or a["y1"] <= b["y0"] or b["y1"] <= a["y0"]


def test_labels_do_not_cover_each_other(page: Page) -> None:
    page.js("window.kg.network.fit({animation: false})")
    time.sleep(0.2)  # the next frame draws the labels
    boxes = page.js("window.kg.labels")
    assert boxes
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert apart(a, b, gap=5), (a, b)


def test_communities_coloured_on_demand(page: Page) -> None:
    page.page.check("#community-colours")
    colours = page.js("window.kg.nodes.get().filter(n => 'x' in n).map(n => [n.color, n.community])")
    legend = page.js("window.kg.data.meta.communities.map(c => c.colour)")
    # An actor shown on request has no community (-1): grey, like the small communities.
    assert all(c == ((legend[k] if k >= 0 else None) or "#c7c7c7") for c, k in colours), (colours, legend)
    assert len({c for c, _ in colours}) > 1
    assert page.page.is_visible("#community-legend")
    page.page.uncheck("#community-colours")
    types = page.js("window.kg.nodes.get().map(n => [n.color, window.kg.data.meta.types[n.kgType].colour])")
    assert all(a == b for a, b in types)


# ---- the Wikinews corpus ----


@pytest.mark.slow
def test_wikinews_corpus_page(browser: Any, wikinews_graph: Any, tmp_path: Path) -> None:
    g = wikinews_graph
    path = tmp_path / "wikinews.html"
    t = time.perf_counter()
    path.write_text(render_html(g, "Wikinews 2019-2020"), encoding="utf-8")
    assert time.perf_counter() - t < 60
    p = Page(browser, path)
    try:
        time.sleep(0.3)
        ARTIFACTS.mkdir(exist_ok=True)
        p.page.screenshot(path=str(ARTIFACTS / "wikinews-explorer.png"))
        nodes, edges = drawn_nodes(p), drawn_edges(p)
        # No isolated actor is drawn: every drawn actor has a drawn relation.
        ends = {x for e in edges for x in (e.split("|")[0], e.split("|")[2])}
        assert nodes == ends and len(nodes) > 1000
        assert p.js("window.kg.nodes.length") - len(nodes) == len(
            p.js("window.kg.nodes.get({filter: n => !n.relations})")
        )
        boxes = p.js("window.kg.labels")
        top = max(g, key=lambda k: (g.degree(k), k))
        assert top in {b["id"] for b in boxes}  # the most connected actor's name shows at the default zoom
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert apart(a, b, gap=5), (a, b)
        # The date range still answers: one month of 2020 draws what the graph says.
        set_range(p, "2020-01", "2020-01")
        assert drawn_edges(p) == expected_edges(g, "2020-01", "2020-01") & edges
        p.page.screenshot(path=str(ARTIFACTS / "wikinews-explorer-2020-01.png"))
        assert p.console == [] and p.blocked == []
    finally:
        p.close()
    assert (ARTIFACTS / "wikinews-explorer.png").stat().st_size > 50_000
