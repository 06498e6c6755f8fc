"""A persistent graph store: Oxigraph with one named graph per document, and each document's extraction.

Keeping the extractions (mentions and relation mentions, small and model-free) is what makes incremental
builds exact: adding documents re-runs resolution over everything the store has seen, so building A then B
into a store gives the same graph as building A and B together, and adding A again changes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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


#: The link that names the store's current generation (a folder ``.gen-*`` holding ``oxigraph/`` and
#: ``extractions/``); ``oxigraph`` and ``extractions`` at the top are links through it.
CURRENT = "data"
_GEN_PREFIX = ".gen-"
_LOCK = ".lock"


class StoreBusyError(OutputError):
    """Another build holds the store."""

    code = "E305"


class GraphStore:
    """A kg store folder: ``oxigraph/`` (the RDF dataset) and ``extractions/`` (one JSON file per document).

    Both live in one generation folder named by the link ``data``; a build writes a whole new generation
    beside it and swaps the link in one atomic rename, so a store is always exactly before or exactly after a
    build, whatever happens in between (a kill, a full disk): a failed build changes nothing, and the next
    one removes its leftovers. One build at a time holds the store's lock (:meth:`locked`).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise OutputError(f"store path '{self.path}' exists and is not a folder")
        visible = self.path.is_dir() and any(not p.name.startswith(".") for p in self.path.iterdir())
        if visible and not (self.path / EXTRACTIONS_SUBDIR).is_dir():
            raise OutputError(f"'{self.path}' is not empty and is not a kg store; choose a new or empty folder")

    def _file(self, doc_id: str) -> Path:
        return self.path / EXTRACTIONS_SUBDIR / f"{short_hash(doc_id, length=24)}.json"

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's lock for a whole build; a second build is told at once that the store is busy."""
        import fcntl

        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fh = (self.path / _LOCK).open("a")
        except OSError as exc:
            raise OutputError(f"cannot open store '{self.path}': {exc.strerror or exc}") from None
        with fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreBusyError(
                    f"store '{self.path}' is busy: another kg build is writing it; wait for it to finish"
                ) from None
            try:
                self._recover()
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _recover(self) -> None:
        """Put a store of the first layout (real folders at the top) into a generation, and remove what a
        killed build left: generations the link does not name, half-made links, old temp files."""
        top_store, top_ex = self.path / STORE_SUBDIR, self.path / EXTRACTIONS_SUBDIR
        if top_ex.is_dir() and not top_ex.is_symlink():
            gen = self.path / f"{_GEN_PREFIX}0"
            gen.mkdir(exist_ok=True)
            for part in (top_store, top_ex):
                if part.is_dir() and not part.is_symlink():
                    os.replace(part, gen / part.name)
            self._point(gen)
        current = self._generation()
        for leftover in self.path.glob(f"{_GEN_PREFIX}*"):
            if current is None or leftover.name != current.name:
                shutil.rmtree(leftover, ignore_errors=True)
        for link in self.path.glob(f".{CURRENT}.tmp-*"):
            link.unlink(missing_ok=True)

    def _generation(self) -> Path | None:
        link = self.path / CURRENT
        return self.path / os.readlink(link) if link.is_symlink() else None

    def _point(self, gen: Path) -> None:
        """Make ``gen`` the current generation: one rename of a link, atomic on POSIX."""
        tmp = self.path / f".{CURRENT}.tmp-{os.getpid()}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(gen.name)
        os.replace(tmp, self.path / CURRENT)
        for part in (STORE_SUBDIR, EXTRACTIONS_SUBDIR):
            top = self.path / part
            if not top.is_symlink():
                top.symlink_to(f"{CURRENT}/{part}")

    def extractions(self) -> Iterator[DocumentExtraction]:
        """Every stored extraction."""
        folder = self.path / EXTRACTIONS_SUBDIR
        if not folder.is_dir():
            return
        for f in sorted(folder.glob("*.json")):
            yield extraction_from_json(f.read_text(encoding="utf-8"))

    def save(self, new: Iterable[DocumentExtraction], graph: nx.MultiDiGraph) -> None:
        """Store the new extractions and replace the RDF dataset with ``graph``'s, as one new generation.

        The unchanged extractions are hard links into the new generation (no copy); the dataset is loaded
        fresh. Nothing the store's readers see changes until the generation link is swapped."""
        import pyoxigraph as ox

        from kg.export import nquads

        old = self._generation()
        gen = Path(tempfile.mkdtemp(prefix=_GEN_PREFIX, dir=self.path))
        try:
            folder = gen / EXTRACTIONS_SUBDIR
            folder.mkdir()
            new = list(new)
            replaced = {self._file(ex.article.id).name for ex in new}
            if old is not None and (old / EXTRACTIONS_SUBDIR).is_dir():
                for f in (old / EXTRACTIONS_SUBDIR).glob("*.json"):
                    if f.name not in replaced:
                        os.link(f, folder / f.name)
            for ex in new:
                (folder / self._file(ex.article.id).name).write_text(extraction_to_json(ex), encoding="utf-8")
            store = ox.Store(str(gen / STORE_SUBDIR))
            store.bulk_load(input=nquads(graph).encode("utf-8"), format=ox.RdfFormat.N_QUADS)
            store.flush()
            del store
            self._point(gen)
        except (OSError, ValueError, SyntaxError) as exc:
            shutil.rmtree(gen, ignore_errors=True)
            raise OutputError(f"cannot write store '{self.path}': {exc}") from None
        if old is not None and old != gen:
            shutil.rmtree(old, ignore_errors=True)
