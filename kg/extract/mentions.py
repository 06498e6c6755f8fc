"""Actor mentions: names from the entity recognizer and the gazetteer, collective nouns ("the junta",
"protesters"), and pronouns and definite descriptions linked to the name they stand for."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kg.extract.doc import DocState, clause_subjects, denote, identity, retyped
from kg.ontology import Ontology
from kg.records import Mention

if TYPE_CHECKING:
    from spacy.tokens import Token

ACTOR_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP"})


def _strip_title(st: DocState, tokens: list[Token]) -> tuple[list[Token], str | None]:
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


def _text(st: DocState, tokens: list[Token]) -> str:
    start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
    return " ".join(st.article.text[start:end].split())


def name_mentions(st: DocState) -> None:
    onto = st.onto
    non_actor = onto.word_list("NonActorNames")
    armed_heads = onto.classes["ArmedGroup"].head_nouns
    collective = {n for c in onto.classes.values() for n in c.collective_nouns}
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
        if len(tokens) == 1 and name.lower() in collective and tokens[0].tag_ in ("NNS", "NNPS"):
            continue  # "Police said", "Authorities said": a collective of this story, not a name for the corpus
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


def _retype_surnames(st: DocState) -> None:
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
            st.mentions[i] = retyped(m, "Person")


def collective_mentions(st: DocState) -> None:
    """Common nouns that name one actor on their own: "the coalition", "the junta", "Sudan's army",
    "Iraqi security forces", and people named by what happens to them ("civilians", "protesters").

    They are scoped to the document, unless a country (or another known actor) owns them: "Sudan's army"
    and "the Sudanese army" get one key across the corpus, and a ``partOf`` candidate to Sudan.
    """
    collective = {n: c.name for c in st.onto.classes.values() for n in c.collective_nouns}
    owned: dict[str, set[str]] = {}  # noun -> corpus keys of the owned forces named so far ("army" -> Sudan's)
    for tok in st.doc:
        if tok.i in st.tok2m or tok.lower_ not in collective or tok.pos_ not in ("NOUN", "PROPN"):
            continue
        if tok.dep_ == "compound" and tok.head.pos_ in ("NOUN", "PROPN"):
            continue  # "army chief", "government forces": the noun modifies another
        cls = collective[tok.lower_]
        holder = tok.head if tok.dep_ in ("compound", "amod") else tok
        owner = _owner(st, tok)
        definite = owner is not None or any(
            c.dep_ in ("det", "poss") and c.lower_ in ("the", "its", "their", "this", "his", "her")
            for c in holder.children
        )
        # A bare plural names people, fighters or an institution of the story: "Soldiers fired on protesters",
        # "detained by police", "authorities said".
        bare_plural = tok.tag_ == "NNS" and not any(
            c.dep_ == "det" and c.lower_ in ("a", "an", "some", "any", "no", "many", "most", "all", "other")
            for c in tok.children
        )
        if not (definite or bare_plural):
            continue
        mods = [
            c
            for c in tok.children
            if c.dep_ in ("amod", "compound") and c.i == tok.i - 1 and c.i not in st.tok2m and c.pos_ in ("ADJ", "NOUN")
        ]
        tokens = [*mods, tok]
        phrase = _text(st, tokens).lower()
        if owner is not None:
            ow = st.mentions[owner]
            key = f"{ow.key}/{tok.lower_}" if ow.key else None
            name = f"{ow.name} {phrase}" if ow.key else phrase
        else:
            key, name = None, phrase
            # "Sudan's army ... the army said": the bare noun is the owned one named before, if only one was.
            earlier = owned.get(tok.lower_, set())
            if len(earlier) == 1:
                key = next(iter(earlier))
        idx = st.add(tokens, name=name, cls=cls, kind="collective", key=key or f"local/{tok.lower_}")
        if key is not None:
            owned.setdefault(tok.lower_, set()).add(key)
        if owner is not None and key is not None:
            st.owners[idx] = owner


def _owner(st: DocState, tok: Token) -> int | None:
    """The known actor a collective noun belongs to: "Sudan's army", "the Sudanese army", "Iraqi forces"."""
    text = st.article.text  # not doc.text, which joins every token of the document on each call
    for c in tok.children:
        if c.dep_ in ("poss", "amod", "compound", "nmod") and c.i < tok.i:
            idx = st.tok2m.get(c.i)
            if idx is None or st.mentions[idx].kind != "name" or not st.mentions[idx].key:
                continue
            m = st.mentions[idx]
            before = text[max(m.start - 5, 0) : m.start].lower()
            after = text[m.end : m.end + 1]
            # "anti-IS militias", "pro-Iranian militias", "Iran-backed militias": not the actor's own force.
            if after == "-" or before.endswith(("anti-", "pro-", "non-")):
                continue
            return idx
    return None


def referring_mentions(st: DocState) -> None:
    """Pronouns and definite descriptions, linked to a named actor when only one fits."""
    onto = st.onto
    pronouns = onto.word_list("Pronouns")
    type_nouns = {n: c.name for c in onto.classes.values() for n in c.type_nouns}
    # Named mentions by sentence: a pronoun or description looks a few sentences back, never at the whole
    # document (a scan per pronoun made long documents quadratic).
    named: dict[int, list[Mention]] = {}
    for m in st.mentions:
        if m.kind in ("name", "collective"):
            named.setdefault(m.sentence, []).append(m)
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


def _pronoun_antecedent(st: DocState, tok: Token, named: dict[int, list[Mention]]) -> int | None:
    sent = st.sent_of[tok.i]
    if tok.lower_ in ("it", "its"):
        if tok.lower_ == "it":
            return None  # "it said", "it is ... that": too often expletive or vague
        for subj in clause_subjects(st, tok):
            found = [i for i in denote(st, subj) if st.mentions[i].cls != "Person"]
            if len(found) == 1:
                return found[0]
        return None

    def persons(in_sent: int, before: int | None) -> list[Mention]:
        return [m for m in named.get(in_sent, ()) if m.cls == "Person" and (before is None or m.start < before)]

    for cands in (persons(sent, tok.idx), persons(sent - 1, None) if sent > 0 else []):
        if cands:
            if len({identity(m) for m in cands}) == 1:
                return cands[-1].index
            return None
    return None


def _description_antecedent(st: DocState, tok: Token, named: dict[int, list[Mention]], cls: str) -> int | None:
    sent = st.sent_of[tok.i]
    best: Mention | None = None
    for s in range(max(sent - 3, 0), sent + 1):
        for m in named.get(s, ()):
            if m.start < tok.idx and st.onto.is_a(m.cls, cls):
                best = m
    return best.index if best is not None else None
