"""Per-document state of extraction and the parse helpers that mentions and rules share.

:class:`DocState` is the one mutable object of the stage: the mention list grows while mentions are found,
and every rule family reads it. The helpers walk spaCy's dependency parse (who is the subject of a verb,
what a preposition governs, which actor a token stands for).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kg.ontology import Ontology
from kg.records import Article, Mention, named_antecedent

if TYPE_CHECKING:  # spaCy is imported by kg.nlp only; here its types are enough.
    from spacy.tokens import Doc, Span, Token

RELATIVE = frozenset({"who", "which", "that", "whom"})


@dataclass
class DocState:
    """Working state for one document."""

    doc: Doc
    article: Article
    onto: Ontology
    mentions: list[Mention] = field(default_factory=list)
    tok2m: dict[int, int] = field(default_factory=dict)
    heads: dict[int, Token] = field(default_factory=dict)
    sent_of: list[int] = field(default_factory=list)
    sents: list[Span] = field(default_factory=list)
    #: A collective mention -> the known actor that owns it ("Sudan's army" -> Sudan).
    owners: dict[int, int] = field(default_factory=dict)
    #: Per-document values a stage computes once (the model's token arrays).
    cache: dict[str, object] = field(default_factory=dict)

    def add(self, tokens: list[Token], **kw: object) -> int:
        idx = len(self.mentions)
        start = tokens[0].idx
        end = tokens[-1].idx + len(tokens[-1].text)
        m = Mention(
            doc_id=self.article.id,
            index=idx,
            start=start,
            end=end,
            text=self.article.text[start:end],
            sentence=self.sent_of[tokens[0].i],
            **kw,  # type: ignore[arg-type]
        )
        self.mentions.append(m)
        for t in tokens:
            self.tok2m[t.i] = idx
        self.heads[idx] = self.doc[tokens[0].i : tokens[-1].i + 1].root
        return idx

    def resolved(self, idx: int) -> int | None:
        """Follow a pronoun or description to the name it stands for."""
        m = named_antecedent(self.mentions, idx)
        return m.index if m is not None else None


@dataclass(frozen=True)
class Candidate:
    """A relation a rule (or the model) proposes between two mentions, before it is qualified and emitted."""

    subject: int
    predicate: str
    object: int
    rule: str
    trigger: Token
    indirect: bool


def identity(m: Mention) -> str:
    words = m.name.split()
    return m.key or (words[-1] if words else f"#{m.index}")


def retyped(m: Mention, cls: str) -> Mention:
    return dataclasses.replace(m, cls=cls)


def denote(st: DocState, tok: Token, depth: int = 0) -> list[int]:
    """The actor mentions a token stands for: its own mention, or the actor behind a proxy noun."""
    idx = st.tok2m.get(tok.i)
    if idx is not None:
        res = st.resolved(idx)
        return [res] if res is not None else []
    if depth < 2 and (
        tok.lower_ in st.onto.word_list("ProxyNouns") or tok.lemma_.lower() in st.onto.word_list("ProxyNouns")
    ):
        out: list[int] = []
        for c in tok.children:
            if c.dep_ in ("compound", "amod", "nmod", "poss", "npadvmod") and c.i < tok.i:
                out.extend(denote(st, c, depth + 1))
            elif c.dep_ == "prep" and c.lower_ == "of":
                for p in c.children:
                    if p.dep_ == "pobj":
                        out.extend(denote(st, p, depth + 1))
        return out
    return []


def indirect_mention(st: DocState, tok: Token) -> bool:
    idx = st.tok2m.get(tok.i)
    return idx is not None and st.mentions[idx].kind in ("pronoun", "description")


def coordinated(tok: Token) -> list[Token]:
    return [tok, *tok.conjuncts]


def actors_of(st: DocState, toks: Iterable[Token], expand: bool = True) -> list[tuple[int, bool]]:
    """Actor mentions of ``toks``; with ``expand``, of their coordinated tokens too ("X and Y attacked")."""
    out: list[tuple[int, bool]] = []
    seen: set[int] = set()
    for t in toks:
        for g in coordinated(t) if expand else [t]:
            for idx in denote(st, g):
                if idx not in seen:
                    seen.add(idx)
                    out.append((idx, indirect_mention(st, g)))
    return out


def subjects_of(st: DocState, v: Token, depth: int = 0) -> list[Token]:
    """Who does what verb ``v`` says, following control, coordination and relative clauses."""
    if depth > 5:
        return []
    out = stated_subjects(st, v, ("nsubj", "csubj"))
    if out:
        return out
    dep, head = v.dep_, v.head
    if head == v:
        return []
    if dep == "acl" and v.tag_ == "VBG":
        return [head]  # "the coalition fighting the IS"
    if dep == "relcl":
        return [head]
    if dep == "xcomp":
        objs = [c for c in head.children if c.dep_ == "dobj"]
        return objs or subjects_of(st, head, depth + 1)  # object control: "boosted Turkey to carry out"
    if dep == "conj":
        return subjects_of(st, head, depth + 1)
    if dep == "pcomp" and head.dep_ == "prep" and head.head.pos_ in ("NOUN", "PROPN"):
        owner = head.head  # "the US' act of killing X"
        return [c for c in owner.children if c.dep_ in ("poss", "nmod", "compound") and c.i < owner.i]
    if dep in ("advcl", "pcomp", "acl"):
        cur = head
        for _ in range(3):
            if cur.pos_ in ("VERB", "AUX"):
                return subjects_of(st, cur, depth + 1)
            if cur.head == cur:
                break
            cur = cur.head
    return []


def stated_subjects(st: DocState, v: Token, deps: tuple[str, ...]) -> list[Token]:
    """The subjects ``v`` states itself; a relative pronoun ("who", "which") stands for what it follows."""
    out: list[Token] = []
    for c in v.children:
        if c.dep_ not in deps:
            continue
        if c.lower_ not in RELATIVE:
            out.append(c)
        elif v.dep_ == "relcl":
            out.append(v.head)
        elif c.i > 0:
            out.append(st.doc[c.i - 1])
    return out


def clause_subjects(st: DocState, tok: Token) -> list[Token]:
    """Subjects of the nearest verb above ``tok`` (relative pronouns followed to what they stand for)."""
    cur = tok
    for _ in range(8):
        if cur.head == cur:
            break
        cur = cur.head
        if cur.pos_ in ("VERB", "AUX"):
            out = stated_subjects(st, cur, ("nsubj", "nsubjpass"))
            if out:
                return out
    return []


def is_passive(v: Token) -> bool:
    return any(c.dep_ in ("nsubjpass", "auxpass") for c in v.children)


def modifier_actors(st: DocState, noun: Token, exclude: set[int]) -> list[Token]:
    return [
        c
        for c in noun.children
        if c.dep_ in ("poss", "compound", "amod", "nmod", "npadvmod") and c.i < noun.i and c.i not in exclude
    ]


def prep_objects(tok: Token, preps: Iterable[str]) -> list[Token]:
    """Objects of ``tok``'s prepositions among ``preps`` ("attack *on* Iraq" -> [Iraq])."""
    wanted = set(preps)
    return [p for c in tok.children if c.dep_ == "prep" and c.lower_ in wanted for p in c.children if p.dep_ == "pobj"]


def by_agents(noun: Token) -> list[Token]:
    return [
        p
        for c in noun.children
        if c.dep_ in ("prep", "agent") and c.lower_ == "by"
        for p in c.children
        if p.dep_ == "pobj"
    ]


def pairs(subjects: list[tuple[int, bool]], objects: list[tuple[int, bool]]) -> Iterator[tuple[int, int, bool]]:
    for s, si in subjects:
        for o, oi in objects:
            if s != o:
                yield s, o, si or oi
