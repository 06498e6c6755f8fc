"""``kg serve``: a read-only SPARQL 1.1 Protocol endpoint, served by Oxigraph's own server.

The ``oxigraph`` package ships the Oxigraph server binary; kg hands it a store folder (a graph file is loaded
into a temporary store first) and binds it to loopback unless told otherwise.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from kg.errors import KGError
from kg.query import STORE_SUBDIR, is_store, open_source


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
    tmp = Path(tempfile.mkdtemp(prefix="kg-serve-"))
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


def serve(source: str | Path, host: str = "127.0.0.1", port: int = 7878, timeout: int = 30) -> int:
    """Serve ``source`` until interrupted; returns the server's exit status."""
    location, tmp = prepare_location(source)
    try:
        proc = subprocess.Popen(server_command(location, host, port, timeout))
        # Stopping kg serve (Ctrl-C or SIGTERM from a supervisor) stops the server it started.
        signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            return proc.wait()
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
