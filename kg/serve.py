"""``kg serve``: a read-only SPARQL 1.1 Protocol endpoint, served by Oxigraph's own server.

The ``oxigraph`` package ships the Oxigraph server binary; kg hands it a store folder (a graph file is loaded
into a temporary store first) and binds it to loopback unless told otherwise.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from kg import tempdirs
from kg.errors import KGError
from kg.query import STORE_SUBDIR, is_store, open_source

_TMP_PREFIX = "kg-serve-"


class ServerError(KGError):
    """The SPARQL server cannot start."""

    code = "E700"


def server_binary() -> str:
    """Path of the ``oxigraph`` server executable."""
    here = Path(sys.executable).parent / "oxigraph"
    found = str(here) if here.is_file() else shutil.which("oxigraph")
    if not found:
        raise ServerError("the Oxigraph server is not installed (pip install oxigraph)")
    return found


def prepare_location(source: str | Path) -> tuple[Path, Path | None]:
    """The store folder to serve, and a temporary folder to delete afterwards (or None)."""
    import pyoxigraph as ox

    path = Path(source)
    if path.is_dir() and is_store(path):
        return path / STORE_SUBDIR, None
    data = open_source(path)  # raises a clear InputError for bad sources
    tmp = tempdirs.make(_TMP_PREFIX)
    store = ox.Store(str(tmp))
    store.bulk_extend(data.quads_for_pattern(None, None, None, None))
    store.flush()
    del store
    return tmp, tmp


def server_command(location: Path, host: str, port: int, timeout: int = 30) -> list[str]:
    """The command line that serves ``location`` read-only with the union of all graphs as default graph, each
    query stopped after ``timeout`` seconds (an abandoned cartesian product would hold the cores for ever)."""
    return [
        server_binary(),
        "serve-read-only",
        "--location",
        str(location),
        "--bind",
        f"{host}:{port}",
        "--union-default-graph",
        "--timeout-s",
        str(timeout),
    ]


def _port_free(host: str, port: int) -> None:
    import socket

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise ServerError(f"cannot serve on {host}:{port}: {exc.strerror or exc} (choose another --port)") from None


def _die_with_parent() -> None:
    """In the server process: be sent SIGTERM when kg serve dies, even by SIGKILL (Linux prctl)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: Ctrl-C and SIGTERM still stop the server
        pass


def _wait_ready(proc: subprocess.Popen[bytes], host: str, port: int, seconds: float = 60.0) -> None:
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerError(f"the SPARQL server stopped as it started (exit status {proc.returncode})")
        try:
            with socket.create_connection((host if host not in ("0.0.0.0", "::") else "127.0.0.1", port), 0.5):
                return
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise ServerError(f"the SPARQL server did not answer on {host}:{port} within {seconds:g} s")


#: Largest request body the endpoint reads (a SPARQL query is a few kilobytes).
MAX_BODY = 1_000_000


def _proxy_handler(upstream: str, allow_service: bool, timeout: int) -> type[BaseHTTPRequestHandler]:
    """The handler of kg's front server: it checks each SPARQL query (:func:`kg.query.check_query`: nesting,
    SERVICE) before Oxigraph's server sees it, and answers only once Oxigraph's answer is complete, so an error
    in the middle of a result is an HTTP error, never a 200 with half a JSON document."""
    from http.client import HTTPException
    from urllib.error import HTTPError, URLError
    from urllib.parse import parse_qs, urlsplit
    from urllib.request import Request, urlopen

    from kg.query import QueryError, check_query

    class Proxy(BaseHTTPRequestHandler):
        server_version = "kg-serve"

        def do_GET(self) -> None:
            self._handle(None)

        def do_POST(self) -> None:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if not 0 <= length <= MAX_BODY:
                self._reply(413, f"request body must be 0 to {MAX_BODY:,} bytes".encode(), "text/plain")
                return
            self._handle(self.rfile.read(length))

        def _query_text(self, body: bytes | None) -> str | None:
            url = urlsplit(self.path)
            if body is None:
                return next(iter(parse_qs(url.query).get("query", [])), None)
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            text = body.decode("utf-8", "replace")
            if ctype == "application/sparql-query":
                return text
            if ctype == "application/x-www-form-urlencoded":
                return next(iter(parse_qs(text).get("query", [])), None)
            return None

        def _handle(self, body: bytes | None) -> None:
            path = urlsplit(self.path).path
            if path == "/query":
                query = self._query_text(body)
                if query is None:
                    self._reply(400, b"no SPARQL query in the request", "text/plain")
                    return
                try:
                    check_query(query, allow_service=allow_service)
                except QueryError as exc:
                    self._reply(400, exc.message.encode("utf-8"), "text/plain")
                    return
            headers = {k: v for k, v in self.headers.items() if k.lower() in ("accept", "content-type")}
            request = Request(upstream + self.path, data=body, method=self.command, headers=headers)
            try:
                with urlopen(request, timeout=timeout + 10) as answer:
                    data = answer.read()
                    self._reply(answer.status, data, answer.headers.get("Content-Type", "text/plain"))
            except HTTPError as exc:
                self._reply(exc.code, exc.read(), exc.headers.get("Content-Type", "text/plain"))
            except (URLError, TimeoutError, OSError, HTTPException) as exc:  # HTTPException: an answer cut short
                self._reply(502, f"the SPARQL engine failed: {exc!r}".encode(), "text/plain")

        def _reply(self, status: int, data: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass  # one line per request would drown the terminal

    return Proxy


def serve(
    source: str | Path,
    host: str = "127.0.0.1",
    port: int = 7878,
    timeout: int = 30,
    on_ready: Callable[[], None] | None = None,
    allow_service: bool = False,
) -> int:
    """Serve ``source`` until interrupted; returns 0 when stopped by Ctrl-C or SIGTERM.

    Oxigraph's server runs read-only on a private loopback port; kg's front server on ``host:port`` checks
    every query before passing it on (nesting, SERVICE unless ``allow_service``) and answers only complete
    results. The port is checked before anything is loaded, and ``on_ready`` is called only once both
    servers answer (the CLI prints its banner then, never before a failed start). Oxigraph's server dies with
    kg serve, however kg serve dies.

    Raises:
        ServerError: the port is taken, or the server does not start.
    """
    import threading

    _port_free(host, port)
    tempdirs.remove_dead(_TMP_PREFIX)
    location, tmp = prepare_location(source)
    proc: subprocess.Popen[bytes] | None = None
    try:
        inner = _free_loopback_port()
        proc = subprocess.Popen(
            server_command(location, "127.0.0.1", inner, timeout),
            preexec_fn=_die_with_parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_ready(proc, "127.0.0.1", inner)
        try:
            front = ThreadingHTTPServer(
                (host, port), _proxy_handler(f"http://127.0.0.1:{inner}", allow_service, timeout)
            )
        except OSError as exc:
            raise ServerError(f"cannot serve on {host}:{port}: {exc.strerror or exc} (choose another --port)") from None
        front.daemon_threads = True
        # Stopping kg serve (Ctrl-C, or SIGTERM from a supervisor) stops both servers.
        signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=front.shutdown, daemon=True).start())
        if on_ready is not None:
            on_ready()
        try:
            front.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            front.server_close()
        return 0
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _free_loopback_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
