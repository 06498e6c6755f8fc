"""Score kg on CoNLL04 (Roth & Yih 2004): each sentence is built as a document by the normal pipeline.

Our relations map onto CoNLL04's five: killed -> Kill; memberOf/leaderOf -> Work_For (to an organisation)
or Live_In (to a place); livesIn -> Live_In; locatedIn -> OrgBased_In (from an organisation) or
Located_In (from a place). The criterion is the standard one: a predicted relation is correct when both
argument spans match a gold entity's boundaries exactly and the relation type matches. Entities are scored
separately on boundaries and type (Peop, Org, Loc; kg does not predict Other).

kg writes a person's name without its title and keeps the title beside it; CoNLL04 puts some titles inside
the person's span ("President Kennedy", "Mrs. Parks") and leaves others out ("Gov. | James Thompson",
"Judge | Kenneth Starr"). Which titles go inside is read from the gold of the benchmark's train split when it
lies beside the split scored (:func:`title_convention`), never from the split scored.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Container, Iterable
from pathlib import Path
from typing import Any

from kg.errors import InputError
from kg.evaluate import PRF
from kg.ontology import load_ontology
from kg.records import Article, DocumentExtraction, Mention, named_antecedent

ENTITY_TYPE = {
    "Person": "Peop",
    "Organization": "Org",
    "ArmedGroup": "Org",
    "Country": "Loc",
    "City": "Loc",
    "Region": "Loc",
    "Group": "Other",
}
Span = tuple[int, int]


def read(path: str | Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Sentences of a CoNLL04 JSONL split (see ../shared/data/conll04/README.md)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"CoNLL04 file not found: '{path}'")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read CoNLL04 file '{path}': {exc}") from None
    rows = []
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise InputError(f"{path}, line {lineno}: not a CoNLL04 JSON line ({exc})") from None
        if not _valid_row(row):
            raise InputError(
                f"{path}, line {lineno}: a CoNLL04 line needs 'id', 'text', 'entities' (start, end, type) and "
                "'relations' (head, tail, type naming entities of the line)"
            )
        rows.append(row)
    return rows[:limit] if limit else rows


def _valid_row(row: Any) -> bool:
    if not isinstance(row, dict) or not isinstance(row.get("id"), str) or not isinstance(row.get("text"), str):
        return False
    ents, rels, n = row.get("entities"), row.get("relations"), len(row.get("text", ""))
    if not isinstance(ents, list) or not isinstance(rels, list):
        return False
    for e in ents:
        if not isinstance(e, dict) or not isinstance(e.get("type"), str):
            return False
        start, end = e.get("start"), e.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= n):
            return False
    for r in rels:
        if not isinstance(r, dict) or r.get("type") not in _CONLL_TYPES:
            return False
        if not all(isinstance(r.get(k), int) and 0 <= r[k] < len(ents) for k in ("head", "tail")):
            return False
    return True


_CONLL_TYPES = ("Kill", "Work_For", "Live_In", "OrgBased_In", "Located_In")


def conll_relation(predicate: str, subject_type: str, object_type: str) -> str | None:
    """The CoNLL04 relation type for one of ours, given the CoNLL types of its arguments."""
    if predicate == "killed":
        return "Kill"
    if predicate in ("memberOf", "leaderOf"):
        return {"Org": "Work_For", "Loc": "Live_In"}.get(object_type)
    if predicate == "livesIn":
        return "Live_In"
    if predicate == "locatedIn":
        return {"Org": "OrgBased_In", "Loc": "Located_In"}.get(subject_type)
    return None


def title_convention(rows: Iterable[dict[str, Any]], titles: Container[str]) -> frozenset[str]:
    """The titles (lower case) that the gold of ``rows`` puts outside a person's span more often than inside:
    "gov." for "Gov. | James Thompson" against "Gov. James Thompson"."""
    inside: Counter[str] = Counter()
    outside: Counter[str] = Counter()
    for row in rows:
        text = row["text"]
        for e in row["entities"]:
            if e["type"] != "Peop":
                continue
            words = text[e["start"] : e["end"]].split(" ")
            before = text[: e["start"]].rstrip().split(" ")
            for n in (2, 1):
                head, prev = " ".join(words[:n]).lower(), " ".join(before[-n:])
                if len(words) > n and head in titles:
                    inside[head] += 1
                    break
                if len(before) >= n and prev.lower() in titles and prev[:1].isupper():
                    outside[prev.lower()] += 1
                    break
    return frozenset(t for t in outside if outside[t] > inside[t])


def _span(m: Mention, text: str, titles: Container[str] = (), outside: Container[str] = ()) -> Span:
    """The mention's span as CoNLL04 marks it: with its title ("President Lincoln", "Mrs. Higgins"), whether
    kg stripped it from the name or the recognizer left it out, unless the title is one CoNLL04 leaves
    ``outside`` the span; and with a period written against the last word ("Calif.", "Museum."), which
    CoNLL04's tokenization keeps in the token."""
    start, end = m.start, m.end
    if m.title and text[: m.start].rstrip().endswith(m.title):
        if m.title.lower() not in outside:
            start = text[: m.start].rstrip().rfind(m.title)
    else:
        before = text[: m.start].rstrip().split(" ")
        for n in (2, 1):
            cand = " ".join(before[-n:]) if len(before) >= n else ""
            if cand and cand.lower() in titles and cand[0].isupper():
                if cand.lower() not in outside:
                    start = m.start - len(text[: m.start]) + len(text[: m.start].rstrip()) - len(cand)
                break
    if end < len(text) and text[end] == "." and (end + 1 == len(text) or text[end + 1] == " "):
        end += 1
    return start, end


def predictions(
    ex: DocumentExtraction, outside: Container[str] = ()
) -> tuple[set[tuple[Span, str]], set[tuple[Span, Span, str]]]:
    """Predicted (span, type) entities and (head span, tail span, type) relations of one sentence
    (``outside``: the titles CoNLL04 leaves out of a person's span, see :func:`title_convention`)."""
    onto = load_ontology()
    text = ex.article.text
    mentions = ex.mentions

    def marked(m: Mention) -> bool:
        # CoNLL04 marks no "the coalition", and no nationality word ("Chilean", "Serbs") as a place.
        entry = onto.gazetteer.get(m.text)
        return m.kind == "name" and not (entry is not None and entry.kind == "demonym")

    def named(i: int) -> Mention | None:
        m = named_antecedent(mentions, i)
        return m if m is not None and marked(m) else None

    entities = {(_span(m, text, onto.titles, outside), ENTITY_TYPE.get(m.cls, "Other")) for m in mentions if marked(m)}
    relations = set()
    for r in ex.relations:
        if r.provenance.negated:
            continue
        s, o = named(r.subject), named(r.object)
        if s is None or o is None:
            continue
        rel = onto.relations[r.predicate]
        if not (onto.fits(s.cls, rel.domain) and onto.fits(o.cls, rel.range)):
            continue
        ctype = conll_relation(r.predicate, ENTITY_TYPE.get(s.cls, "Other"), ENTITY_TYPE.get(o.cls, "Other"))
        if ctype is not None:
            relations.add((_span(s, text, onto.titles, outside), _span(o, text, onto.titles, outside), ctype))
    return entities, relations


def gold(row: dict[str, Any]) -> tuple[set[tuple[Span, str]], set[tuple[Span, Span, str]]]:
    """Gold entities and relations of one sentence."""
    ents = row["entities"]
    entities = {((e["start"], e["end"]), e["type"]) for e in ents}
    relations = {
        (
            (ents[r["head"]]["start"], ents[r["head"]]["end"]),
            (ents[r["tail"]]["start"], ents[r["tail"]]["end"]),
            r["type"],
        )
        for r in row["relations"]
    }
    return entities, relations


def score(
    rows: list[dict[str, Any]], extractions: Iterable[DocumentExtraction], outside: Container[str] = ()
) -> dict[str, Any]:
    """Micro and per-type P/R/F1 for relations and entities (``outside``: as for :func:`predictions`)."""
    rel_by_type: dict[str, PRF] = defaultdict(PRF)
    ent_by_type: dict[str, PRF] = defaultdict(PRF)
    by_id = {ex.article.id: ex for ex in extractions}
    for row in rows:
        g_ents, g_rels = gold(row)
        p_ents, p_rels = predictions(by_id[row["id"]], outside)
        pairs: tuple[tuple[set[Any], set[Any], dict[str, PRF]], ...] = (
            (p_rels, g_rels, rel_by_type),
            (p_ents, g_ents, ent_by_type),
        )
        for pred, truth, table in pairs:
            for item in pred | truth:
                prf = table[str(item[-1])]
                if item in pred and item in truth:
                    prf.tp += 1
                elif item in pred:
                    prf.fp += 1
                else:
                    prf.fn += 1

    def micro(table: dict[str, PRF], skip: tuple[str, ...] = ()) -> PRF:
        total = PRF()
        for k, v in table.items():
            if k not in skip:
                total.tp, total.fp, total.fn = total.tp + v.tp, total.fp + v.fp, total.fn + v.fn
        return total

    return {
        "sentences": len(rows),
        "relations": micro(rel_by_type).as_dict(),
        "relations_by_type": {k: v.as_dict() for k, v in sorted(rel_by_type.items())},
        "entities": micro(ent_by_type).as_dict(),
        "entities_without_other": micro(ent_by_type, ("Other",)).as_dict(),
        "entities_by_type": {k: v.as_dict() for k, v in sorted(ent_by_type.items())},
    }


def evaluate(path: str | Path, limit: int | None = None, model: str | None = None) -> dict[str, Any]:
    """Run kg over a CoNLL04 split and score it."""
    from kg.pipeline import Settings, extractions

    rows = read(path, limit)
    train = Path(path).with_name("train.jsonl")
    outside = title_convention(read(train), load_ontology().titles) if train.is_file() else frozenset()
    articles = [Article(id=r["id"], text=r["text"]) for r in rows]
    # Sentences of a benchmark are not web pages: there is no furniture to clean.
    result = score(rows, extractions(articles, Settings(model=model, batch_size=64, clean=False)), outside)
    result["titles_outside_spans"] = sorted(outside)
    return result
