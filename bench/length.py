"""Time against document length: one document of 25k, 100k, 400k and 1M characters.

    .venv/bin/python bench/length.py [--sizes 25000,100000,400000,1000000]

Each document is Wikinews articles (../shared/data/wikinews/articles.jsonl) run together until it reaches
the size, written as one .txt file and built with ``kg build`` in a fresh process. A build whose time grows
faster than the text shows as a rising "seconds per 100k characters". Prints the figures and updates
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results_file import update_section  # noqa: E402

KG = """
import json, resource, sys, time
from kg.pipeline import Settings, build_graph, write_outputs
t0 = time.perf_counter()
result = build_graph([sys.argv[1]], Settings())
write_outputs(result, sys.argv[2])
t1 = time.perf_counter()
st = result.stats
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"wall_s": t1 - t0, "load_s": st.stage_seconds["load_model"], "rss_mb": rss / 1024,
                  "entities": st.entities, "edges": st.edges}))
"""


def document(size: int) -> str:
    path = ROOT.parent / "shared" / "data" / "wikinews" / "articles.jsonl"
    texts = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    parts: list[str] = []
    total, i = 0, 0
    while total < size:
        t = texts[i % len(texts)]
        parts.append(t)
        total += len(t) + 2
        i += 1
    return "\n\n".join(parts)[:size]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="25000,100000,400000,1000000")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kg-length-"))
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        f = tmp / f"doc-{size}.txt"
        f.write_text(document(size), encoding="utf-8")
        proc = subprocess.run(
            [sys.executable, "-c", KG, str(f), str(tmp / f"out-{size}")], capture_output=True, text=True, check=True
        )
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        run_s = r["wall_s"] - r["load_s"]
        rows.append((size, run_s, 100_000 * run_s / size, r["rss_mb"], r["entities"], r["edges"]))
        print(f"{size:>9,} chars  {run_s:7.1f} s  {100_000 * run_s / size:6.2f} s/100k chars  {r['rss_mb']:6.0f} MB")
    lines = [
        "One document made of Wikinews articles run together, built with `kg build` defaults in a fresh process "
        "('seconds' excludes loading the model). Flat seconds per 100k characters mean time linear in length. "
        "Peak memory grows with the document, since spaCy parses a document whole (3.4 GB at 1M characters).",
        "",
        "| characters | seconds | seconds per 100k characters | peak RSS (MB) | entities | relations |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [f"| {s:,} | {t:.1f} | {p:.2f} | {m:.0f} | {e:,} | {r:,} |" for s, t, p, m, e, r in rows]
    update_section("Document length", "python bench/length.py", "\n".join(lines))


if __name__ == "__main__":
    main()
