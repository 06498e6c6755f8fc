"""``kg export SOURCE --to URL``: every graph lands on a real Oxigraph server, pushing again replaces, and each
failure (bad URL, nobody listening, a refusing or silent server) is one line naming the URL and the graph."""

from __future__ import annotations

import base64
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.export import ENTITIES_GRAPH
from kg.iri import document_iri
from kg.push import PushError, auth_from_env, push_graphs
from tests.conftest import TEST_DATA
from tests.test_cli import assert_clean_failure, run
from tests.test_rdf import _free_port

DOC_A = document_iri("a b/é")
# Characters that must be percent-encoded in ?graph=, or the server would read another graph name.
DOC_B = "https://example.org/doc?x=1&graph=2#frag"
SOURCE = f"""@prefix ex: <http://example.org/> .
ex:s ex:p "in the default graph" .
<{DOC_A}> {{ ex:a ex:says "café «quoted» \\"x\\"\\nsecond line"@fr ; ex:count 3 . [] ex:about ex:a . }}
<{DOC_B}> {{ ex:b ex:p ex:c . }}
<{ENTITIES_GRAPH}> {{ ex:a a ex:Actor . ex:b a ex:Actor . }}
"""


# --- helpers -----------------------------------------------------------------------------------------


@pytest.fixture
def oxigraph(tmp_path: Path) -> Iterator[str]:
    """A read-write Oxigraph server on loopback, with an empty store; yields its base URL."""
    from kg.serve import server_binary

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "oxigraph.log").open("wb")
    proc = subprocess.Popen(
        [server_binary(), "serve", "--location", str(tmp_path / "server"), "--bind", f"127.0.0.1:{port}"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((tmp_path / "oxigraph.log").read_text()) from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def write_source(path: Path, text: str = SOURCE) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def graphs_of(quads: Any) -> dict[str, Graph]:
    """Quads grouped by graph name ('' for the default graph), each graph as rdflib's, so that graphs with blank
    nodes compare by isomorphism (the server names blank nodes afresh)."""
    import pyoxigraph as ox

    triples: dict[str, list[Any]] = {}
    for q in quads:
        name = "" if isinstance(q.graph_name, ox.DefaultGraph) else q.graph_name.value
        triples.setdefault(name, []).append(q.triple)
    return {
        name: Graph().parse(data=ox.serialize(ts, format=ox.RdfFormat.N_TRIPLES) or b"", format="nt")
        for name, ts in triples.items()
    }


def source_graphs(source: Path) -> dict[str, Graph]:
    from kg.query import open_source

    return graphs_of(open_source(source).quads_for_pattern(None, None, None, None))


def server_graphs(base: str) -> dict[str, Graph]:
    """Everything the server holds, read back with a GET of the whole dataset."""
    import pyoxigraph as ox

    request = urllib.request.Request(f"{base}/store", headers={"Accept": "application/n-quads"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        data = answer.read()
    return graphs_of(ox.parse(data, format=ox.RdfFormat.N_QUADS))


def assert_same(got: dict[str, Graph], expected: dict[str, Graph]) -> None:
    assert sorted(got) == sorted(expected)
    for name, graph in expected.items():
        assert len(got[name]) == len(graph), name
        assert isomorphic(got[name], graph), name


@dataclass
class Stub:
    """A tiny HTTP server that answers each request with the next of ``answers`` (then 204) and keeps what
    it was sent. An answer is ``(status, body)``, or ``("sleep", seconds)`` to keep the client waiting."""

    url: str
    answers: list[tuple[Any, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    close_after_each: bool = False


@pytest.fixture
def stub() -> Iterator[Stub]:
    state = Stub(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real graph stores do

        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.requests.append(
                {"client": self.client_address, "path": self.path, "headers": dict(self.headers), "body": body}
            )
            answer: tuple[Any, Any] = state.answers.pop(0) if state.answers else (204, b"")
            status, data = answer
            if status == "sleep":
                time.sleep(data)
                status, data = 204, b""
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            # Closing without saying so: the client finds out only when it sends its next request.
            self.close_connection = state.close_after_each

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/ds/data"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


# --- against a real Oxigraph server --------------------------------------------------------------------


def test_push_copies_every_graph_to_the_server(oxigraph: str, tmp_path: Path) -> None:
    source = write_source(tmp_path / "source.trig")
    report = push_graphs(source, f"{oxigraph}/store")
    expected = source_graphs(source)
    assert set(expected) == {"", DOC_A, DOC_B, str(ENTITIES_GRAPH)}
    assert (report.graphs, report.triples) == (4, sum(len(g) for g in expected.values())) == (4, 7)
    assert_same(server_graphs(oxigraph), expected)


def test_pushing_again_replaces_each_graph_and_leaves_other_graphs_alone(oxigraph: str, tmp_path: Path) -> None:
    other = urllib.request.Request(
        f"{oxigraph}/store?graph=urn:other",
        data=b"<urn:x> <urn:y> <urn:z> .\n",
        method="PUT",
        headers={"Content-Type": "application/n-triples"},
    )
    with urllib.request.urlopen(other, timeout=30):
        pass
    first = write_source(tmp_path / "first.trig")
    push_graphs(first, f"{oxigraph}/store")
    push_graphs(first, f"{oxigraph}/store")  # the same again: nothing doubles (blank nodes would)
    held = server_graphs(oxigraph)
    assert_same({k: v for k, v in held.items() if k != "urn:other"}, source_graphs(first))
    # The document changed: a triple gone, another new. The server's graph must be the new one, not both.
    second = write_source(tmp_path / "second.trig", SOURCE.replace("ex:count 3", "ex:count 4"))
    push_graphs(second, f"{oxigraph}/store")
    held = server_graphs(oxigraph)
    assert len(held.pop("urn:other")) == 1
    assert_same(held, source_graphs(second))


def test_a_wrong_path_on_the_server_is_a_one_line_error(oxigraph: str, tmp_path: Path) -> None:
    source = write_source(tmp_path / "source.trig")
    with pytest.raises(PushError) as err:
        push_graphs(source, f"{oxigraph}/nope")
    message = str(err.value)
    assert "\n" not in message
    assert f"'{oxigraph}/nope' answered HTTP 404" in message
    assert "0 of 4 graphs pushed" in message


@pytest.mark.model
def test_push_a_store_built_by_kg(oxigraph: str, tmp_path: Path) -> None:
    from kg.pipeline import build_into_store

    store = tmp_path / "store"
    texts = sorted((TEST_DATA / "gold").glob("*.txt"))
    build_into_store(texts, store)
    report = push_graphs(store, f"{oxigraph}/store")
    expected = source_graphs(store)
    assert str(ENTITIES_GRAPH) in expected
    assert sum(name.startswith(document_iri("")) for name in expected) == len(texts)
    assert (report.graphs, report.triples) == (len(expected), sum(len(g) for g in expected.values()))
    assert_same(server_graphs(oxigraph), expected)


# --- what is sent, and failures --------------------------------------------------------------------------


def test_each_graph_is_one_put_of_n_triples_on_one_connection(stub: Stub, tmp_path: Path) -> None:
    source = write_source(tmp_path / "source.trig")
    push_graphs(source, stub.url + "?x=1", auth=("user", "pa:ss"))
    assert len({r["client"] for r in stub.requests}) == 1  # keep-alive: one TCP connection for every graph
    sent = [
        (urlsplit(r["path"]).path, parse_qs(urlsplit(r["path"]).query, keep_blank_values=True)) for r in stub.requests
    ]
    assert [path for path, _ in sent] == ["/ds/data"] * 4
    assert all(query["x"] == ["1"] for _, query in sent)  # the endpoint's own parameters are kept
    assert sorted(q.get("graph", ["default"])[0] for _, q in sent) == sorted(
        ["default", DOC_A, DOC_B, str(ENTITIES_GRAPH)]
    )
    assert sum("default" in q for _, q in sent) == 1
    token = base64.b64encode(b"user:pa:ss").decode()
    for r in stub.requests:
        assert r["headers"]["Content-Type"] == "application/n-triples"
        assert r["headers"]["Authorization"] == f"Basic {token}"
        Graph().parse(data=r["body"].decode("utf-8"), format="nt")  # each body is N-Triples on its own


def test_a_connection_the_server_closed_while_idle_is_opened_again(stub: Stub, tmp_path: Path) -> None:
    stub.close_after_each = True
    report = push_graphs(write_source(tmp_path / "source.trig"), stub.url)
    assert report.graphs == 4 and len(stub.requests) == 4
    assert len({r["client"] for r in stub.requests}) == 4


@pytest.mark.parametrize(
    ("status", "body", "needles"),
    [
        (500, b"boom: cannot store graph\n  at line 2 of the stack", ("HTTP 500", "boom: cannot store graph")),
        (502, b"<!DOCTYPE html>\n<html><head><title>Bad Gateway</title></head></html>", ("HTTP 502", "Bad Gateway")),
        (401, b"", ("HTTP 401", "set KG_GSP_AUTH=user:password")),
        (413, b"too big", ("HTTP 413", "too big")),
    ],
)
def test_a_refusal_names_the_url_the_graph_and_what_went_before(
    stub: Stub, tmp_path: Path, status: int, body: bytes, needles: tuple[str, ...]
) -> None:
    stub.answers = [(204, b""), (201, b""), (status, body)]
    with pytest.raises(PushError) as err:
        push_graphs(write_source(tmp_path / "source.trig"), stub.url)
    message = str(err.value)
    assert message.startswith("[E800]") and "\n" not in message
    assert f"'{stub.url}'" in message and "2 of 4 graphs pushed before it" in message and "PUT replaces" in message
    assert "stack" not in message  # the server's first line only
    assert f"graph <{ENTITIES_GRAPH}>" in message  # graphs go in IRI order: DOC_B, DOC_A, entities, default
    for needle in needles:
        assert needle in message
    assert len(stub.requests) == 3  # stopped at the first refusal


def test_a_silent_server_times_out(stub: Stub, tmp_path: Path) -> None:
    stub.answers = [("sleep", 3)]
    with pytest.raises(PushError, match=r"did not answer within 0.5 s .*0 of 4 graphs pushed"):
        push_graphs(write_source(tmp_path / "source.trig"), stub.url, timeout=0.5)


def test_nobody_listening_is_a_one_line_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}/store"
    with pytest.raises(PushError) as err:
        push_graphs(write_source(tmp_path / "source.trig"), url)
    message = str(err.value)
    assert "\n" not in message
    assert f"cannot connect to '{url}': connection refused" in message and "0 of 4 graphs pushed" in message


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("ftp://example.org/store", "has scheme 'ftp'; valid schemes: http, https"),
        ("127.0.0.1:7878/store", "has no scheme; valid schemes: http, https"),
        ("http:///store", "has no host"),
        ("http://example.org:99999/store", "Port out of range"),
        ("http://admin:secret@example.org/store", "'http://***@example.org/store' holds credentials"),
        ("http://example.org/my store", "holds ' '; percent-encode it"),
        ("http://example.org/store#x", "has a fragment"),
    ],
)
def test_a_bad_url_is_refused_before_anything_is_read(url: str, needle: str, tmp_path: Path) -> None:
    with pytest.raises(PushError) as err:
        push_graphs(tmp_path / "missing.trig", url)  # the URL is checked first: the missing source is not reached
    assert needle in str(err.value)
    assert "secret" not in str(err.value)


def test_auth_comes_from_kg_gsp_auth() -> None:
    assert auth_from_env({}) is None
    assert auth_from_env({"KG_GSP_AUTH": ""}) is None
    assert auth_from_env({"KG_GSP_AUTH": "user:pa:ss"}) == ("user", "pa:ss")
    with pytest.raises(PushError, match="KG_GSP_AUTH must be user:password"):
        auth_from_env({"KG_GSP_AUTH": "user"})


def test_a_blank_node_graph_name_cannot_be_pushed(stub: Stub, tmp_path: Path) -> None:
    source = write_source(tmp_path / "source.trig", "_:g { <urn:a> <urn:b> <urn:c> . }\n")
    with pytest.raises(PushError, match="is a blank node"):
        push_graphs(source, stub.url)
    assert stub.requests == []


# --- the command line ----------------------------------------------------------------------------------


def test_cli_pushes_and_says_how_much(oxigraph: str, tmp_path: Path) -> None:
    source = write_source(tmp_path / "source.trig")
    proc = run("export", str(source), "--to", f"{oxigraph}/store")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"pushed 4 graphs (7 triples) to {oxigraph}/store in ")
    assert_same(server_graphs(oxigraph), source_graphs(source))


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        ((), ("[E801] missing DEST",)),
        (("out.nt", "--to", "http://127.0.0.1:1/store"), ("[E801]", "not both")),
        (("--to", "http://127.0.0.1:1/store", "--format", "trig"), ("[E802]", "--format is for files")),
        (("--to", "ftp://example.org/store"), ("[E800]", "'ftp://example.org/store'", "valid schemes: http, https")),
        (("--to", "CLOSED"), ("[E800]", "connection refused", "0 of 4 graphs pushed")),
    ],
)
def test_cli_failures_are_one_line(tmp_path: Path, args: tuple[str, ...], needles: tuple[str, ...]) -> None:
    source = write_source(tmp_path / "source.trig")
    closed = f"http://127.0.0.1:{_free_port()}/store"
    args = tuple(closed if a == "CLOSED" else a for a in args)
    proc = run("export", str(source), *args, cwd=tmp_path)
    assert proc.returncode == 1
    assert_clean_failure(proc, tmp_path / "no-output", *needles)
    assert not (tmp_path / "out.nt").exists()


def test_cli_reads_credentials_from_the_environment(
    stub: Stub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KG_GSP_AUTH", "nocolon")
    proc = run("export", str(write_source(tmp_path / "source.trig")), "--to", stub.url)
    assert_clean_failure(proc, tmp_path / "no-output", "[E800] KG_GSP_AUTH must be user:password")
    monkeypatch.setenv("KG_GSP_AUTH", "user:pw")
    proc = run("export", str(tmp_path / "source.trig"), "--to", stub.url)
    assert proc.returncode == 0, proc.stderr
    assert stub.requests[0]["headers"]["Authorization"] == "Basic " + base64.b64encode(b"user:pw").decode()
