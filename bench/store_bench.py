"""The incremental store: does the cost of adding documents follow the change, and does memory stay flat?

    .venv/bin/python bench/store_bench.py [--sizes 1000,10000,100000]

Synthetic extractions (no model): each document names 12 actors drawn from a pool of 40,000 names with a
Zipf-like skew (a few actors in most documents, as in news: countries, leaders) plus 4 full names and
surnames that the corpus-level merge joins, and states 5 relations between them. The store is grown in
steps of 1,000 documents, each step timed (time per 1,000 must stay flat); at each size in ``--sizes`` the
time to add 10 new documents (open, add, commit: what a daily update costs) is compared with adding the
same 10 to an empty store. Peak RSS is the whole process's. Prints the figures and updates bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results_file import update_section  # noqa: E402
from kg.ontology import load_ontology  # noqa: E402
from kg.records import Article, DocumentExtraction, Mention, Provenance, RelationMention  # noqa: E402
from kg.store import GraphStore  # noqa: E402

POOL = 40_000
CLASSES = ("Person", "Organization", "Person", "Group", "Person", "City")
PREDICATES = ("memberOf", "opposes", "leaderOf", "attacked", "supports", "alliedWith")


def synthetic(doc_id: str, rng: random.Random) -> DocumentExtraction:
    text = f"Synthetic article {doc_id}. " * 40
    mentions: list[Mention] = []
    for i in range(12):
        n = min(int(rng.paretovariate(0.8)), POOL) - 1  # a long tail with a few very common actors
        if n < 30:
            name, cls, key = f"Country {n}", "Country", f"country/X{n:02d}"
        else:
            name, cls, key = f"Actor{n} Name{n % 997}", CLASSES[n % len(CLASSES)], None
        mentions.append(Mention(doc_id, i, i * 30, i * 30 + len(name), name, name, cls, "name", i // 3, key=key))
    for j in range(4):  # full names and their bare surnames: the merges the store re-decides
        s = rng.randrange(5000)
        full = f"Given{s % 50} Family{s}"
        for k, name in enumerate((full, f"Family{s}")):
            i = len(mentions)
            mentions.append(
                Mention(doc_id, i, 400 + j * 40 + k * 20, 410 + j * 40 + k * 20, name, name, "Person", "name", 4 + j)
            )
    relations = []
    for r in range(5):
        s, o = rng.sample(range(len(mentions)), 2)
        pv = Provenance(doc_id, "A sentence.", 0, 11, 0, 11, "model", round(rng.uniform(0.5, 0.99), 2))
        relations.append(RelationMention(s, PREDICATES[r % len(PREDICATES)], o, pv))
    article = Article(id=doc_id, text=text, title=f"Article {doc_id}", date=f"2024-{1 + int(doc_id[1:]) % 12:02d}-01")
    return DocumentExtraction(article=article, mentions=tuple(mentions), relations=tuple(relations))


def add(path: Path, docs: list[DocumentExtraction], ontology: object) -> float:
    t = time.perf_counter()
    with GraphStore(path, ontology).locked() as store:  # type: ignore[arg-type]
        for ex in docs:
            store.add(ex)
    return time.perf_counter() - t


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    args = ap.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    ontology = load_ontology()
    rng = random.Random(7)
    tmp = Path(tempfile.mkdtemp(prefix="kg-store-bench-"))
    store = tmp / "grown"
    extra = [synthetic(f"n{i}", random.Random(i)) for i in range(10)]
    empty_times = []
    for k in range(5):
        empty_times.append(add(tmp / f"empty-{k}", extra, ontology))
    empty = min(empty_times)
    print(f"10 documents into an empty store: {empty:.3f} s")
    rows, steps = [], []
    held = 0
    for size in sizes:
        while held < size:
            docs = [synthetic(f"d{held + i}", rng) for i in range(1000)]
            seconds = add(store, docs, ontology)
            held += 1000
            steps.append((held, seconds))
            if held % 10_000 == 0 or held == size:
                print(
                    f"  {held:>7} documents held; last 1,000 took {seconds:.1f} s; peak RSS {rss_mb():.0f} MB",
                    flush=True,
                )
        # 10 new documents into the grown store, then taken out again so the next size starts from the same
        times = []
        for _ in range(5):
            times.append(add(store, extra, ontology))
            with GraphStore(store, ontology).locked() as s:  # type: ignore[arg-type]
                s.remove([ex.article.id for ex in extra])
        t10 = min(times)
        db_mb = sum(f.stat().st_size for f in store.rglob("*") if f.is_file()) / 2**20
        rows.append((size, t10, t10 / empty, steps[-1][1], db_mb))
        print(f"{size:>7} held: add 10 in {t10:.3f} s ({t10 / empty:.2f}x empty); store {db_mb:.0f} MB on disk")
    first = [s for n, s in steps[:5]]
    last = [s for n, s in steps[-5:]]
    lines = [
        "Synthetic extractions (12 actors from a skewed pool of 40,000, 4 full names with their surnames and 5",
        "relations per document); the store grown 1,000 documents at a time, then 10 new documents added (best of",
        "5; open, add, commit, RDF written) and compared with adding the same 10 to an empty store.",
        "",
        "| documents held | add 10 (s) | vs empty store | last 1,000 added (s) | store on disk (MB) |",
        "| ---: | ---: | ---: | ---: | ---: |",
        *(f"| {n:,} | {t:.3f} | {r:.2f}x | {s:.1f} | {mb:.0f} |" for n, t, r, s, mb in rows),
        "",
        f"10 documents into an empty store: {empty:.3f} s. Time per 1,000 documents: first five steps "
        f"{', '.join(f'{s:.1f}' for s in first)} s; last five {', '.join(f'{s:.1f}' for s in last)} s.",
        f"Peak RSS of the whole run: {rss_mb():.0f} MB.",
    ]
    print("\n".join(lines))
    update_section(
        "Incremental store: cost of a change, memory", ".venv/bin/python bench/store_bench.py", "\n".join(lines)
    )


if __name__ == "__main__":
    main()
