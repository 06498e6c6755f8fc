"""Scoring a built graph against gold annotations (see docs/GOLD_FORMAT.md).

A graph node carries a gold entity when its label or one of its aliases is one of the entity's aliases
(case-insensitive). A gold relation is found when an edge of its type, not negated, joins nodes that carry
its two entities (in its direction unless it is symmetric). Precision counts every such edge between nodes
that carry gold entities.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from kg.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from kg.annotations import AnnotatedSentence
    from kg.records import DocumentExtraction


@dataclass(frozen=True, slots=True)
class Gold:
    """Gold annotations for a set of documents."""

    documents: tuple[str, ...]
    entities: dict[str, dict[str, Any]]
    relations: tuple[tuple[str, str, str, bool], ...]
    not_relations: tuple[tuple[str, str, str, bool], ...]
    not_nodes: tuple[str, ...]


@dataclass
class PRF:
    """True positives, false positives and false negatives, with derived scores."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass
class Score:
    """The result of :func:`score`."""

    entities: PRF = field(default_factory=PRF)
    entities_by_type: dict[str, PRF] = field(default_factory=lambda: defaultdict(PRF))
    relations: PRF = field(default_factory=PRF)
    relations_by_type: dict[str, PRF] = field(default_factory=lambda: defaultdict(PRF))
    split: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    spurious_nodes: list[str] = field(default_factory=list)
    forbidden_nodes: list[str] = field(default_factory=list)
    forbidden_relations: list[str] = field(default_factory=list)
    missing_relations: list[str] = field(default_factory=list)
    wrong_relations: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "entities": self.entities.as_dict(),
            "entities_by_type": {k: v.as_dict() for k, v in sorted(self.entities_by_type.items())},
            "relations": self.relations.as_dict(),
            "relations_by_type": {k: v.as_dict() for k, v in sorted(self.relations_by_type.items())},
            "split": self.split,
            "merged": self.merged,
            "spurious_nodes": self.spurious_nodes,
            "forbidden_nodes": self.forbidden_nodes,
            "forbidden_relations": self.forbidden_relations,
            "missing_relations": self.missing_relations,
            "wrong_relations": self.wrong_relations,
        }


def load_gold(path: str | Path) -> Gold:
    """Read a gold file.

    Raises:
        InputError: The file is missing, not JSON, or refers to an undefined entity id.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"gold file not found: '{path}'") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"gold file '{path}' is not valid JSON: {exc}") from None
    entities = {e["id"]: e for e in data.get("entities", [])}

    def rels(key: str) -> tuple[tuple[str, str, str, bool], ...]:
        out = []
        for r in data.get(key, []):
            for end in (r["subject"], r["object"]):
                if end not in entities:
                    raise InputError(f"gold file '{path}': {key} names unknown entity id '{end}'")
            out.append((r["subject"], r["predicate"], r["object"], bool(r.get("symmetric", False))))
        return tuple(out)

    return Gold(
        documents=tuple(data.get("documents", [])),
        entities=entities,
        relations=rels("relations"),
        not_relations=rels("not_relations"),
        not_nodes=tuple(data.get("not_nodes", [])),
    )


def score(gold: Gold, g: nx.MultiDiGraph) -> Score:
    """Score graph ``g`` against ``gold``."""
    result = Score()
    alias_of: dict[str, set[str]] = defaultdict(set)
    for gid, e in gold.entities.items():
        for a in e["aliases"]:
            alias_of[a.casefold()].add(gid)
    carries: dict[str, set[str]] = {}
    for node, d in g.nodes(data=True):
        names = {d["label"].casefold(), *(a.casefold() for a in d["aliases"])}
        carries[node] = {gid for n in names for gid in alias_of.get(n, ())}
        if not carries[node]:
            result.spurious_nodes.append(d["label"])
        if len(carries[node]) > 1:
            result.merged.append(f"{d['label']}: {sorted(carries[node])}")
        forbidden = {n.casefold() for n in gold.not_nodes} & names
        if forbidden:
            result.forbidden_nodes.append(d["label"])
    nodes_of: dict[str, list[str]] = defaultdict(list)
    for node, gids in carries.items():
        for gid in gids:
            nodes_of[gid].append(node)
    for gid, e in gold.entities.items():
        cls = e.get("type", "Actor")
        found = nodes_of.get(gid, [])
        if len(found) > 1:
            result.split.append(f"{gid}: {sorted(g.nodes[n]['label'] for n in found)}")
        if found:
            result.entities.tp += 1
            ok_type = any(g.nodes[n]["type"] == cls for n in found)
            result.entities_by_type[cls].tp += 1 if ok_type else 0
            result.entities_by_type[cls].fn += 0 if ok_type else 1
        else:
            result.entities.fn += 1
            result.entities_by_type[cls].fn += 1
    result.entities.fp = len(result.spurious_nodes)
    types = Counter(g.nodes[n]["type"] for n in carries if not carries[n])
    for cls, n in types.items():
        result.entities_by_type[cls].fp += n

    def key(s: str, p: str, o: str, sym: bool) -> tuple[str, str, str]:
        return (min(s, o), p, max(s, o)) if sym else (s, p, o)

    symmetric_preds = {p for _, p, _, sym in gold.relations if sym}
    gold_keys = {key(*r) for r in gold.relations}
    found_keys: set[tuple[str, str, str]] = set()
    for s, o, d in g.edges(data=True):
        if d["negated"]:
            continue
        p = d["predicate"]
        sym = bool(d.get("symmetric")) or p in symmetric_preds
        pairs = {key(a, p, b, sym) for a in carries[s] for b in carries[o] if a != b}
        if not pairs:
            continue
        hit = pairs & gold_keys
        if hit:
            found_keys |= hit
        else:
            label = f"{g.nodes[s]['label']} {p} {g.nodes[o]['label']}"
            result.wrong_relations.append(label)
            result.relations.fp += 1
            result.relations_by_type[p].fp += 1
        if pairs & {key(*r) for r in gold.not_relations}:
            result.forbidden_relations.append(f"{g.nodes[s]['label']} {p} {g.nodes[o]['label']}")
    for k in sorted(gold_keys):
        p = k[1]
        if k in found_keys:
            result.relations.tp += 1
            result.relations_by_type[p].tp += 1
        else:
            result.relations.fn += 1
            result.relations_by_type[p].fn += 1
            result.missing_relations.append(" ".join(k))
    return result


def load_graph(path: str | Path) -> nx.MultiDiGraph:
    """A graph to score: a build folder (entities.jsonl, relations.jsonl) or an RDF file kg wrote.

    Raises:
        InputError: Neither a build folder nor a readable RDF file.
    """
    from kg.ontology import load_ontology

    onto = load_ontology()
    path = Path(path)
    g = nx.MultiDiGraph()
    if path.is_dir():
        ents, rels = path / "entities.jsonl", path / "relations.jsonl"
        if not (ents.is_file() and rels.is_file()):
            raise InputError(f"'{path}' has no entities.jsonl and relations.jsonl (is it a `kg build` output folder?)")
        for line in ents.read_text(encoding="utf-8").splitlines():
            e = json.loads(line)
            g.add_node(e["iri"], label=e["label"], aliases=e["aliases"], type=e["type"])
        for line in rels.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            p = r["predicate"]
            sym = onto.relations[p].symmetric if p in onto.relations else False
            g.add_edge(
                r["subject"]["iri"],
                r["object"]["iri"],
                key=(p, r["negated"]),
                predicate=p,
                negated=r["negated"],
                symmetric=sym,
            )
        return g
    from rdflib import RDF, RDFS, URIRef
    from rdflib.namespace import SKOS

    from kg.ontology import KG, ONTOLOGY_IRI
    from kg.validate import load_rdf

    rdf = load_rdf(path)
    for node in set(rdf.subjects(KG.mentionCount, None)):
        types = [str(t)[len(ONTOLOGY_IRI) :] for t in rdf.objects(node, RDF.type) if str(t).startswith(ONTOLOGY_IRI)]
        label = str(rdf.value(node, RDFS.label) or node)
        aliases = sorted({label, *(str(a) for a in rdf.objects(node, SKOS.altLabel))})
        g.add_node(str(node), label=label, aliases=aliases, type=types[0] if types else "Actor")
    for name, rel in onto.relations.items():
        for s, o in rdf.subject_objects(URIRef(ONTOLOGY_IRI + name)):
            if str(s) in g and str(o) in g:
                g.add_edge(str(s), str(o), key=name, predicate=name, negated=False, symmetric=rel.symmetric)
    return g


def score_cleaning(fixtures_dir: str | Path) -> dict[str, Any]:
    """Story and furniture recall of the cleaning stage, by characters, on rendered fixtures.

    ``fixtures_dir`` holds ``NAME.gold.json`` files with the segments of ``NAME.txt`` (line breaks kept) and
    ``NAME.flat.txt`` (line breaks lost) as ``[start, end, story, label]`` spans (tests/data/clean/README.md),
    and ``NAME.html``. For text, a story character counts as kept when it is not blanked and a furniture
    character as removed when it is. For HTML (text from trafilatura, then cleaned), a segment counts as kept
    when its words appear in that order in the cleaned text; furniture shorter than 20 characters ("World",
    "Share") is left out of the HTML figures because such words also occur inside story sentences.
    """
    from kg.clean import blank, clean_text
    from kg.web import read_html

    root = Path(fixtures_dir)
    golds = sorted(root.glob("*.gold.json"))
    if not golds:
        raise InputError(f"no *.gold.json fixtures in '{root}'")
    table: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0]))
    lost: list[str] = []
    for gpath in golds:
        name = gpath.name[: -len(".gold.json")]
        gold = json.loads(gpath.read_text(encoding="utf-8"))
        kind = gold["kind"]
        for variant, fname in (("txt", f"{name}.txt"), ("flat", f"{name}.flat.txt")):
            text = (root / fname).read_text(encoding="utf-8")
            blanked = blank(text, clean_text(text, name))
            cell = table[kind][variant]
            for start, end, story, label in gold[variant]:
                kept = sum(1 for i in range(start, end) if blanked[i] == text[i] and not text[i].isspace())
                total = sum(1 for i in range(start, end) if not text[i].isspace())
                if story:
                    cell[0] += kept
                    cell[1] += total
                    if kept < total:
                        lost.append(f"{fname}: {label}: {text[start:end][:80]!r}")
                else:
                    cell[2] += total - kept
                    cell[3] += total
        page = read_html(root / f"{name}.html")
        cleaned = " ".join(blank(page.text, clean_text(page.text, name)).split()).lower()
        cell = table[kind]["html"]
        for seg in gold["segments"]:
            words = " ".join(seg["text"].split()).lower()
            present = words in cleaned
            n = len(words.replace(" ", ""))
            if seg["story"]:
                cell[0] += n if present else 0
                cell[1] += n
                if not present:
                    lost.append(f"{name}.html: {seg['label']}: {seg['text'][:80]!r}")
            elif len(words) >= 20:
                cell[2] += 0 if present else n
                cell[3] += n

    def ratio(a: int, b: int) -> float:
        return round(a / b, 4) if b else 1.0

    out: dict[str, Any] = {"documents": len(golds), "by_kind": {}, "lost_story": lost}
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for kind, variants in sorted(table.items()):
        out["by_kind"][kind] = {}
        for variant, (sk, st, fr, ft) in sorted(variants.items()):
            out["by_kind"][kind][variant] = {"story_recall": ratio(sk, st), "furniture_recall": ratio(fr, ft)}
            t = totals[variant]
            t[0], t[1], t[2], t[3] = t[0] + sk, t[1] + st, t[2] + fr, t[3] + ft
    out["overall"] = {
        v: {
            "story_recall": ratio(t[0], t[1]),
            "furniture_recall": ratio(t[2], t[3]),
            "story_chars": t[1],
            "furniture_chars": t[3],
        }
        for v, t in sorted(totals.items())
    }
    return out


def furniture_only_names(fixtures_dir: str | Path, variant: str = "txt", clean: bool = True) -> dict[str, Any]:
    """Names kg finds only in page furniture, over the rendered cleaning fixtures.

    Every text rendering (``variant``: ``txt`` or ``flat``) is built as one corpus, with or without the
    cleaning stage. A name is the normalised name of a name mention (the form its node is labelled with); it
    is furniture-only when every one of its mentions, in every document, lies inside a gold furniture span.
    """
    from kg.pipeline import Settings, extractions
    from kg.records import Article

    root = Path(fixtures_dir)
    golds = sorted(root.glob("*.gold.json"))
    if not golds:
        raise InputError(f"no *.gold.json fixtures in '{root}'")
    suffix = ".txt" if variant == "txt" else ".flat.txt"
    furniture: dict[str, list[tuple[int, int]]] = {}
    articles = []
    for gpath in golds:
        name = gpath.name[: -len(".gold.json")]
        gold = json.loads(gpath.read_text(encoding="utf-8"))
        furniture[name] = [(a, b) for a, b, story, _label in gold[variant] if not story]
        articles.append(Article(id=name, text=(root / f"{name}{suffix}").read_text(encoding="utf-8")))
    inside: dict[str, bool] = {}
    for ex in extractions(articles, Settings(clean=clean)):
        for m in ex.mentions:
            if m.kind != "name":
                continue
            here = any(a <= m.start and m.end <= b for a, b in furniture[ex.article.id])
            key = m.name.lower()
            inside[key] = inside.get(key, True) and here
    only = sorted(k for k, v in inside.items() if v)
    return {"variant": variant, "clean": clean, "names": len(inside), "furniture_only": len(only), "examples": only}


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score_annotations(
    sentences: Sequence[AnnotatedSentence], extractions: Iterable[DocumentExtraction]
) -> dict[str, Any]:
    """Relation P/R/F1 against sentence-level annotations (docs/ANNOTATION.md), per relation and micro.

    Only the annotated documents are scored, every sentence of them: a relation kg finds in a sentence the
    annotators left out (fewer than two actors) is a false positive. A predicted relation matches a gold one
    of the same type when its subject and object mentions overlap the gold mentions (in the gold direction,
    either direction for symmetric relations). Negated statements on either side are left out, and so are
    relations kg inferred from an owned force (rule ``...+partOf``), which the guidelines do not annotate.
    """
    from kg.annotations import SYMMETRIC

    gold_by_doc: dict[str, list[tuple[tuple[int, int], str, tuple[int, int]]]] = defaultdict(list)
    for sent in sentences:
        for rel in sent.relations:
            if rel.negated:
                continue
            m_s, m_o = sent.mention(rel.subject), sent.mention(rel.object)
            gold_by_doc[sent.doc].append(((m_s.start, m_s.end), rel.predicate, (m_o.start, m_o.end)))
    docs = {sent.doc for sent in sentences}
    table: dict[str, PRF] = defaultdict(PRF)
    errors: list[dict[str, Any]] = []
    for ex in extractions:
        if ex.article.id not in docs:
            continue
        gold = list(gold_by_doc.get(ex.article.id, []))
        matched = [False] * len(gold)
        preds = {}
        for r in ex.relations:
            if r.provenance.negated or r.provenance.rule.endswith("+partOf"):
                continue  # inferred from an owned force ("Sudan's army" -> Sudan): not stated, not annotated
            ms, mo = ex.mentions[r.subject], ex.mentions[r.object]
            preds[((ms.start, ms.end), r.predicate, (mo.start, mo.end))] = r
        for (ps, pred, po), r in sorted(preds.items()):
            hit = None
            for n, (gs, gp, go) in enumerate(gold):
                if gp != pred or matched[n]:
                    continue
                direct = _overlaps(ps, gs) and _overlaps(po, go)
                if direct or (pred in SYMMETRIC and _overlaps(ps, go) and _overlaps(po, gs)):
                    hit = n
                    break
            if hit is None:
                table[pred].fp += 1
                errors.append(
                    {
                        "kind": "fp",
                        "doc": ex.article.id,
                        "predicate": pred,
                        "rule": r.provenance.rule,
                        "subject": ex.article.text[ps[0] : ps[1]],
                        "object": ex.article.text[po[0] : po[1]],
                        "sentence": r.provenance.sentence,
                    }
                )
            else:
                matched[hit] = True
                table[pred].tp += 1
        for n, (gs, gp, go) in enumerate(gold):
            if not matched[n]:
                table[gp].fn += 1
                errors.append(
                    {
                        "kind": "fn",
                        "doc": ex.article.id,
                        "predicate": gp,
                        "subject": ex.article.text[gs[0] : gs[1]],
                        "object": ex.article.text[go[0] : go[1]],
                    }
                )
    total = PRF()
    for v in table.values():
        total.tp, total.fp, total.fn = total.tp + v.tp, total.fp + v.fp, total.fn + v.fn
    return {
        "documents": len(docs),
        "sentences": len(sentences),
        "relations": total.as_dict(),
        "relations_by_type": {k: v.as_dict() for k, v in sorted(table.items())},
        "errors": errors,
    }


def is_annotation_path(path: str | Path) -> bool:
    """Sentence annotations (docs/ANNOTATION.md) are ``.jsonl`` files or folders of them; gold sets are JSON."""
    p = Path(path)
    return p.suffix.lower() == ".jsonl" or (p.is_dir() and any(p.glob("*.jsonl")))


def evaluate_annotations(
    annotations: str | Path, corpus: str | Path, split: str = "test", model: str | None = None
) -> dict[str, Any]:
    """Run kg over the annotated articles of one split of ``corpus`` and score it (:func:`score_annotations`).

    Raises:
        AnnotationError: The annotations are malformed, or name articles the corpus lacks.
        InputError: The corpus cannot be read.
    """
    from kg.annotations import check_against, load
    from kg.errors import AnnotationError
    from kg.ingest import load_articles
    from kg.pipeline import Settings, extractions

    sentences = load([annotations], splits=(split,))
    if not sentences:
        raise AnnotationError(f"no annotated sentences of split '{split}' in '{annotations}'")
    wanted = {s.doc for s in sentences}
    articles = [a for a in load_articles([corpus]) if a.id in wanted]
    check_against(sentences, {a.id: a.text for a in articles})
    result = score_annotations(sentences, extractions(articles, Settings(model=model)))
    result["split"] = split
    return result
