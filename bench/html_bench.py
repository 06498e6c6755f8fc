"""How long the HTML explorer takes to become interactive in headless Chromium, and how big the page is.

    .venv/bin/python bench/html_bench.py [--sizes 1000:4000,5000:20000] [--repeats 3]

Each size is ACTORS:RELATIONS. The graphs are synthetic but shaped like a news corpus: actors in groups of
20 to 300 that mostly relate within their group (with hubs), relations stated by one to a few of 600
documents over two years, a fifth of the statements with an event date of their own, sentences of news
length, and one actor in eight with no relation at all. "Interactive" is the moment the page has drawn the
graph at its computed positions and answers search, filters, neighbourhoods and export (window.kg.ready),
measured from navigation start, median of the repeats. Also measured: the seconds kg spends writing the page
(layout included) and the file's size. Updates its section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results_file import update_section  # noqa: E402
from kg.build import build_graph  # noqa: E402
from kg.html import DEFAULT_MAX_NODES, render_html  # noqa: E402
from kg.ontology import load_ontology  # noqa: E402
from kg.records import Article, Entity, Provenance, Relation  # noqa: E402

TYPES = ["Person", "Country", "Organization", "ArmedGroup", "Group"]
PREDICATES = ["attacked", "opposes", "alliedWith", "supports"]
DOCUMENTS = 600
WORDS = ["the", "said", "on", "in", "after", "officials", "according", "to", "reported", "government", "forces"]
#: The targets at 5,000 actors and 20,000 relations.
TTI_LIMIT_S = 4.0
SIZE_LIMIT_MB = 15.0


def graph(n: int, m: int, seed: int = 3):  # type: ignore[no-untyped-def]
    """About ``n`` actors and exactly ``m`` relations (edges), shaped like a corpus (see the module text)."""
    rng = random.Random(seed)
    docs = {}
    for i in range(DOCUMENTS):
        day = rng.randrange(730)
        date = f"{2019 + day // 365}-{day % 365 // 31 + 1:02d}-{day % 31 % 28 + 1:02d}"
        docs[f"d{i}"] = Article(f"d{i}", "x", title=f"Synthetic report {i}", date=date, url=f"https://news.example/{i}")
    related = n - n // 8
    groups: list[range] = []
    start = 0
    while start < related:
        size = rng.randint(20, 300)
        groups.append(range(start, min(related, start + size)))
        start += size
    group_of = {a: g for g in groups for a in g}
    ents = [
        Entity(f"name/a{i}", f"Actor {i} {rng.choice(WORDS).title()}", TYPES[i % 5], (f"Actor {i}",), 1, ("d0",))
        for i in range(n)
    ]
    edges: set[tuple[int, int, str]] = set()
    rels = []
    while len(edges) < m:
        s = rng.randrange(related)
        group = group_of[s]
        # Hubs: a tenth of each group draws most of its relations.
        pick = group.start + int(len(group) * rng.random() ** 3) if rng.random() < 0.5 else rng.choice(group)
        o = pick if rng.random() < 0.85 else rng.randrange(related)
        p = rng.choice(PREDICATES)
        # One relation per pair and predicate either way: kg keeps one edge for a symmetric pair.
        if s == o or (min(s, o), max(s, o), p) in edges:
            continue
        edges.add((min(s, o), max(s, o), p))
        for _ in range(1 + int(rng.random() ** 4 * 4)):
            doc = f"d{rng.randrange(DOCUMENTS)}"
            sentence = " ".join(rng.choice(WORDS) for _ in range(24)) + f" Actor {s} and Actor {o}."
            event = f"{rng.choice((2018, 2019, 2020))}-{rng.randint(1, 12):02d}" if rng.random() < 0.2 else None
            pv = Provenance(doc, sentence, 0, len(sentence), 0, 20, "verb-active", 0.8, date=event, date_text=event)
            rels.append(Relation(f"name/a{s}", p, f"name/a{o}", pv))
    g = build_graph(ents, rels, load_ontology(), docs)
    assert g.number_of_edges() == m, (g.number_of_edges(), m)  # the types fit every predicate's domain and range
    return g


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000:4000,5000:20000")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="kg-html-bench-"))
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for size in args.sizes.split(","):
            n, m = (int(x) for x in size.split(":"))
            g = graph(n, m)
            path = tmp / f"g{n}.html"
            t = time.perf_counter()
            page_text = render_html(g, max_nodes=None)
            write_s = time.perf_counter() - t
            path.write_text(page_text, encoding="utf-8")
            mb = path.stat().st_size / 1e6
            times = []
            for _ in range(args.repeats):
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                t = time.perf_counter()
                page.goto(path.as_uri())
                while not page.evaluate("!!(window.kg && window.kg.ready)"):  # CSP forbids in-page polling
                    time.sleep(0.05)
                wall = time.perf_counter() - t
                ready_ms = page.evaluate("window.kg.readyAt")
                drawn = page.evaluate(
                    "[window.kg.network.body.data.nodes.length, window.kg.network.body.data.edges.length]"
                )
                times.append(ready_ms / 1000)
                page.close()
                print(
                    f"{g.number_of_nodes():6} actors {m:6} relations: interactive after {ready_ms / 1000:5.2f} s "
                    f"(wall {wall:.2f} s; drawn {drawn[0]} actors, {drawn[1]} relations), page {mb:.1f} MB, "
                    f"written in {write_s:.1f} s",
                    flush=True,
                )
            rows.append((g.number_of_nodes(), m, statistics.median(times), mb, write_s))
        browser.close()
    lines = [
        "Time from navigation start until the page has drawn the graph at its computed positions and answers "
        f"search, filters, neighbourhoods and export (window.kg.ready), median of {args.repeats}, headless "
        "Chromium on this machine (software rendering, no GPU). Synthetic corpus-shaped graphs: groups of 20 "
        f"to 300 actors with hubs, {DOCUMENTS} dated documents, one actor in eight with no relation (not drawn).",
        "",
        "| actors | relations | interactive after (s) | page size (MB) | kg writes the page (s, layout included) |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [f"| {n:,} | {e:,} | {t:.2f} | {mb:.1f} | {w:.1f} |" for n, e, t, mb, w in rows]
    lines += [
        "",
        f"Targets at 5,000 actors and 20,000 relations: interactive in under {TTI_LIMIT_S:.0f} s, page under "
        f"{SIZE_LIMIT_MB:.0f} MB. `kg build` carries at most {DEFAULT_MAX_NODES:,} actors by default (the most "
        "relations first; `--max-nodes` changes it); the RDF and JSONL outputs always hold every actor.",
    ]
    update_section("HTML explorer: time to interactive", ".venv/bin/python bench/html_bench.py", "\n".join(lines))


if __name__ == "__main__":
    main()
