"""A persistent graph store: Oxigraph with one named graph per document, and each document's extraction.

Keeping the extractions (mentions and relation mentions, small and model-free) is what makes incremental
builds exact: adding documents re-runs resolution over everything the store has seen, so building A then B
into a store gives the same graph as building A and B together, and adding A again changes nothing.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import networkx as nx

from kg.errors import OutputError
from kg.iri import short_hash
from kg.records import Article, Blank, DocumentExtraction, Mention, Provenance, RelationMention

STORE_SUBDIR = "oxigraph"
EXTRACTIONS_SUBDIR = "extractions"


def extraction_to_json(ex: DocumentExtraction) -> str:
    """One extraction as JSON."""
    return json.dumps(asdict(ex), ensure_ascii=False)


def extraction_from_json(text: str) -> DocumentExtraction:
    """The inverse of :func:`extraction_to_json`."""
    d: dict[str, Any] = json.loads(text)
    return DocumentExtraction(
        article=Article(**d["article"]),
        mentions=tuple(Mention(**m) for m in d["mentions"]),
        relations=tuple(
            RelationMention(r["subject"], r["predicate"], r["object"], Provenance(**r["provenance"]))
            for r in d["relations"]
        ),
        sentences=d["sentences"],
        tokens=d["tokens"],
        blanked=tuple(Blank(**b) for b in d.get("blanked", ())),
    )


class GraphStore:
    """A kg store folder: ``oxigraph/`` (the RDF dataset) and ``extractions/`` (one JSON file per document)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise OutputError(f"store path '{self.path}' exists and is not a folder")
        if self.path.is_dir() and any(self.path.iterdir()) and not (self.path / EXTRACTIONS_SUBDIR).is_dir():
            raise OutputError(f"'{self.path}' is not empty and is not a kg store; choose a new or empty folder")

    def _file(self, doc_id: str) -> Path:
        return self.path / EXTRACTIONS_SUBDIR / f"{short_hash(doc_id, length=24)}.json"

    def extractions(self, exclude: Iterable[str] = ()) -> Iterator[DocumentExtraction]:
        """Every stored extraction, except those of the documents in ``exclude``."""
        folder = self.path / EXTRACTIONS_SUBDIR
        if not folder.is_dir():
            return
        skip = {self._file(i).name for i in exclude}
        for f in sorted(folder.glob("*.json")):
            if f.name not in skip:
                yield extraction_from_json(f.read_text(encoding="utf-8"))

    def save(self, new: Iterable[DocumentExtraction], graph: nx.MultiDiGraph) -> None:
        """Store the new extractions and replace the RDF dataset with ``graph``'s."""
        import pyoxigraph as ox

        from kg.export import nquads

        folder = self.path / EXTRACTIONS_SUBDIR
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for ex in new:
                target = self._file(ex.article.id)
                fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(extraction_to_json(ex))
                os.replace(tmp, target)
            data = nquads(graph).encode("utf-8")
            store = ox.Store(str(self.path / STORE_SUBDIR))
            store.clear()
            store.bulk_load(input=data, format=ox.RdfFormat.N_QUADS)
            store.flush()
            del store
        except OSError as exc:
            raise OutputError(f"cannot write store '{self.path}': {exc}") from None
