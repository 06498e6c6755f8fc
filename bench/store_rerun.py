"""Re-running a corpus that a store already holds: the cost must follow the new documents only.

    .venv/bin/python bench/store_rerun.py [--articles 295]

Builds the Wikinews articles (../shared/data/wikinews/articles.jsonl) into a new store, then runs the same
build again with 1% of the articles new (their ids changed), each build in a fresh process, as a user runs
``kg build CORPUS --store STORE`` every day. Prints the figures and updates bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results_file import update_section  # noqa: E402

WIKINEWS = ROOT.parent / "shared" / "data" / "wikinews" / "articles.jsonl"


def build(corpus: Path, store: Path, out: Path) -> tuple[float, str]:
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "kg.cli", "build", str(corpus), "--store", str(store), "-o", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - t, proc.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=295)
    args = ap.parse_args()
    rows = [json.loads(line) for line in WIKINEWS.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = rows[: args.articles]
    tmp = Path(tempfile.mkdtemp(prefix="kg-rerun-"))
    corpus = tmp / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    store = tmp / "store"
    full, _ = build(corpus, store, tmp / "out1")
    n_new = max(1, len(rows) // 100)
    for r in rows[:n_new]:
        r["id"] = f"{r['id']}-new"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    again, stdout = build(corpus, store, tmp / "out2")
    same, _ = build(corpus, store, tmp / "out3")
    lines = [
        f"{len(rows)} Wikinews articles built into a new store, then the same corpus with {n_new} of them new "
        "(ids changed), then the same again with nothing new; each `kg build CORPUS --store STORE -o OUT` in a",
        "fresh process (model loading and the output files included).",
        "",
        "| build | seconds | vs first build |",
        "| --- | ---: | ---: |",
        f"| all {len(rows)} new | {full:.1f} | 1.00x |",
        f"| {n_new} new, {len(rows) - n_new} stored | {again:.1f} | {again / full:.2f}x |",
        f"| nothing new | {same:.1f} | {same / full:.2f}x |",
        "",
        "What is left when little is new is the fixed cost of a process: loading the model, reading and hashing",
        "the corpus, drawing the output files from the store.",
    ]
    print("\n".join(lines))
    print(stdout)
    update_section(
        "Incremental store: re-running a stored corpus", ".venv/bin/python bench/store_rerun.py", "\n".join(lines)
    )


if __name__ == "__main__":
    main()
