"""The audit's hostile inputs (tests/data/hostile/): each gives a one-line error, a warning, or outputs that
other tools read; never a traceback, a hang or a half-written folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_DATA
from tests.test_cli import assert_clean_failure, run
from tests.test_rdf import _free_port

HOSTILE = TEST_DATA / "hostile"


@pytest.mark.parametrize(
    ("name", "needles"),
    [
        ("nested.jsonl", ("line 1", "nested too deeply")),
        ("long-id.jsonl", ("line 1", "invalid JSON")),
        ("surrogate.jsonl", ("line 1", "field 'text'", "lone surrogate", "\\ud800")),
    ],
)
def test_hostile_jsonl_is_a_one_line_error(tmp_path: Path, name: str, needles: tuple[str, ...]) -> None:
    out = tmp_path / "out"
    assert_clean_failure(run("build", str(HOSTILE / name), "-o", str(out)), out, name, *needles)


def test_a_path_too_long_is_a_one_line_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert_clean_failure(run("build", str(tmp_path / ("x" * 300 + ".txt")), "-o", str(out)), out, "cannot read")


def test_a_bad_date_is_a_warning_and_the_build_goes_on(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run("build", str(HOSTILE / "bad-date.jsonl"), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("kg: warning:")]
    assert len(warnings) == 1 and "'2019-13-45' is not a calendar date" in warnings[0], proc.stderr
    assert "2019-13-45" not in (out / "graph.ttl").read_text(encoding="utf-8")


def test_fields_with_line_breaks_and_controls_give_outputs_every_tool_reads(tmp_path: Path) -> None:
    from tests.test_outputs_parse import RDF_FORMATS, parse_rdf

    out = tmp_path / "out"
    proc = run("build", str(HOSTILE / "newline-fields.jsonl"), "-o", str(out), "-f", "nt,trig,nq,jsonld,graphml,gexf")
    assert proc.returncode == 0, proc.stderr
    import networkx as nx

    for ext in RDF_FORMATS:
        parse_rdf(out / f"graph{ext}")
    assert nx.read_graphml(out / "graph.graphml").number_of_nodes() > 0
    assert nx.read_gexf(out / "graph.gexf").number_of_nodes() > 0
    proc = run("validate", str(out / "graph.ttl"))
    assert proc.returncode == 0 and "conforms" in proc.stdout, proc.stdout + proc.stderr


def test_a_query_file_that_is_not_utf8_is_a_one_line_error(tmp_path: Path) -> None:
    q = tmp_path / "q.rq"
    q.write_bytes(b"\xff\xfe SELECT * WHERE { ?s ?p ?o }")
    graph = tmp_path / "g.ttl"
    graph.write_text("<http://e.org/a> <http://e.org/p> <http://e.org/b> .\n", encoding="utf-8")
    out = tmp_path / "out"
    assert_clean_failure(run("query", str(graph), str(q)), out, "not valid UTF-8", "offset 0")


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("not json", "not a CoNLL04 JSON line"),
        ('{"id": "x", "text": "ab", "entities": [{"start": 0, "end": 9, "type": "Peop"}], "relations": []}', "needs"),
        ('{"id": "x", "text": "ab", "entities": [], "relations": [{"head": 0, "tail": 1, "type": "Kill"}]}', "needs"),
    ],
)
def test_malformed_conll04_is_a_one_line_error(tmp_path: Path, line: str, needle: str) -> None:
    f = tmp_path / "c.jsonl"
    f.write_text(line + "\n", encoding="utf-8")
    assert_clean_failure(run("conll04", str(f)), tmp_path / "out", "line 1", needle)


@pytest.mark.slow
@pytest.mark.model
def test_a_long_document_builds_in_time_linear_in_its_length(tmp_path: Path) -> None:
    # 300,000 characters took minutes while sentence dates, the gazetteer and pronouns scanned the whole
    # document per sentence or mention (about 15 s now; bench/length.py measures the curve). The timeout
    # is a guard against the quadratic path coming back, not a speed target.
    import subprocess

    from tests.conftest import SEED

    seed = SEED.read_text(encoding="utf-8")
    doc = tmp_path / "long.txt"
    doc.write_text(("\n\n".join([seed] * (300_000 // len(seed) + 1)))[:300_000], encoding="utf-8")
    out = tmp_path / "out"
    try:
        proc = run("build", str(doc), "-o", str(out))
    except subprocess.TimeoutExpired:
        pytest.fail("a 300,000-character document did not build within 300 s")
    assert proc.returncode == 0, proc.stderr
    assert (out / "graph.ttl").is_file()


@pytest.mark.parametrize("kind", ["device", "symlink", "folder"])
def test_export_refuses_a_destination_that_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    graph = tmp_path / "g.ttl"
    graph.write_text("<http://e.org/a> <http://e.org/p> <http://e.org/b> .\n", encoding="utf-8")
    target = tmp_path / "target.nt"
    target.write_text("precious\n", encoding="utf-8")
    if kind == "device":
        dest = Path("/dev/null")
    elif kind == "symlink":
        dest = tmp_path / "link.nt"
        dest.symlink_to(target)
    else:
        dest = tmp_path / "dir.nt"
        dest.mkdir()
    proc = run("export", str(graph), str(dest))
    assert_clean_failure(proc, tmp_path / "out", str(dest))
    assert target.read_text(encoding="utf-8") == "precious\n"
    assert Path("/dev/null").is_char_device()
    if kind == "symlink":
        assert dest.is_symlink()


def test_empty_out_and_absurd_process_counts_are_refused(tmp_path: Path) -> None:
    import os

    from tests.conftest import SEED

    proc = run("build", str(SEED), "--out", "")
    assert proc.returncode == 1 and "--out is empty" in proc.stderr
    out = tmp_path / "out"
    proc = run("build", str(SEED), "-o", str(out), "-n", "100000")
    assert_clean_failure(proc, out, "n_process is 100000", f"{os.cpu_count()} cores")


def test_skipped_folders_are_named_in_warnings(tmp_path: Path) -> None:
    import warnings

    from kg.errors import KGWarning
    from kg.ingest import find_files

    corpus = tmp_path / "corpus"
    (corpus / "a").mkdir(parents=True)
    (corpus / "a" / "one.txt").write_text("Iraq attacked Iran.", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "two.txt").write_text("Iran attacked Iraq.", encoding="utf-8")
    (corpus / "linked").symlink_to(elsewhere)
    built = corpus / "out"
    built.mkdir()
    (built / "build.json").write_text('{"kg_version": "0.1.0", "files": {}}', encoding="utf-8")
    (built / "entities.jsonl").write_text('{"id": "x", "text": "not an article"}\n', encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        files = find_files([corpus])
    assert [name for _, name in files] == ["a/one.txt"]
    said = " | ".join(str(w.message) for w in caught if issubclass(w.category, KGWarning))
    assert "linked': a link to a folder is not followed" in said
    assert "out': it holds the output of a kg build" in said


def test_documents_not_in_english_get_one_warning(tmp_path: Path) -> None:
    out = tmp_path / "out"
    f = tmp_path / "mixed.jsonl"
    rows = [
        {"id": "ru", "text": "Москва заявила, что российские войска нанесли удар по Харькову в пятницу. " * 4},
        {
            "id": "en",
            "text": "Russia said its forces struck Kharkiv on Friday, and Ukraine said it would respond. " * 4,
        },
    ]
    import json

    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    proc = run("build", str(f), "-o", str(out), "-q")
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("kg: warning:")]
    assert len(lines) == 1 and "1 of 2 documents do not look like English ('ru')" in lines[0], proc.stderr


def _store(n: int = 20) -> object:
    import pyoxigraph as ox

    store = ox.Store()
    for i in range(n):
        store.add(
            ox.Quad(ox.NamedNode(f"http://e.org/s{i}"), ox.NamedNode("http://e.org/name"), ox.Literal(f"name {i}"))
        )
    return store


def test_a_deeply_nested_query_is_refused_before_the_engine_sees_it() -> None:
    from kg.query import QueryError, run_query

    deep = "SELECT * WHERE " + "{" * 3000 + " ?s ?p ?o " + "}" * 3000
    with pytest.raises(QueryError, match="nested 3000 levels deep"):
        run_query(_store(), deep)
    ok = "SELECT * WHERE { { { ?s ?p ?o } } }"
    assert len(run_query(_store(), ok).rows) == 20


def test_service_is_refused_unless_allowed() -> None:
    from kg.query import QueryError, check_query, run_query

    q = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/internal> { ?s ?p ?o } }"
    with pytest.raises(QueryError, match="--allow-service"):
        run_query(_store(), q)
    check_query(q, allow_service=True)
    # the word inside a string, an IRI or a comment is not a SERVICE clause
    check_query('SELECT * WHERE { ?s ?p "SERVICE" . ?s ?p <http://e.org/SERVICE> } # SERVICE')


def test_parameters_are_bound_in_the_query_syntax_not_in_a_comment_or_string() -> None:
    from kg.query import QueryError, run_query

    store = _store()
    commented = "# a WHERE { in a comment\nSELECT ?s WHERE { ?s <http://e.org/name> ?n . FILTER(?n = ?want) }"
    assert run_query(store, commented, {"want": "name 3"}).rows == (("http://e.org/s3",),)
    brace = 'SELECT ?s WHERE { ?s <http://e.org/name> ?n . FILTER(?n != "{" && ?n = ?want) }'
    assert run_query(store, brace, {"want": "name 4"}).rows == (("http://e.org/s4",),)
    construct = "CONSTRUCT WHERE { ?s <http://e.org/name> ?want }"
    assert len(run_query(store, construct, {"want": "name 5"}).raw) == 1
    with pytest.raises(QueryError, match="parameter 'wnat' is not a variable of the query; its variables: n, s, want"):
        run_query(store, commented, {"wnat": "name 3"})


def test_a_query_that_runs_too_long_times_out() -> None:
    from kg.query import QueryError, run_query

    cartesian = "SELECT (COUNT(*) AS ?c) WHERE { ?a ?p ?x . ?b ?q ?y . ?c2 ?r ?z . ?d ?t ?w . ?e ?u ?v }"
    with pytest.raises(QueryError, match=r"timed out after 0.5 s"):
        run_query(_store(400), cartesian, timeout=0.5)


def test_serve_on_a_taken_port_fails_without_the_banner(tmp_path: Path) -> None:
    import socket

    graph = tmp_path / "g.ttl"
    graph.write_text("<http://e.org/a> <http://e.org/p> <http://e.org/b> .\n", encoding="utf-8")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        proc = run("serve", str(graph), "--port", str(port))
    assert_clean_failure(proc, tmp_path / "out", f"127.0.0.1:{port}", "--port")
    assert "SPARQL endpoint" not in proc.stderr


def _banner(proc: Any) -> bool:
    """Read the server's stderr up to kg's banner (Oxigraph's own "Listening" line may come first)."""
    for _ in range(5):
        line = proc.stderr.readline()
        if "SPARQL endpoint" in line:
            return True
    return False


@pytest.mark.slow
def test_killing_kg_serve_stops_its_server_and_the_next_start_removes_its_temp_store(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import tempfile
    import time

    graph = tmp_path / "g.ttl"
    graph.write_text("<http://e.org/a> <http://e.org/p> <http://e.org/b> .\n", encoding="utf-8")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", str(graph), "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert _banner(proc)  # printed once the server answers
    temps = list(Path(tempfile.gettempdir()).glob(f"kg-serve-{proc.pid}-*"))
    assert len(temps) == 1
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    assert children
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 20
    while Path(f"/proc/{children[0]}").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not Path(f"/proc/{children[0]}").exists(), "the oxigraph server outlived kg serve"
    port2 = _free_port()
    again = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", str(graph), "--port", str(port2)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _banner(again)
        assert not temps[0].exists()
    finally:
        again.terminate()
        again.communicate(timeout=30)


def test_the_endpoint_refuses_deep_nesting_and_service_and_still_answers(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys
    import urllib.error
    import urllib.parse
    import urllib.request

    graph = tmp_path / "g.ttl"
    graph.write_text("<http://e.org/a> <http://e.org/p> <http://e.org/b> .\n", encoding="utf-8")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", str(graph), "--port", str(port)], stderr=subprocess.PIPE, text=True
    )
    try:
        assert _banner(proc)

        def ask(query: str) -> tuple[int, bytes]:
            data = urllib.parse.urlencode({"query": query}).encode()
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/query", data=data, headers={"Accept": "application/sparql-results+json"}
            )
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    return r.status, r.read()
            except urllib.error.HTTPError as exc:
                return exc.code, exc.read()

        status, body = ask("SELECT * WHERE " + "{" * 3000 + " ?s ?p ?o " + "}" * 3000)
        assert status == 400 and b"nested 3000 levels deep" in body
        status, body = ask("SELECT * WHERE { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }")
        assert status == 400 and b"--allow-service" in body
        status, body = ask("SELECT ?s WHERE { ?s ?p ?o }")
        assert status == 200
        assert json.loads(body)["results"]["bindings"][0]["s"]["value"] == "http://e.org/a"
        assert proc.poll() is None  # still serving
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_serve_stops_a_query_at_its_timeout(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.parse
    import urllib.request

    graph = tmp_path / "g.nt"
    graph.write_text("".join(f"<http://e.org/s{i}> <http://e.org/p> <http://e.org/o{i}> .\n" for i in range(400)))
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", str(graph), "--port", str(port), "--timeout", "1"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _banner(proc)
        cartesian = "SELECT (COUNT(*) AS ?c) WHERE { ?a ?p ?x . ?b ?q ?y . ?c2 ?r ?z . ?d ?t ?w . ?e ?u ?v }"
        data = urllib.parse.urlencode({"query": cartesian}).encode()
        t0 = time.monotonic()
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/query", data=data, timeout=60)
        assert time.monotonic() - t0 < 30  # stopped by the server, not by the client giving up
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_an_unreadable_subfolder_is_named_in_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import warnings

    from kg.errors import KGWarning
    from kg.ingest import find_files

    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "a.txt").write_text("Iraq attacked Iran.", encoding="utf-8")
    (tmp_path / "locked").mkdir()
    real = os.scandir

    def scandir(path: Any = ".") -> Any:
        if str(path).endswith("locked"):  # as root, chmod 000 does not stop reading; refuse it here
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        files = find_files([tmp_path])
    assert [name for _, name in files] == ["ok/a.txt"]
    assert any("locked': Permission denied" in str(w.message) for w in caught if issubclass(w.category, KGWarning))


def test_malformed_gold_and_rdf_give_one_line_errors(tmp_path: Path) -> None:
    gold = tmp_path / "gold.json"
    gold.write_text('{"entities": [', encoding="utf-8")
    assert_clean_failure(run("eval", str(gold), str(tmp_path)), tmp_path / "out", "gold.json", "not valid JSON")
    ttl = tmp_path / "bad.ttl"
    ttl.write_text("@prefix x: <http://e.org/> .\nx:a x:b \n x:c x:d x:e .\n", encoding="utf-8")
    assert_clean_failure(run("validate", str(ttl)), tmp_path / "out", "cannot parse", "bad.ttl")


def test_an_unreadable_file_named_directly_is_an_input_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kg.errors import InputError
    from kg.ingest import load_articles

    f = tmp_path / "secret.txt"
    f.write_text("Iraq attacked Iran.", encoding="utf-8")

    def denied(self: Path) -> bytes:  # as root, chmod 000 does not stop reading; refuse it here
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(InputError, match=r"cannot read '.*secret.txt': Permission denied"):
        load_articles([f])


def test_an_answer_cut_short_by_the_engine_is_an_http_error_not_a_200() -> None:
    # Oxigraph's server streams results: an error after the first rows used to reach the client as a 200
    # with half a JSON document. kg's front server reads the whole answer first.
    import threading
    import urllib.error
    import urllib.parse
    import urllib.request
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from kg.serve import _proxy_handler

    class Broken(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"head": {"vars": ["s"]}, "results": {"bindings": [')  # then the engine fails

        def log_message(self, format: str, *args: object) -> None:
            pass

    engine = ThreadingHTTPServer(("127.0.0.1", 0), Broken)
    front = ThreadingHTTPServer(("127.0.0.1", 0), _proxy_handler(f"http://127.0.0.1:{engine.server_port}", False, 5))
    for server in (engine, front):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        query = urllib.parse.urlencode({"query": "SELECT ?s WHERE { ?s ?p ?o }"})
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"http://127.0.0.1:{front.server_port}/query?{query}", timeout=30)
        assert caught.value.code == 502
        caught.value.close()
    finally:
        for server in (engine, front):
            server.shutdown()
            server.server_close()


@pytest.mark.parametrize(
    ("name", "needle"), [("nested.rq", "nested 3000 levels deep"), ("service.rq", "--allow-service")]
)
def test_kg_query_refuses_the_hostile_queries(tmp_path: Path, name: str, needle: str) -> None:
    graph = tmp_path / "g.ttl"
    graph.write_text("<http://e.org/a> <http://e.org/p> <http://e.org/b> .\n", encoding="utf-8")
    assert_clean_failure(run("query", str(graph), str(HOSTILE / name)), tmp_path / "out", needle)


def test_kg_query_times_out(tmp_path: Path) -> None:
    graph = tmp_path / "g.nt"
    graph.write_text("".join(f"<http://e.org/s{i}> <http://e.org/p> <http://e.org/o{i}> .\n" for i in range(400)))
    proc = run("query", str(graph), str(HOSTILE / "cartesian.rq"), "--timeout", "1")
    assert_clean_failure(proc, tmp_path / "out", "timed out after 1 s")
