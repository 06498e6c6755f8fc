"""Validate an RDF graph against kg's SHACL shapes (``ontologies/shapes.ttl``) with pySHACL."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from kg.errors import InputError
from kg.ontology import default_directory


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """Whether a graph conforms, and pySHACL's report in words."""

    conforms: bool
    text: str
    violations: int


def load_rdf(path: str | Path) -> Graph:
    """Parse an RDF file, its format guessed from its extension.

    Raises:
        InputError: Missing file or a syntax error (with rdflib's message, which gives the line).
    """
    from rdflib.util import guess_format

    path = Path(path)
    if not path.is_file():
        raise InputError(f"RDF file not found: '{path}'")
    fmt = guess_format(str(path)) or "turtle"
    g = Graph()
    # rdflib logs a traceback for every ill-typed literal ("2019-13-45"^^xsd:date) it reads; the shapes report
    # those as violations, in words.
    term_log = logging.getLogger("rdflib.term")
    level = term_log.level
    term_log.setLevel(logging.CRITICAL)
    try:
        g.parse(path, format=fmt)
    except Exception as exc:  # rdflib's parsers raise many types; the message is what matters
        raise InputError(f"cannot parse '{path}' as {fmt}: {exc}") from None
    finally:
        term_log.setLevel(level)
    return g


def validate(data: Graph, shapes_dir: Path | None = None) -> ValidationReport:
    """Validate ``data`` against the SHACL shapes."""
    import pyshacl

    shapes = Graph().parse((shapes_dir or default_directory()) / "shapes.ttl", format="turtle")
    conforms, report_graph, text = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=False)
    from rdflib.namespace import SH

    violations = len(set(report_graph.subjects(predicate=SH.resultSeverity)))
    return ValidationReport(conforms=bool(conforms), text=str(text), violations=violations)
