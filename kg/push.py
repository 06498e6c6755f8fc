"""``kg export SOURCE --to URL``: load a graph into an external triple store over the SPARQL 1.1 Graph Store
HTTP Protocol.

Each named graph of the source (one per document, and the entities graph; the default graph too when it has
triples) is sent as N-Triples with ``PUT URL?graph=IRI`` (``PUT URL?default`` for the default graph). PUT
replaces the graph on the server, so pushing again after a failure, or after the store grew, never
duplicates anything; graphs on the server that the source does not have are left alone.

Only the standard library talks HTTP: one keep-alive connection for the whole push (thousands of small
document graphs would otherwise cost a TCP, and TLS, handshake each), one graph in flight at a time, its
body spooled to a temporary file above a few megabytes so that memory stays flat whatever the graph's size.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from kg.errors import KGError

if TYPE_CHECKING:
    from http.client import HTTPConnection
    from urllib.parse import SplitResult

#: Seconds to wait on the server (to connect, and for each read or write) before giving up.
DEFAULT_TIMEOUT = 120.0
#: The environment variable that holds ``user:password`` for HTTP basic authentication.
AUTH_ENV = "KG_GSP_AUTH"
SCHEMES = ("http", "https")
#: A graph body larger than this goes to a temporary file instead of memory.
_SPOOL_BYTES = 8 * 1024 * 1024
_CONTENT_TYPE = "application/n-triples"


class PushError(KGError):
    """A graph store that cannot be reached, or that refuses a graph."""

    code = "E800"


@dataclass(frozen=True)
class PushReport:
    """What a push sent: graphs and triples (a triple in two graphs counts twice), and how long it took."""

    url: str
    graphs: int
    triples: int
    seconds: float


def check_url(url: str) -> SplitResult:
    """``url`` split into its parts, once it is known to be an http(s) URL with a host and no credentials.

    Raises:
        PushError: naming the URL (any password in it masked) and what is wrong with it.
    """
    import re
    from urllib.parse import urlsplit

    # Credentials are refused, not used: a password in the URL would stay in shell history and in messages.
    shown = re.sub(r"//[^/?#]*@", "//***@", url)
    if shown != url:
        raise PushError(f"graph store URL '{shown}' holds credentials; set {AUTH_ENV}=user:password instead")
    bad = next((c for c in url if not (c.isascii() and c.isprintable()) or c == " "), None)
    if bad is not None:
        raise PushError(f"graph store URL '{url}' holds {bad!r}; percent-encode it")
    example = "e.g. http://localhost:3030/DATASET/data"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as exc:
        raise PushError(f"bad graph store URL '{url}': {exc} ({example})") from None
    if parts.scheme.lower() not in SCHEMES:
        scheme = f"scheme '{parts.scheme}'" if parts.scheme else "no scheme"
        raise PushError(f"graph store URL '{url}' has {scheme}; valid schemes: {', '.join(SCHEMES)} ({example})")
    if not parts.hostname:
        raise PushError(f"graph store URL '{url}' has no host ({example})")
    if parts.fragment:
        raise PushError(f"graph store URL '{url}' has a fragment ('#{parts.fragment}'); drop it")
    return parts


def auth_from_env(environ: dict[str, str] | None = None) -> tuple[str, str] | None:
    """``(user, password)`` from :data:`AUTH_ENV` (``user:password``), or None when it is unset or empty.

    Raises:
        PushError: the variable is set but has no ``:``.
    """
    value = (os.environ if environ is None else environ).get(AUTH_ENV, "")
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep:
        raise PushError(f"{AUTH_ENV} must be user:password (the value has no ':')")
    return user, password


def push_graphs(
    source: str | Path, url: str, *, timeout: float = DEFAULT_TIMEOUT, auth: tuple[str, str] | None = None
) -> PushReport:
    """PUT every graph of ``source`` (a store, a build folder or a graph file) to the Graph Store Protocol
    endpoint ``url`` (Fuseki ``http://host:3030/DATASET/data``, Oxigraph ``http://host:7878/store``, GraphDB
    ``http://host:7200/repositories/REPO/rdf-graphs/service``).

    ``auth`` is ``(user, password)`` for HTTP basic authentication.

    Raises:
        PushError: a bad URL, a server that cannot be reached or does not answer within ``timeout`` seconds,
            or an answer other than 2xx; the message names the URL, the graph and how many graphs went
            before it (pushing again is safe: PUT replaces).
        InputError: the source cannot be read.
    """
    import pyoxigraph as ox

    from kg.query import open_source

    parts = check_url(url)
    store = open_source(source)
    names = sorted(store.named_graphs(), key=lambda g: g.value)
    for name in names:
        if not isinstance(name, ox.NamedNode):
            raise PushError(f"graph {name} of '{source}' is a blank node; the Graph Store Protocol names graphs by IRI")
    graphs: list[Any] = list(names)
    if next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is not None:
        graphs.append(ox.DefaultGraph())

    headers = {"Content-Type": _CONTENT_TYPE, "User-Agent": "kg"}
    if auth is not None:
        import base64

        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    start = time.perf_counter()
    triples = 0
    conn = _connection(parts, timeout)
    try:
        for done, graph in enumerate(graphs):
            target = _target(parts, graph)
            label = "the default graph" if isinstance(graph, ox.DefaultGraph) else f"graph <{graph.value}>"
            where = f"{label} ({done} of {len(graphs)} graphs pushed before it; pushing again is safe, PUT replaces)"
            with _graph_body(store, graph) as (body, size, count):
                status, reason, message = _put(conn, target, body, {**headers, "Content-Length": str(size)}, url, where)
            if not 200 <= status < 300:
                hint = f"; set {AUTH_ENV}=user:password" if status in (401, 403) and auth is None else ""
                said = f": {message}" if message else ""
                raise PushError(f"'{url}' answered HTTP {status} {reason}{said}{hint}, for {where}")
            triples += count
    finally:
        conn.close()
    return PushReport(url=url, graphs=len(graphs), triples=triples, seconds=time.perf_counter() - start)


def _connection(parts: SplitResult, timeout: float) -> HTTPConnection:
    from http.client import HTTPConnection, HTTPSConnection

    host, port = parts.hostname or "", parts.port
    if parts.scheme.lower() == "https":
        return HTTPSConnection(host, port, timeout=timeout, blocksize=65536)
    return HTTPConnection(host, port, timeout=timeout, blocksize=65536)


def _target(parts: SplitResult, graph: Any) -> str:
    """The request target: the endpoint's path and query, plus ``graph=IRI`` or ``default``."""
    from urllib.parse import quote

    import pyoxigraph as ox

    param = "default" if isinstance(graph, ox.DefaultGraph) else f"graph={quote(graph.value, safe='')}"
    query = f"{parts.query}&{param}" if parts.query else param
    return f"{parts.path or '/'}?{query}"


@contextmanager
def _graph_body(store: Any, graph: Any) -> Iterator[tuple[IO[bytes], int, int]]:
    """The graph's triples as N-Triples in a spooled temporary file: ``(file, bytes, triples)``."""
    import tempfile

    import pyoxigraph as ox

    count = 0

    def triples() -> Iterator[Any]:
        nonlocal count
        for quad in store.quads_for_pattern(None, None, None, graph):
            count += 1
            yield quad.triple

    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES, prefix="kg-push-") as file:
        ox.serialize(triples(), file, ox.RdfFormat.N_TRIPLES)
        size = file.tell()
        file.seek(0)
        yield file, size, count


def _put(
    conn: HTTPConnection, target: str, body: IO[bytes], headers: dict[str, str], url: str, where: str
) -> tuple[int, str, str]:
    """Send one PUT; its status, reason and the first line of the answer's body.

    A keep-alive connection that the server closed while idle fails on the next request: that request is
    sent once more on a new connection (PUT is idempotent)."""
    import socket
    import ssl
    from http.client import HTTPException, RemoteDisconnected

    for attempt in (1, 2):
        reused = conn.sock is not None
        try:
            conn.request("PUT", target, body=body, headers=headers)
            answer = conn.getresponse()
            status, reason = answer.status, answer.reason
            data = answer.read() if 200 <= status < 300 else answer.read(4096)
            if not 200 <= status < 300:
                conn.close()  # the rest of the answer was not read: the connection cannot carry another request
            return status, reason, _first_line(data)
        except (RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
            conn.close()
            if reused and attempt == 1:
                body.seek(0)
                continue
            raise PushError(f"'{url}' closed the connection ({_why(exc)}), for {where}") from None
        except socket.gaierror as exc:
            raise PushError(f"cannot find the host of '{url}' ({exc.strerror or exc}), for {where}") from None
        except TimeoutError:
            raise PushError(f"'{url}' did not answer within {conn.timeout:g} s (--timeout), for {where}") from None
        except ssl.SSLError as exc:
            raise PushError(f"TLS failed with '{url}' ({exc.reason or exc}), for {where}") from None
        except ConnectionRefusedError:
            raise PushError(
                f"cannot connect to '{url}': connection refused (is the server running?), for {where}"
            ) from None
        except (OSError, HTTPException) as exc:
            raise PushError(f"cannot push to '{url}' ({_why(exc)}), for {where}") from None
    raise AssertionError("unreachable")  # pragma: no cover


def _why(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__


def _first_line(data: bytes) -> str:
    """The first non-blank line of a server's answer, cut to 200 characters (error pages can be long); tags are
    dropped from an HTML page, whose first line would otherwise be ``<!DOCTYPE html>``."""
    import re

    text = data.decode("utf-8", "replace")
    if text.lstrip().startswith("<"):
        text = re.sub(r"<[^>]*>", "\n", text)
    for line in text.splitlines():
        if line.strip():
            line = " ".join(line.split())
            return line if len(line) <= 200 else line[:199] + "…"
    return ""
