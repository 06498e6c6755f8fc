"""Load test of `kg serve` on loopback: 2,000 SPARQL requests from 8 threads, latency and errors.

    .venv/bin/python bench/serve_bench.py [--requests 2000 --threads 8]

Builds the sample article, serves its graph with `kg serve`, and sends the saved queries of queries/ (the
parameterised ones with their parameter bound) round-robin over HTTP POST. Prints p50/p99 latency and the
number of errors, and updates bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results_file import update_section  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def queries() -> list[str]:
    from kg.query import bind_parameters

    out = []
    for path in sorted((ROOT / "queries").glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        for name in ("actor", "subject", "object"):
            if f"?{name}" in text and "VALUES" not in text:
                text = bind_parameters(text, {name: "Qassem Soleimani" if name != "subject" else "United States"})
        out.append(text)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kg-serve-bench-"))
    kg = [sys.executable, "-m", "kg.cli"]
    subprocess.run([*kg, "build", str(ROOT / "data"), "-o", str(tmp / "out"), "-q"], check=True)
    port = free_port()
    server = subprocess.Popen([*kg, "serve", str(tmp / "out"), "--port", str(port)], stderr=subprocess.PIPE, text=True)
    assert server.stderr is not None
    while "SPARQL endpoint" not in server.stderr.readline():
        if server.poll() is not None:
            raise SystemExit("kg serve did not start")
    texts = queries()
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(args.requests))

    def worker() -> None:
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            data = urllib.parse.urlencode({"query": texts[n % len(texts)]}).encode()
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/query", data=data, headers={"Accept": "application/sparql-results+json"}
            )
            t0 = time.perf_counter()
            error = None
            try:
                with urllib.request.urlopen(req, timeout=60) as r:
                    r.read()
                    if r.status != 200:
                        error = f"HTTP {r.status}"
            except (urllib.error.URLError, OSError) as exc:  # HTTPError (4xx, 5xx) included
                error = str(exc)
            dt = time.perf_counter() - t0
            with lock:
                latencies.append(dt)
                if error is not None:
                    errors.append(error)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    server.terminate()
    server.communicate(timeout=30)
    lat = sorted(latencies)
    p50 = statistics.median(lat) * 1000
    p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000
    print(f"{len(lat)} requests, {args.threads} threads, {wall:.1f} s ({len(lat) / wall:.0f} req/s)")
    print(f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, errors {len(errors)}")
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "serve.json").write_text(
        json.dumps(
            {"requests": len(lat), "threads": args.threads, "p50_ms": p50, "p99_ms": p99, "errors": len(errors)}
        ),
        encoding="utf-8",
    )
    body = (
        f"`kg serve` on the sample article's graph, on loopback: {len(lat):,} POST requests of the "
        f"{len(texts)} saved queries in queries/, round-robin, from {args.threads} threads.\n\n"
        "| requests | threads | seconds | requests/s | p50 (ms) | p99 (ms) | errors |\n"
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        f"| {len(lat):,} | {args.threads} | {wall:.1f} | {len(lat) / wall:.0f} | {p50:.1f} | {p99:.1f} "
        f"| {len(errors)} |"
    )
    update_section("SPARQL endpoint load", "python bench/serve_bench.py", body)


if __name__ == "__main__":
    main()
