"""Throughput: kg build end to end against raw spaCy on the same texts, with peak memory.

    .venv/bin/python bench/throughput.py [--copies 200]

The corpus (at least 2,000 documents) is every CoNLL04 train and dev sentence from ../shared/data/conll04
plus copies of the sample article and of the project's own gold texts (duplicates are fine for timing).
Each measurement runs in a fresh process: raw spaCy is ``nlp.pipe`` with the same model and no
extraction (the physical limit of this design); kg is ``kg build`` (ingest, extraction, resolution, RDF,
HTML, JSONL) with --n-process 1 and 2. Prints the figures and updates bench/RESULTS.md.
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

RAW = """
import json, resource, sys, time
import spacy
from kg.nlp import PREFERRED_MODELS
texts = [json.loads(l)["text"] for l in open(sys.argv[1], encoding="utf-8")]
t0 = time.perf_counter()
for name in PREFERRED_MODELS:
    try:
        nlp = spacy.load(name)
        break
    except OSError:
        continue
t1 = time.perf_counter()
words = 0
for doc in nlp.pipe(texts, batch_size=32, n_process=int(sys.argv[2])):
    words += sum(1 for t in doc if not t.is_space and not t.is_punct)
t2 = time.perf_counter()
rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"docs": len(texts), "words": words, "load_s": t1 - t0, "run_s": t2 - t1, "wall_s": t2 - t0,
                  "rss_mb": rss / 1024}))
"""

KG = """
import json, resource, sys, time
t0 = time.perf_counter()
from kg.pipeline import Settings, build_graph, write_outputs
result = build_graph([sys.argv[1]], Settings(n_process=int(sys.argv[2]), batch_size=32))
t1 = time.perf_counter()
write_outputs(result, sys.argv[3])
t2 = time.perf_counter()
rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
st = result.stats
print(json.dumps({"docs": st.documents, "load_s": st.stage_seconds["load_model"], "stages": st.stage_seconds,
                  "write_s": t2 - t1, "wall_s": t2 - t0, "run_s": t2 - t0 - st.stage_seconds["load_model"],
                  "rss_mb": rss / 1024, "entities": st.entities, "edges": st.edges}))
"""


def corpus(path: Path, copies: int) -> int:
    shared = ROOT.parent / "shared" / "data" / "conll04"
    texts = []
    for split in ("train", "dev"):
        f = shared / f"{split}.jsonl"
        if f.is_file():
            texts += [json.loads(line)["text"] for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    own = [(ROOT / "data" / "seed-article.txt").read_text(encoding="utf-8")]
    own += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests" / "data" / "gold").glob("*.txt"))]
    texts += [t for _ in range(copies) for t in own]
    with path.open("w", encoding="utf-8") as fh:
        for i, t in enumerate(texts):
            fh.write(json.dumps({"id": f"doc-{i}", "text": t}) + "\n")
    return len(texts)


def run(code: str, *args: str) -> dict[str, float]:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=2, help="Rounds; each figure is the fastest of its rounds.")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kg-throughput-"))
    data = tmp / "corpus.jsonl"
    n = corpus(data, args.copies)
    # This machine's speed drifts over minutes (other tenants): the three runs take turns, round after round,
    # and each figure is its fastest round, so that a slow spell does not fall on one of them alone.
    rounds: dict[str, list[dict[str, float]]] = {}
    for _ in range(args.repeat):
        rounds.setdefault("raw spaCy, 1 process", []).append(run(RAW, str(data), "1"))
        rounds.setdefault("kg build, --n-process 1", []).append(run(KG, str(data), "1", str(tmp / "out1")))
        rounds.setdefault("kg build, --n-process 2", []).append(run(KG, str(data), "2", str(tmp / "out2")))
    rows = {name: min(runs, key=lambda r: r["run_s"]) for name, runs in rounds.items()}
    raw = rows["raw spaCy, 1 process"]
    words = raw["words"]
    print(f"corpus: {n} documents, {int(words):,} words")
    print(f"{'run':28} {'docs/s':>8} {'words/s':>9} {'run s':>7} {'wall s':>7} {'RSS MB':>7}")
    for name, r in rows.items():
        print(
            f"{name:28} {n / r['run_s']:8.1f} {words / r['run_s']:9.0f} {r['run_s']:7.1f} {r['wall_s']:7.1f}"
            f" {r['rss_mb']:7.0f}"
        )
    k1, k2 = rows["kg build, --n-process 1"], rows["kg build, --n-process 2"]
    stages: dict[str, float] = k1["stages"]  # type: ignore[assignment]  # the one field that is not a number
    clean_share = 100 * stages["clean"] / k1["wall_s"]
    ratio1 = raw["run_s"] / k1["run_s"]
    speedup = k1["run_s"] / k2["run_s"]
    print(f"kg/raw throughput with 1 process: {ratio1:.2f} (target >= 0.8)")
    print(f"kg 2 processes vs 1: {speedup:.2f}x (target >= 1.7)")
    print(f"kg stage seconds (1 process): {stages} + write {k1['write_s']:.1f}")
    print(f"cleaning share of the build: {clean_share:.1f}% (target < 3%)")
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "throughput.json").write_text(
        json.dumps(
            {"documents": n, "words": words, "runs": rows, "kg_over_raw": ratio1, "speedup_2_over_1": speedup}, indent=1
        ),
        encoding="utf-8",
    )
    lines = [
        f"Corpus: {n:,} documents, {int(words):,} words (every CoNLL04 train and dev sentence, plus "
        f"{args.copies} copies each of the sample article and the four gold texts). 'run' excludes loading "
        "the model (about a second for each); 'wall' is the whole process. Peak RSS is that of the largest single "
        "process: with --n-process 2 each of the two workers holds its own copy of the model. The three runs take "
        f"turns for {args.repeat} rounds and each figure is its fastest round (this shared machine's speed "
        "drifts over minutes).",
        "",
        "| run | docs/s | words/s | run (s) | wall (s) | peak RSS (MB) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {n / r['run_s']:.1f} | {words / r['run_s']:,.0f} | {r['run_s']:.1f} | "
            f"{r['wall_s']:.1f} | {r['rss_mb']:.0f} |"
        )
    lines += [
        "",
        f"- kg / raw spaCy throughput, one process: **{ratio1:.2f}** (target 0.8).",
        f"- kg with two processes vs one: **{speedup:.2f}x** (target 1.7x).",
        f"- Where kg's time goes (one process, seconds): {json.dumps(stages)}, writing outputs "
        f"{k1['write_s']:.1f}. `extract` is kg's own rules and relation model, `clean` the cleaning stage (the "
        "corpus-wide repeat hashing included); the rest of `parse_and_extract` is spaCy.",
        f"- Cleaning's share of the build (one process): **{clean_share:.1f}%** (target under 3%).",
    ]
    update_section("Throughput: kg build vs raw spaCy", ".venv/bin/python bench/throughput.py", "\n".join(lines))


if __name__ == "__main__":
    main()
