"""The extraction stage: actor mentions and typed relations from one parsed document.

Input is a spaCy ``Doc`` (parsed by :mod:`kg.nlp`) and its :class:`~kg.records.Article`; output is a
:class:`~kg.records.DocumentExtraction`. Every word list comes from the ontology. The rules read the dependency
parse; each rule has a name that ends up in the provenance of what it found, so a wrong edge can be traced
back to the rule that made it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kg.ontology import Ontology, RelationType
from kg.records import Article, DocumentExtraction, Mention, Provenance, RelationMention, named_antecedent

if TYPE_CHECKING:  # spaCy is imported by kg.nlp only; here its types are enough.
    from spacy.tokens import Doc, Span, Token

ACTOR_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP"})
_RELATIVE = frozenset({"who", "which", "that", "whom"})
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
    )
}
_MONTH_ABBR = {m[:3]: i for m, i in _MONTHS.items()}

# Multipliers on a relation's base confidence.
_RULE_WEIGHT = {
    "verb-active": 1.0,
    "verb-passive-agent": 1.0,
    "verb-passive-instrument": 0.9,
    "verb-participle": 0.9,
    "verb-reciprocal": 0.9,
    "noun-event": 0.9,
    "noun-light-verb": 0.85,
    "noun-reciprocal": 0.85,
    "role-copula": 0.95,
    "role-apposition": 0.95,
    "role-title": 0.9,
    "role-as": 0.9,
    "anti-prefix": 0.8,
    "place-apposition": 0.85,
    "place-based-in": 0.9,
    "org-in-place": 0.6,
    "person-of-place": 0.9,
    "person-of-org": 0.8,
    "verb-place": 0.9,
}
_INDIRECT = 0.9  # an argument reached through a pronoun or a definite description
_HEDGED = 0.6


@dataclass
class _Doc:
    """Working state for one document."""

    doc: Doc
    article: Article
    onto: Ontology
    mentions: list[Mention] = field(default_factory=list)
    tok2m: dict[int, int] = field(default_factory=dict)
    heads: dict[int, Token] = field(default_factory=dict)
    sent_of: list[int] = field(default_factory=list)
    sents: list[Span] = field(default_factory=list)

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


def extract_document(doc: Doc, article: Article, onto: Ontology) -> DocumentExtraction:
    """Find the actor mentions and relations in one parsed document."""
    st = _Doc(doc=doc, article=article, onto=onto)
    st.sents = list(doc.sents)
    st.sent_of = [0] * len(doc)
    for i, sent in enumerate(st.sents):
        for t in sent:
            st.sent_of[t.i] = i
    _name_mentions(st)
    _collective_mentions(st)
    _referring_mentions(st)
    relations = _dedupe(list(_relations(st)))
    return DocumentExtraction(
        article=article,
        mentions=tuple(st.mentions),
        relations=tuple(relations),
        sentences=len(st.sents),
        tokens=sum(1 for t in doc if not t.is_space),
    )


# ---------------------------------------------------------------------------------------------------------
# Mentions
# ---------------------------------------------------------------------------------------------------------


def _strip_title(st: _Doc, tokens: list[Token]) -> tuple[list[Token], str | None]:
    titles: list[str] = []
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        for n in (4, 3, 2, 1):
            if len(tokens) <= n:
                continue
            cand = " ".join(t.text for t in tokens[:n])
            if cand.lower() in st.onto.titles:
                titles.append(cand)
                tokens = tokens[n:]
                changed = True
                break
    return tokens, " ".join(titles) or None


def _is_locative(tok: Token, onto: Ontology) -> bool:
    """Whether a place name is used as a place ("in Baghdad") rather than as its government."""
    if tok.dep_ == "pobj" and tok.head.lower_ in onto.word_list("LocativePrepositions"):
        return True
    return tok.dep_ in ("appos", "npadvmod") and tok.head.ent_type_ in ("GPE", "LOC", "FAC")


def _text(st: _Doc, tokens: list[Token]) -> str:
    start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
    return " ".join(st.article.text[start:end].split())


def _name_mentions(st: _Doc) -> None:
    onto = st.onto
    non_actor = onto.word_list("NonActorNames")
    armed_heads = onto.classes["ArmedGroup"].head_nouns
    for ent in st.doc.ents:
        if ent.label_ not in ACTOR_LABELS or "\n" in ent.text.strip():
            continue  # a name never spans a line break
        tokens = [t for t in ent if not t.is_space]
        while tokens and (tokens[0].lower_ in ("the", "a", "an") or tokens[0].is_punct):
            tokens.pop(0)
        while tokens and (tokens[-1].tag_ == "POS" or tokens[-1].text in ("'s", "'") or tokens[-1].is_punct):
            tokens.pop()
        if not tokens:
            continue
        paren = next((i for i, t in enumerate(tokens) if t.text == "("), None)
        if paren:
            tokens = tokens[:paren]  # "Islamic State (IS)": the acronym is matched on its own
        tokens, title = _strip_title(st, tokens)
        name = _text(st, tokens)
        if len(name) < 2 or len(tokens) > 10 or name.lower() in non_actor or not any(c.isupper() for c in name):
            continue
        if name[0].isdigit() or re.match(r"(?i)(pro|anti|non|ex)-", name):
            continue  # "pro-Iranian" describes, it does not name
        entry = onto.gazetteer.get(name)
        key: str | None = None
        if entry is not None:
            cls, key = entry.cls, entry.key
            if entry.kind == "demonym" and tokens[-1].tag_ in ("NNPS", "NNS"):
                cls, key = "Group", None  # "Iranians" are people, not the state
            elif entry.kind == "capital" and _is_locative(ent.root, onto):
                cls, key = "City", None  # "in Baghdad" is the city
        else:
            cls = onto.class_for_spacy_label(ent.label_) or "Organization"
            if cls in ("Organization", "Group") and tokens[-1].lower_ in armed_heads:
                cls = "ArmedGroup"
        st.add(tokens, name=name, cls=cls, kind="name", key=key, title=title)
    _retype_surnames(st)


def _retype_surnames(st: _Doc) -> None:
    """A one-word name that is the surname of a person named in full in this document is that person.

    The small model calls "Soleimani" a place now and then; the document itself says who he is.
    """
    surnames = {
        m.name.split()[-1] for m in st.mentions if m.cls == "Person" and m.key is None and len(m.name.split()) > 1
    }
    votes: dict[str, int] = {}
    for m in st.mentions:
        if m.key is None and m.name in surnames:
            votes[m.name] = votes.get(m.name, 0) + (1 if m.cls == "Person" else -1)
    for i, m in enumerate(st.mentions):
        # Only where the model itself calls the bare name a person at least as often as anything else:
        # "Soleimani" once a place is still him, but "Melbourne" stays a city beside a "Make Melbourne".
        if m.key is None and m.cls != "Person" and votes.get(m.name, -1) >= 0:
            st.mentions[i] = _retyped(m, "Person")


def _retyped(m: Mention, cls: str) -> Mention:
    return dataclasses.replace(m, cls=cls)


def _collective_mentions(st: _Doc) -> None:
    """Common nouns that name one actor on their own ("the coalition"), scoped to the document."""
    collective = {n: c.name for c in st.onto.classes.values() for n in c.collective_nouns}
    for tok in st.doc:
        if tok.i in st.tok2m or tok.lower_ not in collective or tok.pos_ != "NOUN":
            continue
        holder = tok.head if tok.dep_ in ("compound", "amod") else tok
        definite = any(c.dep_ in ("det", "poss") and c.lower_ in ("the", "its", "this") for c in holder.children)
        if not definite:
            continue
        mods = [c for c in tok.children if c.dep_ == "amod" and c.pos_ == "ADJ" and c.i == tok.i - 1]
        tokens = [*mods, tok]
        st.add(
            tokens,
            name=_text(st, tokens).lower(),
            cls=collective[tok.lower_],
            kind="collective",
            key=f"local/{tok.lower_}",
        )


def _identity(m: Mention) -> str:
    words = m.name.split()
    return m.key or (words[-1] if words else f"#{m.index}")


def _referring_mentions(st: _Doc) -> None:
    """Pronouns and definite descriptions, linked to a named actor when only one fits."""
    onto = st.onto
    pronouns = onto.word_list("Pronouns")
    type_nouns = {n: c.name for c in onto.classes.values() for n in c.type_nouns}
    named = [m for m in st.mentions if m.kind in ("name", "collective")]
    for tok in st.doc:
        if tok.i in st.tok2m:
            continue
        if tok.pos_ == "PRON" and tok.lower_ in pronouns:
            ante = _pronoun_antecedent(st, tok, named)
            st.add(
                [tok],
                name="",
                cls="Person" if tok.lower_ not in ("it", "its") else "Actor",
                kind="pronoun",
                antecedent=ante,
            )
            continue
        if tok.pos_ != "NOUN" or tok.dep_ == "compound":
            continue
        if not any(c.dep_ == "det" and c.lower_ == "the" for c in tok.children):
            continue
        if any(c.dep_ == "prep" and c.lower_ == "of" for c in tok.children):
            continue  # "the state of emergency" is not a back reference
        phrase = tok.lemma_.lower()
        prev = st.doc[tok.i - 1] if tok.i > 0 else None
        if prev is not None and prev.head == tok and f"{prev.lower_} {phrase}" in type_nouns:
            phrase = f"{prev.lower_} {phrase}"
        if phrase not in type_nouns:
            continue
        ante = _description_antecedent(st, tok, named, type_nouns[phrase])
        tokens = [prev, tok] if prev is not None and " " in phrase else [tok]
        st.add(tokens, name="", cls=type_nouns[phrase], kind="description", antecedent=ante)


def _pronoun_antecedent(st: _Doc, tok: Token, named: list[Mention]) -> int | None:
    sent = st.sent_of[tok.i]
    if tok.lower_ in ("it", "its"):
        if tok.lower_ == "it":
            return None  # "it said", "it is ... that": too often expletive or vague
        for subj in _clause_subjects(st, tok):
            found = [i for i in _denote(st, subj) if st.mentions[i].cls != "Person"]
            if len(found) == 1:
                return found[0]
        return None

    def persons(in_sent: int, before: int | None) -> list[Mention]:
        return [
            m for m in named if m.cls == "Person" and m.sentence == in_sent and (before is None or m.start < before)
        ]

    for cands in (persons(sent, tok.idx), persons(sent - 1, None) if sent > 0 else []):
        if cands:
            if len({_identity(m) for m in cands}) == 1:
                return cands[-1].index
            return None
    return None


def _clause_subjects(st: _Doc, tok: Token) -> list[Token]:
    """Subjects of the nearest verb above ``tok`` (relative pronouns followed to what they stand for)."""
    cur = tok
    for _ in range(8):
        if cur.head == cur:
            break
        cur = cur.head
        if cur.pos_ in ("VERB", "AUX"):
            out = _stated_subjects(st, cur, ("nsubj", "nsubjpass"))
            if out:
                return out
    return []


def _stated_subjects(st: _Doc, v: Token, deps: tuple[str, ...]) -> list[Token]:
    """The subjects ``v`` states itself; a relative pronoun ("who", "which") stands for what it follows."""
    out: list[Token] = []
    for c in v.children:
        if c.dep_ not in deps:
            continue
        if c.lower_ not in _RELATIVE:
            out.append(c)
        elif v.dep_ == "relcl":
            out.append(v.head)
        elif c.i > 0:
            out.append(st.doc[c.i - 1])
    return out


def _description_antecedent(st: _Doc, tok: Token, named: list[Mention], cls: str) -> int | None:
    sent = st.sent_of[tok.i]
    best: Mention | None = None
    for m in named:
        if m.start >= tok.idx or m.sentence < sent - 3:
            continue
        if st.onto.is_a(m.cls, cls):
            best = m
    return best.index if best is not None else None


# ---------------------------------------------------------------------------------------------------------
# Relations
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    subject: int
    predicate: str
    object: int
    rule: str
    trigger: Token
    indirect: bool


def _denote(st: _Doc, tok: Token, depth: int = 0) -> list[int]:
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
                out.extend(_denote(st, c, depth + 1))
            elif c.dep_ == "prep" and c.lower_ == "of":
                for p in c.children:
                    if p.dep_ == "pobj":
                        out.extend(_denote(st, p, depth + 1))
        return out
    return []


def _indirect(st: _Doc, tok: Token) -> bool:
    idx = st.tok2m.get(tok.i)
    return idx is not None and st.mentions[idx].kind in ("pronoun", "description")


def _group(tok: Token) -> list[Token]:
    return [tok, *tok.conjuncts]


def _actors(st: _Doc, toks: Iterable[Token], expand: bool = True) -> list[tuple[int, bool]]:
    """Actor mentions of ``toks``; with ``expand``, of their coordinated tokens too ("X and Y attacked")."""
    out: list[tuple[int, bool]] = []
    seen: set[int] = set()
    for t in toks:
        for g in _group(t) if expand else [t]:
            for idx in _denote(st, g):
                if idx not in seen:
                    seen.add(idx)
                    out.append((idx, _indirect(st, g)))
    return out


def _subjects(st: _Doc, v: Token, depth: int = 0) -> list[Token]:
    """Who does what verb ``v`` says, following control, coordination and relative clauses."""
    if depth > 5:
        return []
    out = _stated_subjects(st, v, ("nsubj", "csubj"))
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
        return objs or _subjects(st, head, depth + 1)  # object control: "boosted Turkey to carry out"
    if dep == "conj":
        return _subjects(st, head, depth + 1)
    if dep == "pcomp" and head.dep_ == "prep" and head.head.pos_ in ("NOUN", "PROPN"):
        owner = head.head  # "the US' act of killing X"
        return [c for c in owner.children if c.dep_ in ("poss", "nmod", "compound") and c.i < owner.i]
    if dep in ("advcl", "pcomp", "acl"):
        cur = head
        for _ in range(3):
            if cur.pos_ in ("VERB", "AUX"):
                return _subjects(st, cur, depth + 1)
            if cur.head == cur:
                break
            cur = cur.head
    return []


def _is_passive(v: Token) -> bool:
    return any(c.dep_ in ("nsubjpass", "auxpass") for c in v.children)


def _verb_keys(v: Token) -> list[str]:
    lemma = v.lemma_.lower()
    keys = [f"{lemma} {c.lower_}" for c in v.children if c.dep_ in ("prt", "acomp", "oprd", "advmod")]
    # "shot to death", "beaten to death": the phrase, not the bare verb, says what happened.
    keys += [
        f"{lemma} {c.lower_} {p.lower_}" for c in v.children if c.dep_ == "prep" for p in c.children if p.dep_ == "pobj"
    ]
    return [*sorted(keys, key=len, reverse=True), lemma]


def _relation_for(st: _Doc, keys: list[str], attr: str) -> tuple[RelationType, str] | None:
    for key in keys:
        for rel in st.onto.relations.values():
            if key in getattr(rel, attr):
                return rel, key
    return None


def _modifier_actors(st: _Doc, noun: Token, exclude: set[int]) -> list[Token]:
    return [
        c
        for c in noun.children
        if c.dep_ in ("poss", "compound", "amod", "nmod", "npadvmod") and c.i < noun.i and c.i not in exclude
    ]


def _prep_objects(tok: Token, preps: Iterable[str]) -> list[Token]:
    """Objects of ``tok``'s prepositions among ``preps`` ("attack *on* Iraq" -> [Iraq])."""
    wanted = set(preps)
    return [p for c in tok.children if c.dep_ == "prep" and c.lower_ in wanted for p in c.children if p.dep_ == "pobj"]


def _by_agents(noun: Token) -> list[Token]:
    return [
        p
        for c in noun.children
        if c.dep_ in ("prep", "agent") and c.lower_ == "by"
        for p in c.children
        if p.dep_ == "pobj"
    ]


def _relations(st: _Doc) -> Iterator[RelationMention]:
    for tok in st.doc:
        found: list[_Found] = []
        if tok.pos_ in ("VERB", "AUX"):
            found += _verb_rules(st, tok)
        if tok.pos_ in ("NOUN", "PROPN"):
            found += _noun_rules(st, tok)
            found += _role_rules(st, tok)
        if tok.lower_ == "anti":
            found += _anti_rule(st, tok)
        found += _place_rules(st, tok)
        found += _person_place_rules(st, tok)
        for f in found:
            rm = _emit(st, f)
            if rm is not None:
                yield rm


def _pairs(subjects: list[tuple[int, bool]], objects: list[tuple[int, bool]]) -> Iterator[tuple[int, int, bool]]:
    for s, si in subjects:
        for o, oi in objects:
            if s != o:
                yield s, o, si or oi


def _verb_rules(st: _Doc, v: Token) -> list[_Found]:
    hit = _relation_for(st, _verb_keys(v), "verbs")
    if hit is None:
        return []
    rel, _ = hit
    out: list[_Found] = []
    onto = st.onto
    participle = v.tag_ == "VBN" and v.dep_ in ("acl", "amod")
    if rel.name == "locatedIn":
        return []  # "based in" is a place rule
    if onto.fits("Place", rel.range) and not onto.fits("Person", rel.range):
        # "X lives in Y", "X was born in Y": the place comes with a preposition, the subject is the person.
        holders = [c for c in v.children if c.dep_ == "nsubjpass"] or _subjects(st, v)
        places = _prep_objects(v, rel.object_preps)
        return [
            _Found(s, rel.name, o, "verb-place", v, ind)
            for s, o, ind in _pairs(_actors(st, holders), _actors(st, places))
        ]
    if _is_passive(v) or participle:
        patients = [c for c in v.children if c.dep_ == "nsubjpass"] or ([v.head] if participle else [])
        agents = [p for c in v.children if c.dep_ == "agent" for p in c.children if p.dep_ == "pobj"]
        agents += [c for c in v.children if c.dep_ == "npadvmod"]  # "Iran-backed"
        rule = "verb-participle" if participle else "verb-passive-agent"
        objs = _actors(st, patients)
        agent_actors = _actors(st, agents)
        for s, o, ind in _pairs(agent_actors, objs):
            out.append(_Found(s, rel.name, o, rule, v, ind))
        if not agent_actors:
            # "X was killed in an American drone strike": the agent modifies the instrument.
            instruments = [p for p in _prep_objects(v, onto.word_list("InstrumentPrepositions")) if p.i not in st.tok2m]
            for inst in instruments:
                agent_toks = _modifier_actors(st, inst, set()) + _by_agents(inst)
                for s, o, ind in _pairs(_actors(st, agent_toks), objs):
                    out.append(_Found(s, rel.name, o, "verb-passive-instrument", v, ind))
        return out
    subjects = _actors(st, _subjects(st, v))
    dobjs = [c for c in v.children if c.dep_ in ("dobj", "obj")]
    reciprocal = any(
        d.lower_ in ("other", "another") and any(c.lower_ in ("each", "one") for c in d.children) for d in dobjs
    )
    if reciprocal:
        for s, o, ind in _pairs(subjects, subjects):
            out.append(_Found(s, rel.name, o, "verb-reciprocal", v, ind))
        return out
    if not dobjs:
        dobjs = _prep_objects(v, ("against", "with"))
    for s, o, ind in _pairs(subjects, _actors(st, dobjs)):
        out.append(_Found(s, rel.name, o, "verb-active", v, ind))
    return out


def _noun_rules(st: _Doc, n: Token) -> list[_Found]:
    if n.i in st.tok2m:
        return []
    keys = [n.lemma_.lower(), n.lower_]
    hit = _relation_for(st, keys, "nouns")
    if hit is None:
        return []
    rel, key = hit
    preps = rel.noun_preps.get(key) or rel.object_preps
    out: list[_Found] = []
    objects: list[Token] = []
    between: list[Token] = []
    for c in n.children:
        if c.dep_ != "prep":
            continue
        pobjs = [p for p in c.children if p.dep_ == "pobj"]
        if c.lower_ == "between":
            between += pobjs
        elif c.lower_ in preps and c.lower_ != "by":
            objects += pobjs
    if between:
        parties = _actors(st, between)
        for s, o, ind in _pairs(parties, parties):
            out.append(_Found(s, rel.name, o, "noun-reciprocal", n, ind))
        return out
    objs = _actors(st, objects)
    if not objs:
        return []
    agent_toks = [c for c in n.children if c.dep_ == "poss"] + _by_agents(n)
    rule = "noun-event"
    if not agent_toks:
        agent_toks = _modifier_actors(st, n, set())
    agents = _actors(st, agent_toks)
    if not agents and n.dep_ in ("dobj", "pobj"):
        verb = n.head if n.dep_ == "dobj" else n.head.head
        if verb.pos_ == "VERB" and verb.lemma_.lower() in st.onto.word_list("LightVerbs"):
            agents = _actors(st, _subjects(st, verb))
            rule = "noun-light-verb"
    for s, o, ind in _pairs(agents, objs):
        out.append(_Found(s, rel.name, o, rule, n, ind))
    return out


def _role_key(n: Token) -> list[str]:
    keys = []
    left = [c for c in n.children if c.dep_ in ("compound", "amod") and c.i == n.i - 1]
    if left:
        keys.append(f"{left[0].lower_} {n.lower_}")
    if n.i >= 2 and n.doc[n.i - 1].text == "-":
        keys.append(f"{n.doc[n.i - 2].lower_}-{n.lower_}")
    return [*keys, n.lower_, n.lemma_.lower()]


def _role_rules(st: _Doc, n: Token) -> list[_Found]:
    idx = st.tok2m.get(n.i)
    if idx is not None and n.idx >= st.mentions[idx].start:
        return []  # part of a name; a title stripped from the name is still a role
    hit = _relation_for(st, _role_key(n), "roles")
    if hit is None:
        return []
    rel, key = hit
    holders, rule = _role_holders(st, n)
    if not holders:
        return []
    role_words = set(key.replace("-", " ").split())
    objs_toks = [c for c in n.children if c.dep_ == "poss"]
    objs_toks += _prep_objects(n, rel.object_preps)
    mods = [c for c in n.children if c.dep_ in ("compound", "amod", "nmod") and c.i < n.i]
    objs_toks += mods
    if rule == "role-title":
        # "Iraqi Prime Minister X": the country may hang off the person rather than the title.
        objs_toks += [
            c
            for c in n.head.children
            if c.dep_ in ("amod", "compound", "nmod", "poss")
            and c.i < n.i
            and not any(t.pos_ in ("CCONJ", "PUNCT") for t in st.doc[c.i + 1 : n.i])  # not across "X and Y"
        ]
    name = rel.name
    neutral = st.onto.word_list("NeutralRoleModifiers")
    if rel.qualified:
        for m in mods:
            if m.i in st.tok2m or m.lower_ in role_words or m.lower_ in neutral or m.is_punct:
                continue
            name = rel.qualified  # "military leader", "deputy leader": a member, not the leader
            break
    objs = _actors(st, objs_toks)
    # A title or apposition belongs to the one name it is attached to, not to that name's conjuncts.
    subs = _actors(st, holders, expand=rule not in ("role-title", "role-apposition"))
    out = []
    for s, o, ind in _pairs(subs, objs):
        out.append(_Found(s, name, o, rule, n, ind))
    return out


def _role_holders(st: _Doc, n: Token, depth: int = 0) -> tuple[list[Token], str]:
    if depth > 3:
        return [], ""
    dep, head = n.dep_, n.head
    appos = [c for c in n.children if c.dep_ == "appos"]
    if appos:
        return appos, "role-apposition"  # "the country's prime minister, Adil Abdul-Mahdi"
    if dep in ("attr", "acomp", "oprd") and head.pos_ in ("AUX", "VERB"):
        return _subjects(st, head), "role-copula"
    if dep == "appos":
        return [head], "role-apposition"
    if dep in ("compound", "nmod") and head.i in st.tok2m:
        return [head], "role-title"
    if dep == "pobj" and head.lower_ == "as":
        verb = head.head
        if verb.pos_ in ("VERB", "AUX"):
            return _subjects(st, verb), "role-as"
    if dep == "conj":
        return _role_holders(st, head, depth + 1)
    return [], ""


def _anti_rule(st: _Doc, tok: Token) -> list[_Found]:
    doc = st.doc
    if tok.i + 2 >= len(doc) or doc[tok.i + 1].text != "-":
        return []
    target = doc[tok.i + 2]
    objs = _actors(st, [target])
    if not objs:
        return []
    rel = next((r for r in st.onto.relations.values() if r.anti_prefix), None)
    if rel is None:
        return []
    noun = target.head if target.head.pos_ in ("NOUN", "PROPN") else tok.head
    holders = _actors(st, [noun])
    if not holders:
        holders = _actors(st, [c for c in noun.children if c.dep_ == "poss"])
    if not holders and noun.dep_ == "dobj" and noun.head.lemma_.lower() in st.onto.word_list("LightVerbs"):
        holders = _actors(st, _subjects(st, noun.head))
    return [_Found(s, rel.name, o, "anti-prefix", tok, ind) for s, o, ind in _pairs(holders, objs)]


def _place_rules(st: _Doc, tok: Token) -> list[_Found]:
    rel = st.onto.relations.get("locatedIn")
    if rel is None:
        return []
    out: list[_Found] = []
    idx = st.tok2m.get(tok.i)
    if idx is not None and st.mentions[idx].kind != "name":
        idx = None  # the place rules read names only
    if idx is not None and tok.dep_ in ("appos", "npadvmod") and tok.head.i in st.tok2m:
        inner = st.mentions[st.tok2m[tok.head.i]]
        outer = st.mentions[idx]
        comma = any(t.text == "," for t in st.doc[tok.head.i : tok.i])
        # "Istanbul, Turkey" or "Austin, Texas"; two regions side by side are more often a list.
        # A second GPE the model could not place (typed City) after a comma is a state or province.
        outer_ok = (
            ("Country", "Region", "City")
            if inner.cls == "City" and tok.dep_ == "appos"
            else (("Country", "Region") if inner.cls == "City" else ("Country",))
        )
        if (
            comma
            and inner.kind == "name"
            and inner.cls in ("City", "Region")
            and outer.cls in outer_ok
            and inner.index != outer.index
        ):
            out.append(_Found(inner.index, rel.name, outer.index, "place-apposition", tok, False))
    if tok.lemma_.lower() in rel.verbs and tok.tag_ == "VBN":
        places = _prep_objects(tok, rel.object_preps)
        if tok.dep_ in ("acl", "amod"):
            subjects = [tok.head]
            places += [c for c in tok.children if c.dep_ == "npadvmod"]  # "Washington-based"
        else:
            subjects = [c for c in tok.children if c.dep_ == "nsubjpass"]
        for s, o, ind in _pairs(_actors(st, subjects), _actors(st, places)):
            out.append(_Found(s, rel.name, o, "place-based-in", tok, ind))
    if idx is not None and st.mentions[idx].cls in ("Organization",) and tok == st.heads[idx]:
        places = _prep_objects(tok, ("in", "of"))  # "Avis Bourg Co. of Folsom"
        for s, o, ind in _pairs([(idx, False)], _actors(st, places)):
            if st.onto.is_a(st.mentions[o].cls, "Place"):
                out.append(_Found(s, rel.name, o, "org-in-place", tok, ind))
    return out


def _person_place_rules(st: _Doc, tok: Token) -> list[_Found]:
    """ "Mayor Jane Roe of Dallas", "John Smith from Ohio": a person named with a place lives there."""
    rel = st.onto.relations.get("livesIn")
    idx = st.tok2m.get(tok.i)
    if rel is None or idx is None or st.mentions[idx].kind != "name" or st.mentions[idx].cls != "Person":
        return []
    if tok != st.heads[idx]:
        return []
    places = _prep_objects(tok, ("of", "from"))
    out = []
    for o, _ in _actors(st, places):
        if st.onto.is_a(st.mentions[o].cls, "Place"):
            out.append(_Found(idx, rel.name, o, "person-of-place", tok, False))
        elif st.onto.is_a(st.mentions[o].cls, "Organization"):
            out.append(
                _Found(idx, "memberOf", o, "person-of-org", tok, False)
            )  # "Lt. Jim Bowell of the Fire Department"
    return out


def _polarity(st: _Doc, trigger: Token) -> tuple[bool, bool]:
    onto = st.onto
    hedges = onto.word_list("HedgeWords")
    chain = [trigger]
    cur = trigger
    for _ in range(4):
        if cur.head == cur or cur.dep_ not in (
            "xcomp",
            "ccomp",
            "pcomp",
            "prep",
            "pobj",
            "dobj",
            "attr",
            "acomp",
            "advcl",
            "conj",
        ):
            break
        cur = cur.head
        chain.append(cur)
    negated = any(c.dep_ == "neg" for t in chain for c in t.children)
    negated |= any(c.dep_ == "det" and c.lower_ == "no" for c in trigger.children)
    negated |= any(t.lemma_.lower() in ("deny", "refuse", "fail") for t in chain[1:])
    hedged = any(c.lower_ in hedges for t in chain for c in t.children if c.dep_ in ("advmod", "aux", "amod"))
    hedged |= any(t.lemma_.lower() in hedges for t in chain[1:])
    return negated, hedged


def _sentence_date(st: _Doc, sent: Span) -> tuple[str | None, str | None]:
    for ent in sent.ents:
        if ent.label_ == "DATE":
            return _iso_date(ent.text, st.article.date), ent.text
    return None, None


def _iso_date(text: str, doc_date: str | None) -> str | None:
    """An ISO 8601 date (or year, or year-month) for a date expression, when the text pins one."""
    low = text.lower()
    year_m = re.search(r"\b(1[89]\d\d|20\d\d)\b", low)
    month = None
    for word in re.findall(r"[a-z]+", low):
        if word in _MONTHS:
            month = _MONTHS[word]
            break
        if word[:3] in _MONTH_ABBR and len(word) in (3, 4):
            month = _MONTH_ABBR[word[:3]]
            break
    day_m = re.search(r"\b([0-3]?\d)(?:st|nd|rd|th)?\b", re.sub(r"\b(1[89]\d\d|20\d\d)\b", " ", low))
    year = int(year_m.group(1)) if year_m else None
    if year is None and month is not None and doc_date and re.match(r"\d{4}", doc_date):
        year = int(doc_date[:4])
    if year is None:
        return None
    if month is None:
        return f"{year:04d}"
    if day_m and 1 <= int(day_m.group(1)) <= 31:
        return f"{year:04d}-{month:02d}-{int(day_m.group(1)):02d}"
    return f"{year:04d}-{month:02d}"


def _emit(st: _Doc, f: _Found) -> RelationMention | None:
    if f.subject == f.object:
        return None
    subj, obj = st.mentions[f.subject], st.mentions[f.object]
    if _identity(subj) == _identity(obj):
        return None
    rel = st.onto.relations[f.predicate]
    if f.rule.startswith("role-") and rel.domain == {"Person"} and subj.key is None and subj.cls != "Person":
        # "the country's chancellor, Olaf Scholz": the role says who he is when the model did not.
        subj = _retyped(subj, "Person")
        st.mentions[subj.index] = subj
    negated, hedged = _polarity(st, f.trigger)
    sent = st.sents[st.sent_of[f.trigger.i]]
    conf = rel.base_confidence * _RULE_WEIGHT.get(f.rule, 0.8)
    if f.indirect:
        conf *= _INDIRECT
    if hedged:
        conf *= _HEDGED
    date, date_text = _sentence_date(st, sent)
    trig_start, trig_end = f.trigger.idx, f.trigger.idx + len(f.trigger.text)
    # Arguments reached through a pronoun are reported at the pronoun: it is in this sentence.
    start = min(trig_start, subj.start, obj.start) if subj.sentence == obj.sentence else trig_start
    end = max(trig_end, subj.end, obj.end) if subj.sentence == obj.sentence else trig_end
    # Trailing newlines belong to the sentence in spaCy; in the original text they may hide a blanked caption.
    words = [t for t in sent if not t.is_space]
    sent_start = words[0].idx if words else sent.start_char
    sent_end = words[-1].idx + len(words[-1].text) if words else sent.end_char
    start, end = max(min(start, end), 0), max(start, end)
    text = st.article.text
    return RelationMention(
        subject=f.subject,
        predicate=f.predicate,
        object=f.object,
        provenance=Provenance(
            doc_id=st.article.id,
            sentence=" ".join(text[sent_start:sent_end].split()),
            sentence_start=sent_start,
            sentence_end=sent_end,
            start=start,
            end=end,
            rule=f.rule,
            confidence=round(min(max(conf, 0.0), 1.0), 3),
            negated=negated,
            hedged=hedged,
            date=date,
            date_text=date_text,
        ),
    )


def _dedupe(relations: list[RelationMention]) -> list[RelationMention]:
    """One relation per (subject, predicate, object, polarity, sentence): the most confident rule wins."""
    best: dict[tuple[int, str, int, bool, int], RelationMention] = {}
    for r in relations:
        k = (r.subject, r.predicate, r.object, r.provenance.negated, r.provenance.sentence_start)
        if k not in best or r.provenance.confidence > best[k].provenance.confidence:
            best[k] = r
    return sorted(best.values(), key=lambda r: (r.provenance.start, r.subject, r.predicate, r.object))
