"""Sentence-level relation annotations (docs/ANNOTATION.md): reading, checking, locating spans.

One JSONL line per annotated sentence. Entity mentions are given as verbatim text (with an occurrence number
when a string repeats), so annotators never count characters; :func:`load` turns them into character offsets
into the article text and refuses anything that does not match, naming the file, line and value.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import AnnotationError

ENTITY_TYPES = ("Person", "Country", "City", "Region", "Organization", "ArmedGroup", "Group")
PREDICATES = (
    "killed",
    "attacked",
    "opposes",
    "alliedWith",
    "supports",
    "leaderOf",
    "memberOf",
    "partOf",
    "locatedIn",
    "livesIn",
)
SYMMETRIC = frozenset({"alliedWith"})
SPLITS = ("train", "dev", "test")


@dataclass(frozen=True, slots=True)
class GoldMention:
    """One annotated actor mention; offsets are into the article text."""

    id: str
    start: int
    end: int
    text: str
    type: str
    refers_to: str | None = None


@dataclass(frozen=True, slots=True)
class GoldRelation:
    """One annotated relation between two mentions of the same sentence."""

    subject: str
    predicate: str
    object: str
    negated: bool = False
    hedged: bool = False


@dataclass(frozen=True, slots=True)
class AnnotatedSentence:
    """One annotated sentence of one article."""

    doc: str
    split: str
    sent: int
    start: int
    text: str
    mentions: tuple[GoldMention, ...]
    relations: tuple[GoldRelation, ...]
    source: str = ""

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    def mention(self, mention_id: str) -> GoldMention:
        for m in self.mentions:
            if m.id == mention_id:
                return m
        raise KeyError(mention_id)


def _find(text: str, needle: str, occurrence: int) -> int:
    pos = -1
    for _ in range(occurrence):
        pos = text.find(needle, pos + 1)
        if pos < 0:
            return -1
    return pos


def _parse(obj: Any, where: str) -> AnnotatedSentence:
    if not isinstance(obj, dict):
        raise AnnotationError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    for k in ("doc", "split", "sent", "start", "text", "entities", "relations"):
        if k not in obj:
            raise AnnotationError(f"{where}: missing field {k!r}")
    text, split = obj["text"], obj["split"]
    if not isinstance(text, str) or not text:
        raise AnnotationError(f"{where}: 'text' must be a non-empty string")
    if split not in SPLITS:
        raise AnnotationError(f"{where}: split {split!r} is not one of {', '.join(SPLITS)}")
    if not isinstance(obj["start"], int) or isinstance(obj["start"], bool) or obj["start"] < 0:
        raise AnnotationError(f"{where}: 'start' must be a non-negative integer, got {obj['start']!r}")
    if not isinstance(obj["entities"], list) or not isinstance(obj["relations"], list):
        raise AnnotationError(f"{where}: 'entities' and 'relations' must be lists")
    start = obj["start"]
    mentions: list[GoldMention] = []
    for e in obj["entities"]:
        if not isinstance(e, dict) or not isinstance(e.get("id"), str) or not isinstance(e.get("text"), str):
            raise AnnotationError(f"{where}: every entity needs a string 'id' and 'text', got {e!r}")
        if e.get("type") not in ENTITY_TYPES:
            raise AnnotationError(
                f"{where}: entity {e['id']!r} has type {e.get('type')!r}; valid: {', '.join(ENTITY_TYPES)}"
            )
        if any(m.id == e["id"] for m in mentions):
            raise AnnotationError(f"{where}: entity id {e['id']!r} is used twice")
        occ = e.get("occurrence", 1)
        if not isinstance(occ, int) or isinstance(occ, bool) or occ < 1:
            raise AnnotationError(f"{where}: entity {e['id']!r}: 'occurrence' must be a positive integer")
        if not e["text"].strip():
            raise AnnotationError(f"{where}: entity {e['id']!r} has empty text")
        pos = _find(text, e["text"], occ)
        if pos < 0:
            raise AnnotationError(
                f"{where}: entity {e['id']!r} text {e['text']!r} (occurrence {occ}) is not in the sentence"
            )
        refers = e.get("refers_to")
        if refers is not None and not isinstance(refers, str):
            raise AnnotationError(f"{where}: entity {e['id']!r}: 'refers_to' must be a string")
        mentions.append(
            GoldMention(e["id"], start + pos, start + pos + len(e["text"]), e["text"], e["type"], refers or None)
        )
    ids = {m.id for m in mentions}
    relations: list[GoldRelation] = []
    for r in obj["relations"]:
        if not isinstance(r, dict):
            raise AnnotationError(f"{where}: a relation must be an object, got {r!r}")
        if r.get("predicate") not in PREDICATES:
            raise AnnotationError(f"{where}: predicate {r.get('predicate')!r} is not one of {', '.join(PREDICATES)}")
        for end in ("subject", "object"):
            if r.get(end) not in ids:
                raise AnnotationError(f"{where}: relation {end} {r.get(end)!r} is not an entity id of this line")
        if r["subject"] == r["object"]:
            raise AnnotationError(f"{where}: relation from {r['subject']!r} to itself")
        for flag in ("negated", "hedged"):
            if not isinstance(r.get(flag, False), bool):
                raise AnnotationError(f"{where}: relation {flag!r} must be true or false")
        relations.append(
            GoldRelation(r["subject"], r["predicate"], r["object"], r.get("negated", False), r.get("hedged", False))
        )
    sent = obj["sent"]
    if not isinstance(sent, int) or isinstance(sent, bool):
        raise AnnotationError(f"{where}: 'sent' must be an integer")
    if not isinstance(obj["doc"], str) or not obj["doc"]:
        raise AnnotationError(f"{where}: 'doc' must be a non-empty string")
    return AnnotatedSentence(obj["doc"], split, sent, start, text, tuple(mentions), tuple(relations), where)


def load(paths: Iterable[str | Path], splits: Sequence[str] | None = None) -> list[AnnotatedSentence]:
    """Every annotated sentence of the files (or folders of ``*.jsonl``), optionally only some splits.

    Raises:
        AnnotationError: a file is missing or unreadable, or a line breaks the format (named by file:line).
    """
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(p.glob("*.jsonl")))
        elif p.is_file():
            files.append(p)
        else:
            raise AnnotationError(f"annotation path {str(p)!r} does not exist")
    if splits is not None:
        bad = [s for s in splits if s not in SPLITS]
        if bad:
            raise AnnotationError(f"unknown split {bad[0]!r}; valid: {', '.join(SPLITS)}")
    out: list[AnnotatedSentence] = []
    seen: dict[tuple[str, int], str] = {}
    for f in files:
        try:
            lines = f.read_text(encoding="utf-8").split("\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise AnnotationError(f"cannot read annotation file {str(f)!r}: {exc}") from None
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{f}:{n}"
            try:
                obj = json.loads(line)
            except (json.JSONDecodeError, RecursionError) as exc:
                raise AnnotationError(f"{where}: not valid JSON ({exc})") from None
            s = _parse(obj, where)
            key = (s.doc, s.sent)
            if key in seen:
                raise AnnotationError(
                    f"{where}: sentence {s.sent} of {s.doc!r} is annotated again (first at {seen[key]})"
                )
            seen[key] = where
            if splits is None or s.split in splits:
                out.append(s)
    return out


def check_against(sentences: Sequence[AnnotatedSentence], texts: dict[str, str]) -> None:
    """Every sentence's text must stand at its offset in its article's text."""
    for s in sentences:
        doc = texts.get(s.doc)
        if doc is None:
            raise AnnotationError(f"{s.source}: document {s.doc!r} is not in the corpus")
        if doc[s.start : s.end] != s.text:
            raise AnnotationError(f"{s.source}: the sentence text is not at offset {s.start} of {s.doc!r}")


def summary(sentences: Sequence[AnnotatedSentence]) -> dict[str, Any]:
    """Counts by split and by predicate."""
    by_split: Counter[str] = Counter(s.split for s in sentences)
    docs = {s.split: set() for s in sentences}  # type: dict[str, set[str]]
    for s in sentences:
        docs[s.split].add(s.doc)
    preds: Counter[str] = Counter()
    for s in sentences:
        preds.update(r.predicate for r in s.relations)
    return {
        "sentences": len(sentences),
        "sentences_by_split": dict(by_split),
        "documents_by_split": {k: len(v) for k, v in docs.items()},
        "multi_actor_sentences": sum(1 for s in sentences if len(s.mentions) >= 2),
        "relations": sum(preds.values()),
        "relations_by_predicate": dict(preds.most_common()),
    }


def _main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "check":
        print("usage: python -m kg.annotations check FILE_OR_DIR...", file=sys.stderr)
        return 2
    try:
        sents = load(argv[1:])
    except AnnotationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(summary(sents), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
