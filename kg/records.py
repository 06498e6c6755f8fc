"""Typed records passed between the pipeline stages.

All records are frozen and slotted: a stage never mutates what an earlier stage produced, and millions of
mentions stay small in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

#: Written last by every build into its output folder (kg.pipeline.write_outputs): which files the build
#: wrote, with their sizes and SHA-256. Input scanning skips folders that hold one.
MANIFEST = "build.json"


@dataclass(frozen=True, slots=True)
class Article:
    """One input document.

    Attributes:
        id: Unique document id (file name for ``.txt``, the ``id`` field for JSONL).
        text: The full text; every offset kg reports is into this string.
        title: Title if the input gives one (or the first line of a text file).
        date: ISO 8601 date of the document if known.
        url: Where the document came from, if known.
        source: The file the document was read from.
        author: Author or byline from the page's metadata, if known.
        site: Name of the site or publisher, if known.
    """

    id: str
    text: str
    title: str | None = None
    date: str | None = None
    url: str | None = None
    source: str | None = None
    author: str | None = None
    site: str | None = None


@dataclass(frozen=True, slots=True)
class Blank:
    """One span of a document that the cleaning stage (:mod:`kg.clean`) took for page furniture.

    Attributes:
        doc_id: The document.
        start: Offset of the first character in the article text.
        end: Offset one past the last character.
        reason: Why (``pattern:byline``, ``credit``, ``caption``, ``list``, ``menu``, ``repeated``).
        text: The span as written.
    """

    doc_id: str
    start: int
    end: int
    reason: str
    text: str


@dataclass(frozen=True, slots=True)
class Mention:
    """One mention of an actor in one document.

    Attributes:
        doc_id: Id of the article.
        index: Position of this mention in the document's mention list.
        start: Character offset of the first character in the article text.
        end: Character offset one past the last character.
        text: The surface form as written.
        name: The normalised name (no title, determiner or possessive); empty for pronouns.
        cls: Ontology class local name guessed from this mention alone (``Person``, ``Country`` ...).
        kind: ``name``, ``pronoun``, ``description`` or ``collective``.
        sentence: Index of the sentence in the document.
        key: Gazetteer key when the name is a known actor (``country/IRQ``, ``actor/islamic-state``).
        antecedent: For pronouns and descriptions, the index of the mention they refer to.
        title: The title stripped from the name, if any (``President``).
    """

    doc_id: str
    index: int
    start: int
    end: int
    text: str
    name: str
    cls: str
    kind: str
    sentence: int
    key: str | None = None
    antecedent: int | None = None
    title: str | None = None


def named_antecedent(mentions: Sequence[Mention], index: int) -> Mention | None:
    """The name (or collective noun) a mention stands for: itself, or what its pronoun chain ends at.

    None when a pronoun or description in the chain has no antecedent.
    """
    m: Mention | None = mentions[index]
    for _ in range(len(mentions) + 1):
        if m is None or m.kind not in ("pronoun", "description"):
            return m
        m = mentions[m.antecedent] if m.antecedent is not None else None
    return None  # a cycle; extraction never makes one


@dataclass(frozen=True, slots=True)
class Provenance:
    """The evidence for one extracted relation.

    Attributes:
        doc_id: Id of the article.
        sentence: Text of the sentence that states the relation.
        sentence_start: Offset of the sentence in the article text.
        sentence_end: End offset of the sentence.
        start: Offset of the evidence span (from the first to the last word the rule used).
        end: End offset of the evidence span.
        rule: Name of the extraction rule.
        confidence: Between 0 and 1.
        negated: The text says the relation does not hold.
        hedged: The text says it only may hold ("reportedly", "allegedly").
        date: ISO 8601 date (or year, or year-month) the sentence gives, if any.
        date_text: The date expression as written.
    """

    doc_id: str
    sentence: str
    sentence_start: int
    sentence_end: int
    start: int
    end: int
    rule: str
    confidence: float
    negated: bool = False
    hedged: bool = False
    date: str | None = None
    date_text: str | None = None


@dataclass(frozen=True, slots=True)
class RelationMention:
    """A relation between two mentions of one document, before entity resolution."""

    subject: int
    predicate: str
    object: int
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class DocumentExtraction:
    """Everything extraction found in one document."""

    article: Article
    mentions: tuple[Mention, ...]
    relations: tuple[RelationMention, ...]
    sentences: int = 0
    tokens: int = 0
    blanked: tuple[Blank, ...] = ()


@dataclass(frozen=True, slots=True)
class Entity:
    """One real-world actor, however many names the text gives it.

    Attributes:
        key: Stable identity key (``country/IRQ``, ``name/qassem soleimani``) from which the IRI is minted.
        label: The fullest name.
        cls: Ontology class local name, voted over all mentions.
        aliases: Every surface form seen, sorted.
        mentions: Number of mentions (pronouns and descriptions included).
        documents: Ids of the documents that mention it, sorted.
    """

    key: str
    label: str
    cls: str
    aliases: tuple[str, ...]
    mentions: int
    documents: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Relation:
    """A typed relation between two entities, with the evidence of one statement."""

    subject: str
    predicate: str
    object: str
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class BuildStats:
    """Counts and timings of one build."""

    documents: int
    sentences: int
    tokens: int
    mentions: int
    entities: int
    relations: int
    edges: int
    dropped_relations: int
    seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)
