"""How long the HTML explorer takes to become interactive in headless Chromium, by graph size.

    .venv/bin/python bench/html_bench.py [--sizes 100,1000,5000]

"Interactive" is the moment the page's layout has settled and frozen (window.kg.ready): the graph is drawn,
search and filters work. Measured from navigation start, three times each, median reported; the pages
are kg's own, made from synthetic graphs with about 1.5 relations per actor. Updates bench/RESULTS.md.
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


def graph(n: int, seed: int = 3):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    ents = [Entity(f"name/a{i}", f"Actor {i}", TYPES[i % 5], (f"Actor {i}",), 1, ("d",)) for i in range(n)]
    rels = []
    for _ in range(int(n * 1.5)):
        s, o = rng.sample(range(n), 2)
        pv = Provenance("d", f"Actor {s} and Actor {o}.", 0, 20, 0, 20, "verb-active", 0.8)
        rels.append(Relation(f"name/a{s}", rng.choice(PREDICATES), f"name/a{o}", pv))
    return build_graph(ents, rels, load_ontology(), {"d": Article("d", "x", title="Synthetic")})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,1000,5000")
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
        for n in (int(x) for x in args.sizes.split(",")):
            g = graph(n)
            path = tmp / f"g{n}.html"
            path.write_text(render_html(g, max_nodes=None), encoding="utf-8")
            times = []
            for _ in range(args.repeats):
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                t = time.perf_counter()
                page.goto(path.as_uri())
                while not page.evaluate("!!(window.kg && window.kg.ready)"):  # CSP forbids in-page polling
                    time.sleep(0.05)
                wall = time.perf_counter() - t
                ready_ms = page.evaluate("window.kg.readyAt")
                times.append(ready_ms / 1000)
                page.close()
                print(
                    f"{n:6} nodes {g.number_of_edges():6} edges: interactive after {ready_ms / 1000:6.2f} s "
                    f"(wall {wall:.2f} s, page {path.stat().st_size / 1e6:.1f} MB)"
                )
            rows.append((n, g.number_of_edges(), statistics.median(times), path.stat().st_size / 1e6))
        browser.close()
    lines = [
        "Time from navigation start until the layout has settled and frozen and the page answers search and "
        f"filters (window.kg.ready), median of {args.repeats}, headless Chromium on this machine (software "
        "rendering, no GPU).",
        "",
        "| actors | relations | interactive after (s) | page size (MB) |",
        "| ---: | ---: | ---: | ---: |",
    ]
    lines += [f"| {n:,} | {e:,} | {t:.2f} | {mb:.1f} |" for n, e, t, mb in rows]
    lines += [
        "",
        f"`kg build` draws at most {DEFAULT_MAX_NODES:,} actors by default (the most connected; "
        "`--max-nodes` changes it) so that a page opens within seconds on a laptop; the RDF and JSONL "
        "outputs always hold every actor.",
    ]
    update_section("HTML explorer: time to interactive", ".venv/bin/python bench/html_bench.py", "\n".join(lines))


if __name__ == "__main__":
    main()
