"""A persistent graph store whose cost follows the change: SQLite for what resolution needs, Oxigraph for RDF.

``store.sqlite`` keeps, per document, its extraction, what it says of each entity key (surface forms, names,
class votes, mention counts) and its relation statements between keys; per key, the sum over documents; the
corpus-level merges (a bare surname joining the one full name that ends in it); and each entity's current
description. Adding or removing documents updates only the keys they touch, re-decides the merges only for
the surnames they touch, and rewrites in Oxigraph only their named graphs, the descriptions of the entities
they touch, and the named graphs of other documents whose entities changed identity or class.

The invariants (tested): A then B equals A and B together; A twice equals A; A and B, then removing B, equals
A; and the dataset equals the one a plain ``kg build`` of the same documents writes.

Crash safety: each step (a batch of documents) is one SQLite transaction that also records which RDF it
made stale; the RDF is then rewritten in one Oxigraph transaction (a SPARQL update) and the record cleared.
A build killed anywhere leaves SQLite at the end of its last step and Oxigraph at the end of that step or the
one before; the next opening of the store finishes the RDF, and the next build skips the documents the store
holds (by content hash), so it resumes where the killed one stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.errors import InputError, OutputError
from kg.records import Article, Blank, DocumentExtraction, Entity, Mention, Provenance, Relation, RelationMention

if TYPE_CHECKING:
    import networkx as nx

    from kg.ontology import Ontology

STORE_SUBDIR = "oxigraph"
DB = "store.sqlite"
SCHEMA = 2
#: Documents per committed step: what a killed build loses, and the size of one Oxigraph transaction.
STEP = 200
#: Most actors in the networkx view a store build returns (and its output files project); the store itself
#: holds and answers everything.
VIEW_ENTITIES = 20_000
_LOCK = ".lock"
# The first layouts: one JSON file per document under extractions/, RDF reloaded whole on every build.
_LEGACY_EXTRACTIONS = "extractions"
_LEGACY_LINK = "data"
_MIGRATING = ".migrating"

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, hash TEXT NOT NULL, article TEXT NOT NULL, extraction BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS contrib (
    key TEXT NOT NULL, doc TEXT NOT NULL, part TEXT NOT NULL, PRIMARY KEY (key, doc)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS contrib_doc ON contrib (doc);
CREATE TABLE IF NOT EXISTS statements (
    doc TEXT NOT NULL, n INTEGER NOT NULL, subject TEXT NOT NULL, predicate TEXT NOT NULL, object TEXT NOT NULL,
    provenance TEXT NOT NULL, PRIMARY KEY (doc, n)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS statement_keys (key TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (key, doc)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS statement_keys_doc ON statement_keys (doc);
CREATE TABLE IF NOT EXISTS raw (
    key TEXT PRIMARY KEY, part TEXT NOT NULL, cls TEXT NOT NULL, surname TEXT, multi INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS raw_surname ON raw (surname) WHERE surname IS NOT NULL;
CREATE TABLE IF NOT EXISTS redirect (src TEXT PRIMARY KEY, dst TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS redirect_dst ON redirect (dst);
CREATE TABLE IF NOT EXISTS entities (key TEXT PRIMARY KEY, cls TEXT NOT NULL, entity TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stale (kind TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID;
"""


class StoreBusyError(OutputError):
    """Another build holds the store."""

    code = "E305"


def content_hash(a: Article) -> str:
    """What decides whether a stored document must be parsed again (not the title: the cleaner may set it)."""
    payload = json.dumps([a.text, a.date, a.url, a.author, a.site], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def _fields(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}


def extraction_to_json(ex: DocumentExtraction) -> str:
    """One extraction as JSON."""
    d = {
        "article": _fields(ex.article),
        "mentions": [_fields(m) for m in ex.mentions],
        "relations": [
            {"subject": r.subject, "predicate": r.predicate, "object": r.object, "provenance": _fields(r.provenance)}
            for r in ex.relations
        ],
        "sentences": ex.sentences,
        "tokens": ex.tokens,
        "blanked": [_fields(b) for b in ex.blanked],
    }
    return json.dumps(d, ensure_ascii=False)


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


# What one document (or the whole corpus) says of one key, as stored: a small JSON object.
def _part_json(mentions: int, surfaces: Counter[str], names: Counter[str], votes: Counter[str]) -> str:
    return json.dumps({"m": mentions, "s": dict(surfaces), "n": dict(names), "v": dict(votes)}, ensure_ascii=False)


def _part(text: str) -> tuple[int, Counter[str], Counter[str], Counter[str]]:
    d = json.loads(text)
    return d["m"], Counter(d["s"]), Counter(d["n"]), Counter(d["v"])


class GraphStore:
    """A kg store folder: ``store.sqlite`` (extractions, entity aggregates, merges) and ``oxigraph/`` (the RDF
    dataset: one named graph per document and one for the entities).

    Read with :meth:`extractions`, :meth:`hashes`, :meth:`graph` at any time; write with :meth:`add`,
    :meth:`remove` and :meth:`commit` inside :meth:`locked`, which one build at a time can hold.
    """

    def __init__(self, path: str | os.PathLike[str], ontology: Ontology | None = None) -> None:
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise OutputError(f"store path '{self.path}' exists and is not a folder")
        visible = self.path.is_dir() and any(not p.name.startswith(".") for p in self.path.iterdir())
        if visible and not self._is_store():
            raise OutputError(f"'{self.path}' is not empty and is not a kg store; choose a new or empty folder")
        self._ontology = ontology
        self._db: sqlite3.Connection | None = None
        self._rdf: Any = None
        self._queue: list[DocumentExtraction] = []
        self._removals: list[str] = []

    def exists(self) -> bool:
        """Whether the folder holds a store."""
        return self._is_store()

    def _is_store(self) -> bool:
        return (self.path / DB).is_file() or (self.path / _LEGACY_EXTRACTIONS).exists()

    @property
    def ontology(self) -> Ontology:
        if self._ontology is None:
            from kg.ontology import load_ontology

            self._ontology = load_ontology()
        return self._ontology

    # --- opening -------------------------------------------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[GraphStore]:
        """Hold the store's lock while writing; a second writer is told at once that the store is busy.
        Opening finishes what a killed build left (RDF it had not written yet) and moves a store of the
        first layouts into this one."""
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
                self._open_for_writing()
                yield self
                self.commit()
            finally:
                self._close()
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _connect(self, path: Path, readonly: bool = False) -> sqlite3.Connection:
        try:
            if readonly:
                db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
            else:
                db = sqlite3.connect(str(path), isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.executescript(_TABLES)
                db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
        except sqlite3.Error as exc:
            raise OutputError(f"cannot open store '{self.path}': {exc}") from None
        (found,) = db.execute("SELECT v FROM meta WHERE k = 'schema'").fetchone() or ("0",)
        if int(found) != SCHEMA:
            db.close()
            raise OutputError(
                f"store '{self.path}' has layout {found}; this kg reads layout {SCHEMA}: rebuild it from its sources"
            )
        return db

    def _open_for_writing(self) -> None:
        import pyoxigraph as ox

        legacy = (self.path / _LEGACY_EXTRACTIONS).exists() and not (self.path / DB).is_file()
        old = list(self._legacy_extractions()) if legacy else []
        if legacy:
            self._clear_legacy()
        try:
            self._db = self._connect(self.path / DB)
            self._rdf = ox.Store(str(self.path / STORE_SUBDIR))
        except OSError as exc:
            raise OutputError(f"cannot open store '{self.path}': {exc}") from None
        self._write_rdf()  # what a killed build left stale
        if old:
            for ex in old:
                self.add(ex)
            self.commit()
        if not legacy:
            self._clear_legacy()  # leftovers of a migration that was killed after its commit

    def _legacy_extractions(self) -> Iterator[DocumentExtraction]:
        folder = self.path / _LEGACY_EXTRACTIONS
        for f in sorted(folder.glob("*.json")):
            yield extraction_from_json(f.read_text(encoding="utf-8"))

    def _clear_legacy(self) -> None:
        for name in (_LEGACY_EXTRACTIONS, _LEGACY_LINK, STORE_SUBDIR):
            p = self.path / name
            if p.is_symlink():
                p.unlink()
            elif name == _LEGACY_EXTRACTIONS and p.is_dir():
                shutil.rmtree(p)
            elif name == STORE_SUBDIR and p.is_dir() and not (self.path / DB).is_file():
                shutil.rmtree(p)  # the first layout's dataset; the new one is written from the extractions
        for p in self.path.glob(".gen-*"):
            shutil.rmtree(p, ignore_errors=True)
        for p in self.path.glob(f".{_LEGACY_LINK}.tmp-*"):
            p.unlink(missing_ok=True)

    def _close(self) -> None:
        self._queue.clear()
        self._removals.clear()
        if self._rdf is not None:
            self._rdf.flush()
            self._rdf = None
        if self._db is not None:
            self._db.close()
            self._db = None

    @contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        if self._db is not None:
            yield self._db
            return
        if not (self.path / DB).is_file():
            yield sqlite3.connect(":memory:")  # a new store, or one of the first layouts: nothing stored here
            return
        db = self._connect(self.path / DB, readonly=True)
        try:
            yield db
        finally:
            db.close()

    # --- reading --------------------------------------------------------------------------------------------

    def hashes(self) -> dict[str, str]:
        """Content hash of every stored document, by id."""
        if not (self.path / DB).is_file() and (self.path / _LEGACY_EXTRACTIONS).exists():
            return {ex.article.id: content_hash(ex.article) for ex in self._legacy_extractions()}
        with self._reader() as db:
            if not _has_tables(db):
                return {}
            return dict(db.execute("SELECT id, hash FROM documents"))

    def count(self) -> int:
        """How many documents the store holds."""
        if not (self.path / DB).is_file() and (self.path / _LEGACY_EXTRACTIONS).exists():
            return len(self.hashes())
        with self._reader() as db:
            return int(db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]) if _has_tables(db) else 0

    def extractions(self) -> Iterator[DocumentExtraction]:
        """Every stored extraction, by document id."""
        if not (self.path / DB).is_file() and (self.path / _LEGACY_EXTRACTIONS).exists():
            yield from self._legacy_extractions()
            return
        with self._reader() as db:
            if not _has_tables(db):
                return
            for (blob,) in db.execute("SELECT extraction FROM documents ORDER BY id"):
                yield extraction_from_json(zlib.decompress(blob).decode("utf-8"))

    def articles(self) -> Iterator[Article]:
        """Every stored document's metadata, as an article without its text (the title as extraction left
        it: the cleaner may have found the headline). The text is in :meth:`extractions`."""
        with self._reader() as db:
            if _has_tables(db):
                for (text,) in db.execute("SELECT article FROM documents ORDER BY id"):
                    yield Article(**json.loads(text))

    def graph(self, model: str | None = None, limit: int | None = None) -> nx.MultiDiGraph:
        """The networkx view of the store: everything (the same graph a plain build of the documents makes),
        or, with ``limit``, the ``limit`` actors with the most relation statements and the relations among
        them, so that a view of a store of any size fits in memory (the store answers the rest).
        ``graph.graph["view"]`` says how many actors the view shows of how many."""
        from kg.build import build_graph

        with self._reader() as db:
            if not _has_tables(db):
                return build_graph([], [], self.ontology, {}, model)
            redirect = dict(db.execute("SELECT src, dst FROM redirect"))
            (total,) = db.execute("SELECT COUNT(*) FROM entities").fetchone()
            keep: set[str] | None = None
            if limit is not None and total > limit:
                degree: Counter[str] = Counter()
                for s, o in db.execute("SELECT subject, object FROM statements"):
                    degree[redirect.get(s, s)] += 1
                    degree[redirect.get(o, o)] += 1
                keep = {k for k, _ in sorted(degree.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]}
            docs: dict[str, set[str]] = {}
            for key, doc in db.execute("SELECT key, doc FROM contrib"):
                k = redirect.get(key, key)
                if keep is None or k in keep:
                    docs.setdefault(k, set()).add(doc)
            entities = []
            for key, text in db.execute("SELECT key, entity FROM entities ORDER BY key"):
                if keep is None or key in keep:
                    e = _entity_from_json(key, text)
                    found = tuple(sorted(docs.get(key, ())))
                    entities.append(Entity(e.key, e.label, e.cls, e.aliases, e.mentions, found))
            del docs
            relations = []
            for s, p, o, pv in db.execute(
                "SELECT subject, predicate, object, provenance FROM statements ORDER BY doc, n"
            ):
                s, o = redirect.get(s, s), redirect.get(o, o)
                if s != o and (keep is None or (s in keep and o in keep)):
                    relations.append(Relation(s, p, o, Provenance(**json.loads(pv))))
        g = build_graph(entities, relations, self.ontology, {a.id: a for a in self.articles()}, model)
        g.graph["view"] = {"entities": g.number_of_nodes(), "of": total}
        return g

    # --- writing --------------------------------------------------------------------------------------------

    def add(self, ex: DocumentExtraction) -> None:
        """Queue one document (replacing any stored one of the same id); every :data:`STEP` documents are
        committed as one step."""
        self._writable()
        self._queue.append(ex)
        if len(self._queue) >= STEP:
            self.commit()

    def remove(self, doc_ids: Iterable[str]) -> None:
        """Queue the removal of stored documents (an unknown id is an error naming it)."""
        db = self._writable()
        ids = list(dict.fromkeys(doc_ids))
        unknown = [i for i in ids if db.execute("SELECT 1 FROM documents WHERE id = ?", (i,)).fetchone() is None]
        if unknown:
            shown = ", ".join(f"'{i}'" for i in unknown[:5]) + (
                f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            )
            raise InputError(f"store '{self.path}' holds no document {shown}")
        self._removals.extend(ids)

    def commit(self) -> None:
        """Apply what is queued: one SQLite transaction, then one Oxigraph transaction."""
        if self._db is None or not (self._queue or self._removals):
            return
        added, removed = self._queue, self._removals
        self._queue, self._removals = [], []
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                self._apply(db, added, removed)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise OutputError(f"cannot write store '{self.path}': {exc}") from None
        self._write_rdf()

    def _writable(self) -> sqlite3.Connection:
        if self._db is None:
            raise OutputError("the store is written only inside GraphStore.locked()")
        return self._db

    def _apply(self, db: sqlite3.Connection, added: Sequence[DocumentExtraction], removed: Sequence[str]) -> None:
        from kg.resolve import contributions

        touched: set[str] = set()
        stale_docs: set[str] = set()
        for doc_id in dict.fromkeys([*removed, *(ex.article.id for ex in added)]):
            touched |= self._forget(db, doc_id)
            stale_docs.add(doc_id)
        for ex in {ex.article.id: ex for ex in added}.values():  # the last of one id wins
            parts, relations = contributions(ex)
            doc = ex.article.id
            blob = zlib.compress(extraction_to_json(ex).encode("utf-8", "surrogatepass"), 6)
            db.execute(
                "INSERT INTO documents VALUES (?, ?, ?, ?)",
                (doc, content_hash(ex.article), _metadata_json(ex.article), blob),
            )
            for key, acc in parts.items():
                part = _part_json(acc.mentions, acc.surfaces, acc.names, acc.votes)
                db.execute("INSERT INTO contrib VALUES (?, ?, ?)", (key, doc, part))
                self._add_raw(db, key, (acc.mentions, acc.surfaces, acc.names, acc.votes), 1)
                touched.add(key)
            db.executemany(
                "INSERT INTO statements VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (doc, n, r.subject, r.predicate, r.object, json.dumps(_fields(r.provenance), ensure_ascii=False))
                    for n, r in enumerate(relations)
                ],
            )
            db.executemany(
                "INSERT OR IGNORE INTO statement_keys VALUES (?, ?)",
                [(k, doc) for r in relations for k in (r.subject, r.object)],
            )
            stale_docs.add(doc)
        stale_docs |= self._merge(db, touched)
        db.executemany("INSERT OR IGNORE INTO stale VALUES ('doc', ?)", [(d,) for d in stale_docs])

    def _forget(self, db: sqlite3.Connection, doc: str) -> set[str]:
        rows = db.execute("SELECT key, part FROM contrib WHERE doc = ?", (doc,)).fetchall()
        for key, part in rows:
            self._add_raw(db, key, _part(part), -1)
        for table in ("contrib", "statements", "statement_keys"):
            db.execute(f"DELETE FROM {table} WHERE doc = ?", (doc,))
        db.execute("DELETE FROM documents WHERE id = ?", (doc,))
        return {key for key, _ in rows}

    def _add_raw(
        self, db: sqlite3.Connection, key: str, part: tuple[int, Counter[str], Counter[str], Counter[str]], sign: int
    ) -> None:
        """Add (``sign`` 1) or subtract (-1) one document's part to the key's sum; a key no document speaks of
        any more is deleted."""
        from kg.resolve import class_of, surname_of

        row = db.execute("SELECT part FROM raw WHERE key = ?", (key,)).fetchone()
        m, s, n, v = _part(row[0]) if row else (0, Counter[str](), Counter[str](), Counter[str]())
        pm, ps, pn, pv = part
        if sign > 0:
            m, s, n, v = m + pm, s + ps, n + pn, v + pv
        else:
            m, s, n, v = m - pm, s - ps, n - pn, v - pv  # Counter subtraction keeps only what is left above 0
        if m <= 0:
            db.execute("DELETE FROM raw WHERE key = ?", (key,))
            return
        last = surname_of(key)
        words = key.split()
        db.execute(
            "INSERT OR REPLACE INTO raw VALUES (?, ?, ?, ?, ?)",
            (key, _part_json(m, s, n, v), class_of(v, self.ontology), last, int(len(words) > 1)),
        )

    def _merge(self, db: sqlite3.Connection, touched: set[str]) -> set[str]:
        """Re-decide the surname merges and the entities the touched keys take part in; mark their RDF stale.
        Returns the other documents whose named graphs change (an entity's identity or class changed)."""
        from kg.resolve import entity_of, surname_of

        moved: set[str] = set()  # entities whose members changed
        for last in sorted({s for s in map(surname_of, touched) if s is not None}):
            src = f"name/{last}"
            row = db.execute("SELECT cls FROM raw WHERE key = ?", (src,)).fetchone()
            new = None
            if row is not None and row[0] == "Person":
                cands = [
                    k
                    for (k,) in db.execute(
                        "SELECT key FROM raw WHERE surname = ? AND multi = 1 AND cls = 'Person'", (last,)
                    )
                ]
                new = cands[0] if len(cands) == 1 else None
            old_row = db.execute("SELECT dst FROM redirect WHERE src = ?", (src,)).fetchone()
            old = old_row[0] if old_row else None
            if old == new:
                continue
            if new is None:
                db.execute("DELETE FROM redirect WHERE src = ?", (src,))
            else:
                db.execute("INSERT OR REPLACE INTO redirect VALUES (?, ?)", (src, new))
            # The source and both targets change members: their descriptions are rewritten whole.
            moved |= {src, *(k for k in (old, new) if k is not None)}
        canon = set(moved)
        for key in touched:
            row = db.execute("SELECT dst FROM redirect WHERE src = ?", (key,)).fetchone()
            canon.add(row[0] if row else key)
        stale_docs: set[str] = set()
        for key in sorted(canon):
            members = [key, *(s for (s,) in db.execute("SELECT src FROM redirect WHERE dst = ?", (key,)))]
            redirected = db.execute("SELECT 1 FROM redirect WHERE src = ?", (key,)).fetchone() is not None
            acc = None if redirected else _sum_raw(db, members)
            old_cls = db.execute("SELECT cls FROM entities WHERE key = ?", (key,)).fetchone()
            if acc is None:
                db.execute("DELETE FROM entities WHERE key = ?", (key,))
                entity = None
            else:
                entity = entity_of(key, acc, self.ontology, ())
                db.execute("INSERT OR REPLACE INTO entities VALUES (?, ?, ?)", (key, entity.cls, _entity_json(entity)))
            changed_members = key in moved
            kind = "entity" if changed_members or entity is None or old_cls is None else "props"
            db.execute("INSERT OR IGNORE INTO stale VALUES (?, ?)", (kind, key))
            if changed_members or (old_cls is not None and (entity is None or old_cls[0] != entity.cls)):
                # Statements of other documents now name another entity, or one of another class (which
                # decides whether a relation fits its property): their named graphs are rewritten.
                marks = ",".join("?" * len(members))
                stale_docs |= {
                    d
                    for (d,) in db.execute(
                        f"SELECT DISTINCT doc FROM statement_keys WHERE key IN ({marks})",
                        members,
                    )
                }
        return stale_docs

    # --- RDF ------------------------------------------------------------------------------------------------

    def _write_rdf(self) -> None:
        """Rewrite what the stale marks name, in one Oxigraph transaction; then clear the marks."""
        import pyoxigraph as ox

        from kg.export import DESCRIPTION, ENTITIES_GRAPH, entity_quads, sparql_insert
        from kg.iri import document_iri, entity_iri
        from kg.ontology import KG

        db, rdf = self._db, self._rdf
        if db is None or rdf is None:
            return
        stale = db.execute("SELECT kind, id FROM stale ORDER BY kind, id").fetchall()
        if not stale:
            return
        redirect = _Redirects(db)
        inserts: list[Any] = []
        docs = [key for kind, key in stale if kind == "doc"]
        whole = [key for kind, key in stale if kind == "entity"]
        props = [key for kind, key in stale if kind == "props"]
        deletes = [f"DROP SILENT GRAPH <{document_iri(d)}>" for d in docs]
        # What goes from the entities graph is found through Oxigraph's indexes, one bound pattern each, and
        # deleted as data: a pattern with a variable subject would scan the whole graph on every step.
        ents, mentioned = ox.NamedNode(str(ENTITIES_GRAPH)), ox.NamedNode(str(KG.mentionedIn))
        gone: list[Any] = []
        for d in docs:
            gone.extend(rdf.quads_for_pattern(None, mentioned, ox.NamedNode(document_iri(d)), ents))
        for key in whole:
            gone.extend(rdf.quads_for_pattern(ox.NamedNode(entity_iri(key)), None, None, ents))
        described = [ox.NamedNode(str(p)) for p in DESCRIPTION]
        for key in props:
            subject = ox.NamedNode(entity_iri(key))
            for p in described:
                gone.extend(rdf.quads_for_pattern(subject, p, None, ents))
        if gone:
            deletes.append(_delete_data(gone))
        for d in docs:
            inserts.extend(self._document_quads(db, d, redirect))
        for kind, key in stale:
            if kind in ("entity", "props"):
                row = db.execute("SELECT entity FROM entities WHERE key = ?", (key,)).fetchone()
                if row is None:
                    continue
                e = _entity_from_json(key, row[0])
                data: dict[str, Any] = {
                    "iri": entity_iri(key),
                    "type": e.cls,
                    "label": e.label,
                    "aliases": e.aliases,
                    "mentions": e.mentions,
                    "documents": self._documents_of(db, key, redirect) if kind == "entity" else (),
                }
                inserts.extend(entity_quads(data, documents=kind == "entity"))
        try:
            update = " ;\n".join([*deletes, sparql_insert(inserts)] if inserts else deletes)
            if update:
                rdf.update(update)
        except (OSError, SyntaxError, ValueError) as exc:
            raise OutputError(f"cannot write store '{self.path}': {exc}") from None
        db.execute("DELETE FROM stale")

    def _documents_of(self, db: sqlite3.Connection, key: str, redirect: _Redirects) -> list[str]:
        members = [key, *redirect.sources(key)]
        marks = ",".join("?" * len(members))
        sql = f"SELECT DISTINCT doc FROM contrib WHERE key IN ({marks}) ORDER BY doc"
        return [d for (d,) in db.execute(sql, members)]

    def _document_quads(self, db: sqlite3.Connection, doc: str, redirect: _Redirects) -> list[Any]:
        """A document's named graph (its description, assertions and the triples they support) and its
        entities' ``kg:mentionedIn`` links, from the store's current entities."""
        from rdflib import URIRef

        from kg.build import build_graph
        from kg.export import ENTITIES_GRAPH, quads
        from kg.iri import document_iri, entity_iri
        from kg.ontology import KG

        row = db.execute("SELECT article FROM documents WHERE id = ?", (doc,)).fetchone()
        if row is None:
            return []
        article = Article(**json.loads(row[0]))
        relations = []
        for s, p, o, pv in db.execute(
            "SELECT subject, predicate, object, provenance FROM statements WHERE doc = ? ORDER BY n", (doc,)
        ):
            s, o = redirect.get(s), redirect.get(o)
            if s != o:
                relations.append(Relation(s, p, o, Provenance(**json.loads(pv))))
        keys = sorted({k for r in relations for k in (r.subject, r.object)})
        classes = {k: c for k in keys for (c,) in db.execute("SELECT cls FROM entities WHERE key = ?", (k,))}
        entities = [Entity(k, k, classes[k], (), 0, ()) for k in keys if k in classes]
        g = build_graph(entities, relations, self.ontology, {doc: article})
        out: list[Any] = [q for q in quads(g) if q[3] != ENTITIES_GRAPH]
        doc_node = URIRef(document_iri(doc))
        for (key,) in db.execute("SELECT key FROM contrib WHERE doc = ?", (doc,)):
            out.append((URIRef(entity_iri(redirect.get(key))), KG.mentionedIn, doc_node, ENTITIES_GRAPH))
        return out


class _Redirects:
    """The surname merges, read once per RDF write."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._cache: dict[str, str] = {}

    def get(self, key: str) -> str:
        if key not in self._cache:
            row = self._db.execute("SELECT dst FROM redirect WHERE src = ?", (key,)).fetchone()
            self._cache[key] = row[0] if row else key
        return self._cache[key]

    def sources(self, key: str) -> list[str]:
        return [s for (s,) in self._db.execute("SELECT src FROM redirect WHERE dst = ?", (key,))]


def _delete_data(quads: Iterable[Any]) -> str:
    """A SPARQL ``DELETE DATA`` operation for Oxigraph quads (their terms print as N-Triples)."""
    by_graph: dict[str, list[str]] = {}
    for q in quads:
        by_graph.setdefault(str(q.graph_name), []).append(f"{q.subject} {q.predicate} {q.object} .\n")
    blocks = "".join(f"GRAPH {g} {{\n{''.join(lines)}}}\n" for g, lines in by_graph.items())
    return f"DELETE DATA {{\n{blocks}}}"


def _metadata_json(a: Article) -> str:
    """What the named graphs and the views need of an article; its text is kept once, in the extraction."""
    d = _fields(a)
    d["text"] = ""
    return json.dumps(d, ensure_ascii=False)


def _has_tables(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE name = 'documents'").fetchone() is not None


def _sum_raw(db: sqlite3.Connection, members: Sequence[str]) -> Any:
    from kg.resolve import _Acc

    acc = _Acc()
    found = False
    for key in members:
        row = db.execute("SELECT part FROM raw WHERE key = ?", (key,)).fetchone()
        if row is None:
            continue
        found = True
        m, s, n, v = _part(row[0])
        acc.mentions += m
        acc.surfaces.update(s)
        acc.names.update(n)
        acc.votes.update(v)
    return acc if found else None


def _entity_json(e: Entity) -> str:
    return json.dumps(
        {"label": e.label, "cls": e.cls, "aliases": e.aliases, "mentions": e.mentions}, ensure_ascii=False
    )


def _entity_from_json(key: str, text: str) -> Entity:
    d = json.loads(text)
    return Entity(key, d["label"], d["cls"], tuple(d["aliases"]), d["mentions"], ())
