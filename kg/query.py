"""SPARQL over a graph file, a build folder or a store, with Oxigraph.

Oxigraph is used for every source: bench/rdf_bench.py measures it against rdflib's in-memory store (see
bench/RESULTS.md) and it is the faster of the two on load and on every query measured.
"""

from __future__ import annotations

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


def run_query(store: Any, query: str, params: dict[str, str] | None = None) -> QueryResult:
    """Run a SPARQL query; ``params`` bind variables to string literals (``actor="Islamic State"``).

    Raises:
        QueryError: Syntax error (with line and column) or evaluation error.
    """
    import pyoxigraph as ox

    if params:
        for name in params:
            if not name.isidentifier():
                raise QueryError(f"bad parameter name '{name}': use letters, digits and _")
        names = " ".join(f"?{k}" for k in params)
        values = " ".join(str(ox.Literal(v)) for v in params.values())  # N-Triples escaping: injection-safe
        # An inline VALUES block opening the WHERE group binds the variables before any FILTER reads them.
        m = re.search(r"(?i)\bWHERE\s*\{", query) or re.search(r"\{", query)
        if m is None:
            raise QueryError("cannot bind parameters: the query has no WHERE clause")
        query = f"{query[: m.end()]} VALUES ({names}) {{ ({values}) }} {query[m.end() :]}"
    try:
        res = store.query(query, use_default_graph_as_union=True)
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax error: {exc}") from None
    except (OSError, ValueError, RuntimeError) as exc:
        raise QueryError(f"query failed: {exc}") from None
    if isinstance(res, ox.QueryBoolean):
        return QueryResult(kind="ask", boolean=bool(res), raw=res)
    if isinstance(res, ox.QuerySolutions):
        variables = tuple(v.value for v in res.variables)
        solutions = list(res)
        rows = tuple(tuple(_text(sol[v]) for v in variables) for sol in solutions)
        kinds = tuple(tuple(_kind(sol[v]) for v in variables) for sol in solutions)
        return QueryResult(kind="select", variables=variables, rows=rows, kinds=kinds)
    return QueryResult(kind="graph", raw=list(res))


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
    store = open_source(source)
    dest = Path(dest)
    tmp = dest.with_name(f".{dest.name}.tmp")
    try:
        serialize_quads(store.quads_for_pattern(None, None, None, None), tmp, ext)
        tmp.replace(dest)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write '{dest}': {exc}") from None
