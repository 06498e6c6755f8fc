"""SPARQL over a graph file, a build folder or a store, with Oxigraph.

Oxigraph is used for every source: bench/rdf_bench.py measures it against rdflib's in-memory store (see
bench/RESULTS.md) and it is the faster of the two on load and on every query measured.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import InputError, KGError

STORE_SUBDIR = "oxigraph"


class QueryError(KGError):
    """A SPARQL query that cannot be parsed or run."""

    code = "E600"


@dataclass(frozen=True)
class QueryResult:
    """A SELECT's variables and rows (terms as strings), an ASK's answer, or a CONSTRUCT's graph."""

    kind: str  # "select", "ask" or "graph"
    variables: tuple[str, ...] = ()
    rows: tuple[tuple[str | None, ...], ...] = ()
    kinds: tuple[tuple[str | None, ...], ...] = ()
    boolean: bool | None = None
    raw: Any = None


def is_store(path: Path) -> bool:
    """Whether ``path`` is a kg store folder (made by ``kg build --store``)."""
    return (path / STORE_SUBDIR).is_dir()


def open_source(source: str | Path) -> Any:
    """An Oxigraph store holding ``source``: an RDF file, a build output folder, or a kg store.

    Raises:
        InputError: The source does not exist or is not RDF kg can read.
    """
    import pyoxigraph as ox

    path = Path(source)
    if path.is_dir():
        if is_store(path):
            return ox.Store.read_only(str(path / STORE_SUBDIR))
        if (path / "graph.ttl").is_file():
            path = path / "graph.ttl"
        else:
            raise InputError(f"'{path}' is neither a kg store nor a build folder with graph.ttl")
    if not path.is_file():
        raise InputError(f"query source not found: '{path}'")
    fmt = ox.RdfFormat.from_extension(path.suffix.lstrip(".").lower())
    if fmt is None:
        raise InputError(f"cannot tell the RDF format of '{path}' from its extension (.ttl, .nt, .trig, .nq, .jsonld)")
    store = ox.Store()
    try:
        store.bulk_load(path=str(path), format=fmt)
    except (SyntaxError, ValueError, OSError) as exc:
        raise InputError(f"cannot load '{path}': {exc}") from None
    return store


def read_query(query: str) -> str:
    """The query text: ``query`` itself, or the contents of the ``.rq`` file it names."""
    if query.strip().endswith(".rq") and "\n" not in query.strip():
        p = Path(query.strip())
        if not p.is_file():
            raise InputError(f"query file not found: '{p}'")
        try:
            return p.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"query file '{p}' is not valid UTF-8 (bad byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"
            ) from None
        except OSError as exc:
            raise InputError(f"cannot read query file '{p}': {exc.strerror or exc}") from None
    return query


def _text(term: Any) -> str | None:
    if term is None:
        return None
    return str(term.value)


def _kind(term: Any) -> str | None:
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return "uri"
    return "bnode" if isinstance(term, ox.BlankNode) else "literal"


#: Deepest nesting of groups, brackets and parentheses a query may have. Thousands of nested braces overflow
#: the engine's stack and kill the process (kg serve with it); real queries stay far below this.
MAX_NESTING = 64
#: Seconds a query may run before kg gives up on it (``--timeout``).
DEFAULT_TIMEOUT = 30.0

# Long strings, short strings, IRIs and comments, in the order SPARQL's grammar reads them.
_NOT_CODE = re.compile(
    r"'''.*?'''"
    r'|""".*?"""'
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|"(?:[^"\\\n]|\\.)*"'
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|#[^\n]*",
    re.S,
)


def query_code(query: str) -> str:
    """The query with its strings, IRIs and comments blanked (same length): what is left is SPARQL syntax,
    where keywords, variables and brackets can be looked for without being fooled by a string or a comment."""
    return _NOT_CODE.sub(lambda m: " " * len(m.group()), query)


def check_query(query: str, *, allow_service: bool = False) -> None:
    """Refuse, before the engine sees it, a query nested deeper than :data:`MAX_NESTING` and (unless
    ``allow_service``) one that asks the engine to fetch a remote endpoint with SERVICE.

    Raises:
        QueryError: naming what is refused and why.
    """
    code = query_code(query)
    depth = deepest = 0
    for ch in code:
        if ch in "{([":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "})]":
            depth -= 1
    if deepest > MAX_NESTING:
        raise QueryError(f"query nested {deepest} levels deep; kg runs queries nested at most {MAX_NESTING} deep")
    if not allow_service and re.search(r"(?i)\bSERVICE\b", code):
        raise QueryError(
            "the query uses SERVICE, which makes kg fetch another endpoint over the network; "
            "federation is off unless you pass --allow-service"
        )


def run_query(
    store: Any,
    query: str,
    params: dict[str, str] | None = None,
    *,
    allow_service: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> QueryResult:
    """Run a SPARQL query; ``params`` bind variables to string literals (``actor="Islamic State"``).

    Parameters are bound as a VALUES block (see :func:`bind_parameters`); each must be a variable of the
    query. ``timeout`` (seconds, None for none) gives up on a query that runs
    longer: the engine cannot be interrupted, so the query goes on in a background thread until the process
    ends (the CLI exits at once).

    Raises:
        QueryError: Syntax error (with line and column), evaluation error, a refused query (see
            :func:`check_query`), an unused or badly named parameter, or a timeout.
    """
    import pyoxigraph as ox

    check_query(query, allow_service=allow_service)
    if params:
        query = bind_parameters(query, params)

    def execute() -> Any:
        return store.query(query, use_default_graph_as_union=True)

    try:
        res = execute() if timeout is None else _with_timeout(execute, timeout)
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax error: {exc}") from None
    except (OSError, ValueError, RuntimeError) as exc:
        raise QueryError(f"query failed: {exc}") from None
    if isinstance(res, ox.QueryBoolean):
        return QueryResult(kind="ask", boolean=bool(res), raw=res)
    if isinstance(res, (ox.QuerySolutions, _Solutions)):
        variables = tuple(v.value for v in res.variables)
        solutions = list(res)
        rows = tuple(tuple(_text(sol[v]) for v in variables) for sol in solutions)
        kinds = tuple(tuple(_kind(sol[v]) for v in variables) for sol in solutions)
        return QueryResult(kind="select", variables=variables, rows=rows, kinds=kinds)
    return QueryResult(kind="graph", raw=list(res))


def bind_parameters(query: str, params: dict[str, str]) -> str:
    """``query`` with ``params`` bound to string literals by a VALUES block that opens its WHERE group, so that
    every FILTER sees them. The group is found in the query's syntax, never in a comment or a string; the values
    are written with N-Triples escaping, so no value can end the literal. ``CONSTRUCT WHERE { ... }`` (whose
    group may hold triples only) gets the block after the query instead.

    Raises:
        QueryError: a parameter that is not a variable of the query (misspelled names are not ignored), or
            a query with no group to bind in.
    """
    import pyoxigraph as ox

    code = query_code(query)
    used = set(re.findall(r"[?$]([A-Za-z_][A-Za-z0-9_]*)", code))
    for name in params:
        if not name.isidentifier():
            raise QueryError(f"bad parameter name '{name}': use letters, digits and _")
        if name not in used:
            raise QueryError(
                f"parameter '{name}' is not a variable of the query; its variables: {', '.join(sorted(used)) or 'none'}"
            )
    names = " ".join(f"?{k}" for k in params)
    values = " ".join(str(ox.Literal(v)) for v in params.values())
    block = f"VALUES ({names}) {{ ({values}) }}"
    if re.search(r"(?i)\bCONSTRUCT\s+WHERE\s*\{", code):
        return f"{query}\n{block}"
    m = re.search(r"(?i)\bWHERE\s*\{", code) or re.search(r"\{", code)
    if m is None:
        raise QueryError("cannot bind parameters: the query has no WHERE clause")
    return f"{query[: m.end()]} {block} {query[m.end() :]}"


def _with_timeout(call: Any, seconds: float) -> Any:
    """``call()`` in a daemon thread, its solutions read there too (the engine computes them lazily)."""
    import threading

    import pyoxigraph as ox

    box: dict[str, Any] = {}

    def work() -> None:
        try:
            res = call()
            if isinstance(res, ox.QuerySolutions):
                box["result"] = _Solutions(res.variables, list(res))
            elif isinstance(res, ox.QueryBoolean):
                box["result"] = res
            else:
                box["result"] = list(res)
        except BaseException as exc:  # handed over to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=work, daemon=True, name="kg-query")
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise QueryError(f"query timed out after {seconds:g} s (--timeout)")
    if "error" in box:
        raise box["error"]
    return box["result"]


class _Solutions(list[Any]):
    """Solutions read in the worker thread, with their variables (as ``QuerySolutions`` has them)."""

    def __init__(self, variables: Any, rows: list[Any]) -> None:
        super().__init__(rows)
        self.variables = variables


def serialize_rows(result: QueryResult, fmt: str) -> str:
    """SELECT results as ``csv``, ``tsv`` or ``json`` (SPARQL 1.1 results JSON)."""
    import csv
    import io
    import json

    if result.kind == "ask":
        return json.dumps({"head": {}, "boolean": result.boolean}) if fmt == "json" else str(result.boolean).lower()
    if fmt == "json":
        bindings = [
            {
                v: {"type": kind, "value": val}
                for v, val, kind in zip(result.variables, row, kinds, strict=True)
                if val is not None
            }
            for row, kinds in zip(result.rows, result.kinds, strict=True)
        ]
        return json.dumps(
            {"head": {"vars": list(result.variables)}, "results": {"bindings": bindings}}, ensure_ascii=False
        )
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def export_rdf(source: str | Path, dest: str | Path, fmt: str | None = None) -> None:
    """Write the RDF of ``source`` (store, build folder or file) to ``dest`` in an RDF format.

    Raises:
        UnknownFormatError: The format is not an RDF format kg writes.
    """
    from kg.errors import OutputError, UnknownFormatError
    from kg.export import NETWORKX_FORMATS, format_for, serialize_quads

    ext = format_for(dest, fmt)
    if ext in NETWORKX_FORMATS:
        raise UnknownFormatError("GraphML and GEXF come from `kg build --format graphml,gexf`, not from RDF")
    dest = Path(dest)
    if dest.is_symlink():
        # Writing through the link would replace a file the user may not know this name points to; replacing the
        # link would silently break whatever else uses it. Say so instead.
        raise OutputError(f"'{dest}' is a symbolic link (to '{os.readlink(dest)}'); name the file itself")
    if dest.exists() and not dest.is_file():
        kind = "a folder" if dest.is_dir() else "not a regular file (a device, pipe or socket)"
        raise OutputError(f"'{dest}' is {kind}; kg export writes a new or regular file")
    store = open_source(source)
    tmp = dest.with_name(f".{dest.name}.tmp")
    try:
        serialize_quads(store.quads_for_pattern(None, None, None, None), tmp, ext)
        tmp.replace(dest)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write '{dest}': {exc}") from None
