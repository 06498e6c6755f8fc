"""The Dask engine (``kg build --engine dask``): workers of a Dask cluster clean, parse and extract partitions
of the corpus, and resolve them as a group-by on entity keys; the driver runs the corpus-level merges, builds
the graph and writes every output.

Resolution is a group-by: each partition's worker sums what its documents say of each entity key
(:class:`kg.resolve.Grouped`) right after extracting them, and those sums are reduced pairwise on the cluster,
in a tree, into one per key; the driver receives that total (one record per entity key and the relations
between keys) and runs only the merges that need the whole corpus (a surname joining a full name). The RDF
is written in shards: the worker that holds a partition's sums writes the N-Quads of its documents' graphs
(:func:`kg.export.shard_nquads`, with the final keys and classes the driver sends), and the driver merges
the shards, in input order, with the entities graph into every RDF output. A build into a store leaves
resolution and RDF to the store, which keeps the sums per key itself.

Only small records cross the network: a partition's articles go out, its ``Extracted`` tuples come back. The
spaCy pipeline is loaded once per worker process (a module-level cache filled by the first partition a worker
runs) and is never pickled with a task. Results are consumed in input order, whichever worker finished
first, so the graph is the one a single-process build gives. A partition whose worker died is run again by
the scheduler (``distributed.scheduler.allowed-failures``, 3 by default); it is only counted once its
result reached the driver, and each partition's result is consumed once, so no document is lost or counted
twice.

Nothing here imports Dask at module level: ``kg.pipeline`` imports this module only for ``engine="dask"``, and
workers import it to run :func:`_extract_partition`. See docs/CLUSTER.md.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.build import document_meta
from kg.errors import ClusterError, KGError, SettingsError
from kg.records import Article, Entity, Relation

if TYPE_CHECKING:
    from distributed import Client, Future

    from kg.pipeline import Cleaning, Extracted, Settings
    from kg.resolve import Grouped

#: Seconds to wait for a ``--scheduler`` to answer before giving up.
CONNECT_TIMEOUT = 5.0
#: How many times a partition that raised an unexpected error is run again. (A partition whose worker died
#: is rerun by the scheduler itself, up to ``distributed.scheduler.allowed-failures`` times.)
RETRIES = 2
#: Partitions per worker thread when the corpus is small enough (see :func:`partitions`).
PARTITIONS_PER_SLOT = 16
#: The most characters in one partition (about 45 Wikinews articles): a worker that dies loses no more.
MAX_PARTITION_CHARS = 200_000
#: Partitions per worker thread, at most, submitted and not yet consumed by the driver: enough to keep every
#: worker busy while the driver waits for the next partition in order, few enough to bound the results held.
IN_FLIGHT_PER_SLOT = 4
#: A test hook, ``PARTITION:FLAGFILE``: the worker that first finishes extracting that partition creates
#: FLAGFILE and dies before returning (tests/test_dask.py). Unset in every real build.
KILL_ENV = "KG_TEST_DASK_KILL_WORKER"

INSTALL_HINT = "pip install 'kg[dask]'"


def check_settings(settings: Settings) -> None:
    """Raise :class:`SettingsError` for Dask settings that cannot work, before anything runs."""
    import importlib.util

    if settings.workers is not None and settings.scheduler is not None:
        raise SettingsError(
            f"give either workers ({settings.workers}, a local cluster) or scheduler ('{settings.scheduler}', an "
            "existing cluster), not both"
        )
    if settings.workers is not None and settings.workers < 1:
        raise SettingsError(f"workers must be 1 or more, got {settings.workers}")
    address = settings.scheduler
    if address is not None and (not address.strip() or any(c.isspace() for c in address)):
        raise SettingsError(f"scheduler '{settings.scheduler}' is not an address; write e.g. tcp://HOST:8786")
    if settings.n_process != 1:
        raise SettingsError(
            f"n_process is {settings.n_process}, but the dask engine runs one process per Dask worker; leave "
            "n_process at 1 and set workers (or start more workers in the cluster)"
        )
    if importlib.util.find_spec("distributed") is None:
        raise SettingsError(f"the dask engine needs Dask, which is not installed: {INSTALL_HINT}")


@dataclass
class Resolved:
    """What the cluster resolved, filled in once every extraction was yielded (see :func:`extraction_stream`)."""

    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    #: The N-Quads of the documents' graphs, one shard per partition, in input order.
    shards: list[str] = field(default_factory=list)
    done: bool = False


def extraction_stream(
    articles: list[Article],
    settings: Settings,
    cleaning: Cleaning | None,
    resolved: Resolved | None = None,
) -> Iterator[Extracted]:
    """Extractions of ``articles`` in input order, made on the workers of a Dask cluster.

    ``resolved``: also resolve on the cluster (a group-by on entity keys; relations under
    ``settings.min_confidence`` left out, as the driver leaves them out) and write the documents' RDF in
    shards; filled in once every extraction was yielded, before the cluster closes.

    The cluster (a ``LocalCluster`` for ``settings.workers``, else the one at ``settings.scheduler``) lives as
    long as the iteration: it is closed when the iterator is exhausted, closed, or dropped, also on an error
    or Ctrl-C.

    Raises:
        SettingsError: The scheduler cannot be reached.
        ClusterError: A partition's workers kept dying, or the cluster went away during the build.
        KGError: What a worker raised (a model that is not installed there ...).
    """
    if not articles:
        return
    with _client(settings) as client:
        yield from _ordered(client, articles, settings, cleaning, resolved)


@contextmanager
def _client(settings: Settings) -> Iterator[Client]:
    from distributed import Client, LocalCluster

    if settings.scheduler is not None:
        address = _reachable(settings.scheduler)
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        try:
            yield client
        finally:
            client.close()
        return
    import dask

    # Dask starts its workers with MALLOC_TRIM_THRESHOLD_ set, which also turns off glibc's adaptive mmap
    # threshold: every large array spaCy allocates is then mapped and unmapped, and parsing took 10% longer
    # (bench/dask_bench.py). Without it the workers allocate as a plain process does.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        # One thread per worker process: spaCy holds the GIL, so threads would only share one core.
        cluster = LocalCluster(
            n_workers=settings.workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
    try:
        with Client(cluster, set_as_default=False) as client:
            yield client
    finally:
        cluster.close()


def _reachable(address: str) -> str:
    """``address`` once a Dask scheduler answered there, else a one-line :class:`SettingsError`.

    Asked with a bare RPC first: a ``Client`` that fails to connect leaves a traceback on stderr when it is
    collected, and takes twice its timeout to do so.
    """
    import asyncio

    from distributed.core import rpc
    from distributed.security import Security

    async def identity() -> dict[str, Any]:
        remote = rpc(address, timeout=CONNECT_TIMEOUT, connection_args=Security().get_connection_args("client"))
        try:
            return dict(await asyncio.wait_for(remote.identity(), CONNECT_TIMEOUT))
        finally:
            await remote.close_rpc()

    hint = "start one (dask scheduler) or fix --scheduler, e.g. tcp://HOST:8786"
    try:
        found = asyncio.run(identity())
    except ValueError as exc:
        raise SettingsError(f"scheduler '{address}' is not a Dask address ({exc}); write tcp://HOST:8786") from None
    except (OSError, asyncio.TimeoutError):
        raise SettingsError(f"no Dask scheduler answered at '{address}' within {CONNECT_TIMEOUT:g} s; {hint}") from None
    except Exception:  # something else listens there and sent what Dask cannot read (any error will do)
        raise SettingsError(f"'{address}' did not answer as a Dask scheduler; {hint}") from None
    if found.get("type") != "Scheduler":
        raise SettingsError(f"'{address}' is a Dask {found.get('type', 'server')}, not a scheduler; {hint}")
    return address


def partitions(articles: list[Article], slots: int, batch_size: int) -> list[list[Article]]:
    """Cut ``articles`` into runs of consecutive documents of about the same number of characters (parsing
    time follows the characters, not the documents): about :data:`PARTITIONS_PER_SLOT` per worker thread, so
    that the workers finish together, and none over two parsing batches or :data:`MAX_PARTITION_CHARS`, so
    that a partition run again costs little.

    Towards the end the partitions shrink (guided scheduling: each takes at most the remaining characters
    over twice the worker threads, down to a quarter of the usual size), so that the workers' last
    partitions end close together instead of one worker parsing a whole partition alone."""
    slots = max(1, slots)
    remaining = sum(len(a.text) for a in articles)
    target = min(MAX_PARTITION_CHARS, remaining / (PARTITIONS_PER_SLOT * slots))
    parts: list[list[Article]] = []
    part: list[Article] = []
    chars = 0
    for article in articles:
        part.append(article)
        chars += len(article.text)
        if chars >= max(target / 4, min(target, remaining / (2 * slots))) or len(part) >= 2 * batch_size:
            parts.append(part)
            remaining -= chars
            part, chars = [], 0
    if part:
        parts.append(part)
    return parts


def _ordered(
    client: Client,
    articles: list[Article],
    settings: Settings,
    cleaning: Cleaning | None,
    resolved: Resolved | None = None,
) -> Iterator[Extracted]:
    slots = max(1, sum(client.nthreads().values()))
    parts = partitions(articles, slots, settings.batch_size)
    build = uuid.uuid4().hex[:12]
    ontology_dir = None if settings.ontology_dir is None else str(settings.ontology_dir)
    group = None if resolved is None else settings.min_confidence
    documents: list[dict[str, dict[str, str | None]]] = []  # each partition's documents as the graph keeps them
    # The corpus-wide cleaning record goes to the cluster once, as a task (not scattered data): a worker that
    # dies with it loses nothing the scheduler cannot compute again. Each worker fetches it once.
    context = client.submit(
        _context, (settings.model, ontology_dir, settings.batch_size, cleaning, group), key=f"kg-context-{build}"
    )
    pending: deque[Future[Any]] = deque()
    groups: list[Future[Any]] = []
    submitted = 0
    try:
        for index in range(len(parts)):
            while submitted < len(parts) and len(pending) < IN_FLIGHT_PER_SLOT * slots + 1:
                task = client.submit(
                    _extract_partition,
                    submitted,
                    parts[submitted],
                    context,
                    key=f"kg-extract-{build}-{submitted}",
                    retries=RETRIES,
                )
                if group is not None:
                    # The extractions come to the driver; the partition's sums by key stay on the worker that
                    # made them until the reduction (the task's result itself is let go once both are taken).
                    groups.append(client.submit(_item, task, 1, key=f"kg-group-{build}-{submitted}"))
                    task = client.submit(_item, task, 0, key=f"kg-docs-{build}-{submitted}")
                pending.append(task)
                submitted += 1
            done = _result(pending.popleft(), index, parts[index])
            if resolved is not None:
                documents.append({ex.article.id: document_meta(ex.article) for ex, *_ in done})
            yield from done
        if resolved is not None and groups:
            _resolve(client, groups, documents, resolved, settings, build)
    finally:
        # Partitions still pending here mean an error or Ctrl-C: nothing more is wanted from the cluster.
        _cancel_unfinished([*pending, *groups, context])


def _resolve(
    client: Client,
    groups: list[Future[Any]],
    documents: list[dict[str, dict[str, str | None]]],
    resolved: Resolved,
    settings: Settings,
    build: str,
) -> None:
    """Reduce the partitions' sums by key, run the corpus-level merges here, and have the worker that holds
    each partition's sums write its documents' N-Quads with the final keys and classes."""
    from kg.ontology import load_ontology
    from kg.resolve import Resolver

    ontology = load_ontology(settings.ontology_dir)
    resolver = Resolver(ontology)
    resolver.absorb(_reduce(client, groups, build))
    redirect = resolver.surname_redirects()
    resolved.entities, resolved.relations = resolver.result()
    # Sent once to each worker that writes a shard, not once per task.
    (final,) = client.scatter([(redirect, {e.key: e.cls for e in resolved.entities})], broadcast=True)
    ontology_dir = None if settings.ontology_dir is None else str(settings.ontology_dir)
    shards = [
        client.submit(_shard, group, docs, final, ontology_dir, key=f"kg-shard-{build}-{n}", retries=RETRIES)
        for n, (group, docs) in enumerate(zip(groups, documents, strict=True))
    ]
    try:
        resolved.shards = [_gathered(future, f"writing the RDF of partition {n}") for n, future in enumerate(shards)]
    finally:
        _cancel_unfinished([*shards, final])
    resolved.done = True


def _cancel_unfinished(futures: list[Future[Any]]) -> None:
    """Cancel what is still running; what finished is let go with its future. (Cancelling a finished task
    also cancels the tasks that depend on it, and the scheduler fails an assertion, with a traceback in the
    user's terminal, on a dependent that no client holds any more: the extractions behind the futures of
    their two halves.)"""
    for future in futures:
        if not future.done():
            future.cancel()


def _gathered(future: Future[Any], what: str) -> Any:
    """A task's result, or a one-line :class:`ClusterError` saying ``what`` the task was doing."""
    from distributed import CancelledError, KilledWorker

    try:
        return future.result()
    except KilledWorker:
        raise ClusterError(
            f"the Dask worker {what} died each time it was tried; look for the cause (memory?) in the workers' logs"
        ) from None
    except (CancelledError, OSError) as exc:  # the scheduler or the connection to it went away
        raise ClusterError(f"the Dask cluster went away while {what}: {type(exc).__name__}: {exc}") from None


def _reduce(client: Client, groups: list[Future[Any]], build: str) -> Grouped:
    """The partitions' sums by key reduced pairwise on the cluster, in order, into one."""
    from kg.resolve import merge

    level = 0
    while len(groups) > 1:
        paired = [
            client.submit(merge, groups[i], groups[i + 1], key=f"kg-merge-{build}-{level}-{i}", retries=RETRIES)
            for i in range(0, len(groups) - 1, 2)
        ]
        groups = paired + groups[len(paired) * 2 :]
        level += 1
    out: Grouped = _gathered(groups[0], "reducing the entity keys")
    return out


def _result(future: Future[Any], index: int, part: list[Article]) -> list[Extracted]:
    docs = f"partition {index} ('{part[0].id}' to '{part[-1].id}', {len(part)} documents)"
    out = _gathered(future, f"running {docs}")
    if isinstance(out, KGError):
        raise out
    return list(out)


# ---- on the workers ----

#: (model, ontology folder) -> (pipeline, model name, ontology), once per worker process.
_PIPELINES: dict[tuple[str | None, str | None], tuple[Any, str, Any]] = {}
#: How many times this process loaded a pipeline (tests check that it is once per worker).
LOADS = 0
# A worker with several threads runs one partition at a time: spaCy holds the GIL anyway, and one pipeline
# object is not known to be safe to share between threads.
_LOCK = threading.Lock()


def _context(value: Any) -> Any:
    return value


def _item(result: Any, n: int) -> Any:
    """One half of a partition's (extractions, sums by key); an error returned in its place stays the error."""
    if isinstance(result, KGError):
        return result if n == 0 else None
    return result[n]


def _pipeline(model: str | None, ontology_dir: str | None) -> tuple[Any, str, Any]:
    global LOADS
    key = (model, ontology_dir)
    if key not in _PIPELINES:
        from kg.nlp import load_pipeline, model_name
        from kg.ontology import load_ontology

        folder = None if ontology_dir is None else Path(ontology_dir)
        nlp = load_pipeline(model, folder)
        _PIPELINES[key] = (nlp, model_name(nlp), load_ontology(folder))
        LOADS += 1
    return _PIPELINES[key]


def _extract_partition(
    index: int, articles: list[Article], context: tuple[str | None, str | None, int, Cleaning | None, float | None]
) -> list[Extracted] | tuple[list[Extracted], Grouped] | KGError:
    """Clean, parse and extract one partition on a worker; with a confidence floor in the context (``group``),
    also group its documents by entity key: (extractions, sums by key).

    A :class:`KGError` (a model missing on this worker ...) is returned, not raised: running it again cannot
    help, and the driver raises it.
    """
    from kg.pipeline import _extract_each

    model, ontology_dir, batch_size, cleaning, group = context
    try:
        with _LOCK:
            nlp, name, ontology = _pipeline(model, ontology_dir)
            out = list(_extract_each(nlp, articles, ontology, batch_size, name, cleaning))
    except KGError as exc:
        return exc
    _die_if_asked(index)
    if group is None:
        return out
    from kg.pipeline import confident
    from kg.resolve import Grouped

    sums = Grouped()
    for ex, *_ in out:
        sums.add(confident(ex, group))  # as the driver filters what it keeps
    return out, sums


def _shard(group: Grouped, documents: Mapping[str, Mapping[str, Any]], final: Any, ontology_dir: str | None) -> str:
    """The N-Quads of one partition's documents' graphs, from its sums by key (held on this worker) and the
    corpus-level merges and classes (``final``: redirect, key -> class) the driver decided."""
    from kg.export import shard_nquads
    from kg.ontology import load_ontology

    redirect, types = final
    relations = []
    for r in group.relations:
        s, o = redirect.get(r.subject, r.subject), redirect.get(r.object, r.object)
        if s != o:  # as Resolver.result leaves them out
            relations.append(Relation(s, r.predicate, o, r.provenance))
    return shard_nquads(
        relations, documents, types, load_ontology(None if ontology_dir is None else Path(ontology_dir))
    )


def _die_if_asked(index: int) -> None:
    spec = os.environ.get(KILL_ENV)
    if not spec:
        return
    partition, _, flag = spec.partition(":")
    if partition != str(index) or not flag:
        return
    try:
        # Created once, atomically: the rerun of this partition finds the file and goes on.
        os.close(os.open(flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:
        return
    os._exit(1)
