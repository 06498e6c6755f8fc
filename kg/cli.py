"""The ``kg`` command line: a thin layer over the library. Only this module prints."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from kg.pipeline import BuildResult

app = typer.Typer(
    name="kg",
    help="Build a knowledge graph of actors and their relations from news articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(message: str) -> NoReturn:
    # One line, always: messages quoting a parser (rdflib's span several lines) are folded.
    typer.echo(f"kg: error: {' '.join(message.split())}", err=True)
    raise typer.Exit(code=1)


@contextmanager
def _reported() -> Iterator[None]:
    """Turn a KGError into the one-line message and exit status 1 of every command, and each KGWarning into
    one ``kg: warning:`` line on stderr."""
    import warnings

    from kg.errors import KGError, KGWarning

    def show(message: Warning | str, category: type[Warning], *_: object, **__: object) -> None:
        if issubclass(category, KGWarning):
            typer.echo(f"kg: warning: {' '.join(str(message).split())}", err=True)

    with warnings.catch_warnings():
        warnings.simplefilter("always", KGWarning)
        warnings.showwarning = show  # type: ignore[assignment]
        try:
            yield
        except KGError as exc:
            _fail(str(exc))


@app.command()
def build(
    inputs: Annotated[
        list[Path], typer.Argument(help=".txt, .jsonl, .html, .warc(.gz) files, or folders.", show_default=False)
    ],
    out_name: Annotated[str, typer.Option("--out", "-o", help="Output folder.")] = "out",
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="spaCy model (default: en_core_web_sm if installed).")
    ] = None,
    n_process: Annotated[int, typer.Option("--n-process", "-n", help="Parser processes.", min=1)] = 1,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Documents per batch.", min=1)] = 32,
    store: Annotated[
        Path | None,
        typer.Option("--store", help="Also add the documents to this persistent store (created if new)."),
    ] = None,
    formats: Annotated[
        str,
        typer.Option("--format", "-f", help="Extra graph files, comma-separated: nt, trig, nq, jsonld, graphml, gexf."),
    ] = "",
    max_nodes: Annotated[
        int | None,
        typer.Option("--max-nodes", help="Most connected actors in graph.html (default 5000).", min=1),
    ] = None,
    min_confidence: Annotated[
        float, typer.Option("--min-confidence", help="Drop relation statements less confident than this.", min=0, max=1)
    ] = 0.0,
    no_clean: Annotated[
        bool, typer.Option("--no-clean", help="Keep page furniture (bylines, captions, menus...) in the text.")
    ] = False,
    explain_clean: Annotated[
        bool, typer.Option("--explain-clean", help="Also write cleaning.jsonl: every blanked span and why.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    engine: Annotated[
        str,
        typer.Option(
            "--engine", metavar="[local|dask]", help="Where to parse: this machine or a Dask cluster (docs/CLUSTER.md)."
        ),
    ] = "local",
    workers: Annotated[
        int | None, typer.Option("--workers", help="With --engine dask: start a local cluster of N workers.")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="With --engine dask: use the cluster at this address (tcp://HOST:8786)."),
    ] = None,
) -> None:
    """Build graph.ttl, graph.html, entities.jsonl and relations.jsonl from INPUTS.

    INPUTS are .txt, .jsonl, .html/.htm and .warc/.warc.gz files, or folders of them.
    """
    from kg.export import format_for
    from kg.pipeline import Settings, build_graph, build_into_store, write_outputs

    if no_clean and explain_clean:
        _fail("--explain-clean lists what the cleaning stage blanked; it cannot be used with --no-clean")
    if not out_name.strip():
        _fail("--out is empty; name the output folder (e.g. --out out)")
    out = Path(out_name)
    settings = Settings(
        model=model,
        n_process=n_process,
        batch_size=batch_size,
        clean=not no_clean,
        min_confidence=min_confidence,
        engine=engine,
        workers=workers,
        scheduler=scheduler,
    )
    with _reported():
        extra = [format_for("", f.strip()) for f in formats.split(",") if f.strip()]

        def run(progress: Callable[[int, int], None] | None) -> BuildResult:
            if store is not None:
                return build_into_store(inputs, store, settings, progress)
            return build_graph(inputs, settings, progress)

        if quiet or not sys.stderr.isatty():
            result = run(None)
        else:
            from rich.progress import Progress

            with Progress(transient=True) as bar:
                task = bar.add_task("parsing", total=None)
                result = run(lambda done, total: bar.update(task, completed=done, total=total))
        written = write_outputs(result, out, max_nodes=max_nodes, explain_clean=explain_clean, formats=extra)
    if not quiet:
        s = result.stats
        typer.echo(
            f"{s.documents} documents, {s.sentences} sentences, {s.entities} entities, "
            f"{s.relations} relations ({s.edges} edges) in {s.seconds:.1f} s"
        )
        for path in written:
            typer.echo(f"  wrote {path}")
        if store is not None:
            unchanged = f", {result.unchanged} already stored and not parsed again" if result.unchanged else ""
            typer.echo(f"  store {store}: {len(result.articles)} documents in all{unchanged}")
            view = result.graph.graph.get("view", {})
            if view.get("of", 0) > view.get("entities", 0):
                typer.echo(
                    f"  the output files show the {view['entities']} most connected of the store's {view['of']} "
                    f"actors; query the store for the rest (kg query {store} ...)"
                )
        from kg.html import DEFAULT_MAX_NODES

        cap = max_nodes or DEFAULT_MAX_NODES
        if s.entities > cap:
            typer.echo(f"  graph.html shows the {cap} most connected of {s.entities} actors (--max-nodes)")


@app.command()
def query(
    source: Annotated[Path, typer.Argument(help="Graph file (.ttl, .nt, .trig, .nq, .jsonld), build folder or store.")],
    sparql: Annotated[str, typer.Argument(help="A SPARQL query, or a .rq file.")],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE binds ?NAME to a string (repeatable).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, tsv or json.")] = "table",
    timeout: Annotated[
        float, typer.Option("--timeout", help="Give up on a query after this many seconds (0: never).", min=0)
    ] = 30.0,
    allow_service: Annotated[
        bool, typer.Option("--allow-service", help="Let SERVICE clauses fetch other endpoints over the network.")
    ] = False,
) -> None:
    """Run a SPARQL query and print its results."""
    from kg.query import open_source, read_query, run_query, serialize_rows

    if fmt not in ("table", "csv", "tsv", "json"):
        _fail(f"[E601] unknown result format '{fmt}'; valid: table, csv, tsv, json")
    params: dict[str, str] = {}
    for item in param or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            _fail(f"[E602] bad --param '{item}': write NAME=VALUE")
        params[name.strip()] = value
    with _reported():
        result = run_query(
            open_source(source), read_query(sparql), params, allow_service=allow_service, timeout=timeout or None
        )
    if result.kind == "graph":
        import pyoxigraph as ox

        typer.echo((ox.serialize(result.raw, format=ox.RdfFormat.TURTLE) or b"").decode("utf-8"), nl=False)
    elif fmt != "table":
        typer.echo(serialize_rows(result, fmt), nl=False)
    elif result.kind == "ask":
        typer.echo("yes" if result.boolean else "no")
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(*result.variables, show_lines=False)
        for row in result.rows:
            table.add_row(*["" if v is None else v for v in row])
        Console().print(table)
        typer.echo(f"{len(result.rows)} rows")


@app.command()
def validate(
    graph: Annotated[Path, typer.Argument(help="An RDF file written by kg (.ttl, .nt, .trig, .nq, .jsonld).")],
) -> None:
    """Check a graph against kg's SHACL shapes; exit status 1 if it does not conform."""
    from kg.validate import load_rdf
    from kg.validate import validate as run_validation

    with _reported():
        report = run_validation(load_rdf(graph))
    if report.conforms:
        typer.echo(f"{graph}: conforms to kg's SHACL shapes")
        return
    typer.echo(report.text)
    typer.echo(f"{graph}: {report.violations} violations", err=True)
    raise typer.Exit(code=1)


@app.command()
def serve(
    source: Annotated[Path, typer.Argument(help="A store (kg build --store), a build folder or a graph file.")],
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 7878,
    host: Annotated[str, typer.Option("--host", help="Address to bind (loopback by default).")] = "127.0.0.1",
    timeout: Annotated[int, typer.Option("--timeout", help="Seconds a query may run.", min=1)] = 30,
    allow_service: Annotated[
        bool, typer.Option("--allow-service", help="Let SERVICE clauses fetch other endpoints over the network.")
    ] = False,
) -> None:
    """Serve SOURCE read-only as a SPARQL 1.1 endpoint at http://HOST:PORT/query until Ctrl-C."""
    from kg.serve import serve as run_server

    def ready() -> None:
        typer.echo(f"SPARQL endpoint: http://{host}:{port}/query (Ctrl-C stops)", err=True)

    with _reported():
        code = run_server(source, host, port, timeout=timeout, on_ready=ready, allow_service=allow_service)
    raise typer.Exit(code=code)


@app.command()
def export(
    source: Annotated[Path, typer.Argument(help="A store, a build folder or a graph file.")],
    dest: Annotated[
        Path | None,
        typer.Argument(help="Output file; its extension picks the format unless --format.", show_default=False),
    ] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="turtle, ntriples, trig, nquads, json-ld.")] = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Instead of a file, PUT each graph to this SPARQL 1.1 Graph Store endpoint "
            "(basic auth: KG_GSP_AUTH=user:password).",
        ),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait on the graph store.", min=1)] = 120.0,
) -> None:
    """Convert SOURCE to another RDF format (TriG and N-Quads keep one named graph per document), or load it
    into a triple store with --to URL (e.g. http://localhost:3030/DATASET/data)."""
    if to is None:
        from kg.query import export_rdf

        if dest is None:
            _fail("[E801] missing DEST: give an output file, or --to URL to load a graph store")
        with _reported():
            export_rdf(source, dest, fmt)
        typer.echo(f"wrote {dest}")
        return
    from kg.push import auth_from_env, push_graphs

    if dest is not None:
        _fail(f"[E801] give DEST '{dest}' or --to URL, not both")
    if fmt is not None:
        _fail("[E802] --format is for files; --to sends N-Triples, which every graph store reads")
    with _reported():
        report = push_graphs(source, to, timeout=timeout, auth=auth_from_env())
    typer.echo(f"pushed {report.graphs} graphs ({report.triples} triples) to {to} in {report.seconds:.1f} s")


@app.command()
def remove(
    store: Annotated[Path, typer.Argument(help="A store (kg build --store).")],
    doc_ids: Annotated[list[str], typer.Argument(help="Ids of the documents to remove.", show_default=False)],
) -> None:
    """Remove documents from a store, exactly as if they had never been added."""
    from kg.pipeline import remove_from_store

    with _reported():
        left = remove_from_store(store, doc_ids)
    typer.echo(f"removed {len(set(doc_ids))} documents from {store}; it holds {left}")


@app.command(name="eval")
def evaluate(
    gold: Annotated[
        Path,
        typer.Argument(
            help="Gold file (JSON, docs/GOLD_FORMAT.md), or sentence annotations (.jsonl or a folder of them, "
            "docs/ANNOTATION.md)."
        ),
    ],
    graph: Annotated[
        Path,
        typer.Argument(
            help="For a gold file: a `kg build` output folder or graph file. For annotations: the corpus they "
            "annotate (e.g. ../shared/data/wikinews/articles.jsonl)."
        ),
    ],
    split: Annotated[str, typer.Option("--split", help="Annotation split to score: train, dev or test.")] = "test",
    model: Annotated[str | None, typer.Option("--model", "-m", help="spaCy model (annotations only).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Score kg against gold annotations: P/R/F1 per type (and entity-resolution errors for a gold file)."""
    import json

    from kg.evaluate import evaluate_annotations, is_annotation_path, load_gold, load_graph, score

    if fmt not in ("table", "json"):
        _fail(f"[E603] unknown format '{fmt}'; valid: table, json")
    if split not in ("train", "dev", "test"):
        _fail(f"[E604] unknown split '{split}'; valid: train, dev, test")
    if is_annotation_path(gold):
        with _reported():
            found = evaluate_annotations(gold, graph, split, model)
        if fmt == "json":
            typer.echo(json.dumps(found, indent=1, ensure_ascii=False))
            return
        rows = [("relations", "micro", found["relations"])]
        rows += [("relations", k, v) for k, v in found["relations_by_type"].items()]
        _prf_table(f"{gold} ({split}: {found['documents']} documents, {found['sentences']} sentences)", rows)
        return
    with _reported():
        result = score(load_gold(gold), load_graph(graph))
    if fmt == "json":
        typer.echo(json.dumps(result.as_dict(), indent=1, ensure_ascii=False))
        return
    from rich.console import Console

    rows = [("entities", "all", result.entities.as_dict())]
    rows += [("entities", k, v.as_dict()) for k, v in sorted(result.entities_by_type.items())]
    rows += [("relations", "all", result.relations.as_dict())]
    rows += [("relations", k, v.as_dict()) for k, v in sorted(result.relations_by_type.items())]
    _prf_table(f"{graph} against {gold}", rows)
    console = Console()
    for title, items in (
        ("gold actors split over several nodes", result.split),
        ("nodes that merge different gold actors", result.merged),
        ("nodes that should not exist", result.spurious_nodes + result.forbidden_nodes),
        ("negated statements shown as positive edges", result.forbidden_relations),
        ("missing relations", result.missing_relations),
        ("wrong relations", result.wrong_relations),
    ):
        if items:
            console.print(f"[bold]{title}[/bold] ({len(items)}): " + "; ".join(items))


def _prf_table(title: str, rows: list[tuple[str, str, dict[str, Any]]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("", "type", "P", "R", "F1", "tp", "fp", "fn", title=title)
    for what, kind, d in rows:
        table.add_row(
            what,
            kind,
            f"{d['precision']:.3f}",
            f"{d['recall']:.3f}",
            f"{d['f1']:.3f}",
            str(d["tp"]),
            str(d["fp"]),
            str(d["fn"]),
        )
    Console().print(table)


@app.command()
def conll04(
    path: Annotated[Path, typer.Argument(help="A CoNLL04 split in JSONL (../shared/data/conll04/dev.jsonl).")],
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N sentences.", min=1)] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="spaCy model.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Score kg on CoNLL04: relation and entity P/R/F1, micro and per type (standard strict criterion)."""
    import json

    from kg.conll04 import evaluate as run_conll04

    with _reported():
        result = run_conll04(path, limit, model)
    if fmt == "json":
        typer.echo(json.dumps(result, indent=1))
        return
    rows = [("relations", "micro", result["relations"])]
    rows += [("relations", k, v) for k, v in result["relations_by_type"].items()]
    rows += [("entities", "micro (no Other)", result["entities_without_other"])]
    rows += [("entities", k, v) for k, v in result["entities_by_type"].items()]
    _prf_table(f"CoNLL04 {path} ({result['sentences']} sentences)", rows)


@app.command()
def train(
    data: Annotated[
        Path, typer.Option("--data", help="Folder with wikinews/articles.jsonl and conll04/train.jsonl.")
    ] = Path("../shared/data"),
    annotations: Annotated[
        Path, typer.Option("--annotations", help="Wikinews annotations (docs/ANNOTATION.md).")
    ] = Path("tests/data/annotations/wikinews"),
    out: Annotated[Path, typer.Option("--out", "-o", help="Where the weights go (kg/models ships them).")] = Path(
        "kg/models"
    ),
    model: Annotated[str | None, typer.Option("--model", "-m", help="spaCy model to parse with.")] = None,
) -> None:
    """Rebuild the relation model from the annotations and CoNLL04 train (CPU, a few minutes, deterministic)."""
    import json

    from kg.train import train as run_training

    with _reported():
        report = run_training(data, annotations, out, model)
    typer.echo(json.dumps(report, indent=1))


@app.command()
def version() -> None:
    """Print kg's version."""
    from kg import __version__

    typer.echo(__version__)


def main() -> None:
    """Entry point of the ``kg`` script.

    A bug in kg still ends with one line and exit status 2, not a traceback; set ``KG_DEBUG=1`` to see it.
    """
    import os

    try:
        app()
    except Exception as exc:
        if os.environ.get("KG_DEBUG"):
            raise
        typer.echo(f"kg: internal error: {type(exc).__name__}: {exc} (set KG_DEBUG=1 for details)", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
