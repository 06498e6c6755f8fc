"""The ``kg`` command line: a thin layer over the library. Only this module prints."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="kg",
    help="Build a knowledge graph of actors and their relations from news articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(message: str) -> None:
    typer.echo(f"kg: error: {message}", err=True)
    raise typer.Exit(code=1)


@app.command()
def build(
    inputs: Annotated[list[Path], typer.Argument(help=".txt or .jsonl files, or folders of them.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out"),
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="spaCy model (default: en_core_web_sm if installed).")
    ] = None,
    n_process: Annotated[int, typer.Option("--n-process", "-n", help="Parser processes.", min=1)] = 1,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Documents per batch.", min=1)] = 32,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    """Build graph.ttl, graph.html, entities.jsonl and relations.jsonl from INPUTS."""
    from kg.errors import KGError
    from kg.pipeline import Settings, build_graph, write_outputs

    settings = Settings(model=model, n_process=n_process, batch_size=batch_size)
    try:
        if quiet or not sys.stderr.isatty():
            result = build_graph(inputs, settings)
        else:
            from rich.progress import Progress

            with Progress(transient=True) as bar:
                task = bar.add_task("parsing", total=None)

                def tick(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                result = build_graph(inputs, settings, tick)
        written = write_outputs(result, out)
    except KGError as exc:
        _fail(str(exc))
        return
    if not quiet:
        s = result.stats
        typer.echo(
            f"{s.documents} documents, {s.sentences} sentences, {s.entities} entities, "
            f"{s.relations} relations ({s.edges} edges) in {s.seconds:.1f} s"
        )
        for path in written:
            typer.echo(f"  wrote {path}")


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
