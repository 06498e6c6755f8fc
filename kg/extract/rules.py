"""The hand-written relation rules, by family: verbs, event nouns, roles and titles, "anti-" prefixes, places.

Each rule returns :class:`~kg.extract.doc.Candidate` relations named by their rule id (``verb-active``,
``role-title``...), which ends up in the provenance of every edge it supports. Every word list comes from
the ontology.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kg.extract.doc import (
    Candidate,
    DocState,
    actors_of,
    by_agents,
    is_passive,
    modifier_actors,
    pairs,
    prep_objects,
    subjects_of,
)
from kg.ontology import RelationType

if TYPE_CHECKING:
    from spacy.tokens import Token

RULE_WEIGHT = {
    "collective-owner": 1.0,
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


def rule_candidates(st: DocState) -> Iterator[Candidate]:
    """Every relation the rules propose in the document, token by token."""
    if "partOf" in st.onto.relations:
        for idx, owner in st.owners.items():
            # "Sudan's army", "the Iraqi security forces": the force belongs to the state that owns it.
            yield Candidate(idx, "partOf", owner, "collective-owner", st.heads[idx], False)
    for tok in st.doc:
        if tok.pos_ in ("VERB", "AUX"):
            yield from _verb_rules(st, tok)
        if tok.pos_ in ("NOUN", "PROPN"):
            yield from _noun_rules(st, tok)
            yield from _role_rules(st, tok)
        if tok.lower_ == "anti":
            yield from _anti_rule(st, tok)
        yield from _place_rules(st, tok)
        yield from _person_place_rules(st, tok)


def _verb_keys(v: Token) -> list[str]:
    lemma = v.lemma_.lower()
    keys = [f"{lemma} {c.lower_}" for c in v.children if c.dep_ in ("prt", "acomp", "oprd", "advmod")]
    # "shot to death", "beaten to death": the phrase, not the bare verb, says what happened.
    keys += [
        f"{lemma} {c.lower_} {p.lower_}" for c in v.children if c.dep_ == "prep" for p in c.children if p.dep_ == "pobj"
    ]
    return [*sorted(keys, key=len, reverse=True), lemma]


def relation_for(st: DocState, keys: list[str], attr: str) -> tuple[RelationType, str] | None:
    for key in keys:
        for rel in st.onto.relations.values():
            if key in getattr(rel, attr):
                return rel, key
    return None


def _verb_rules(st: DocState, v: Token) -> list[Candidate]:
    hit = relation_for(st, _verb_keys(v), "verbs")
    if hit is None:
        return []
    rel, _ = hit
    out: list[Candidate] = []
    onto = st.onto
    participle = v.tag_ == "VBN" and v.dep_ in ("acl", "amod")
    if rel.name == "locatedIn":
        return []  # "based in" is a place rule
    if onto.fits("Place", rel.range) and not onto.fits("Person", rel.range):
        # "X lives in Y", "X was born in Y": the place comes with a preposition, the subject is the person.
        holders = [c for c in v.children if c.dep_ == "nsubjpass"] or subjects_of(st, v)
        places = prep_objects(v, rel.object_preps)
        return [
            Candidate(s, rel.name, o, "verb-place", v, ind)
            for s, o, ind in pairs(actors_of(st, holders), actors_of(st, places))
        ]
    if is_passive(v) or participle:
        patients = [c for c in v.children if c.dep_ == "nsubjpass"] or ([v.head] if participle else [])
        agents = [p for c in v.children if c.dep_ == "agent" for p in c.children if p.dep_ == "pobj"]
        agents += [c for c in v.children if c.dep_ == "npadvmod"]  # "Iran-backed"
        rule = "verb-participle" if participle else "verb-passive-agent"
        objs = actors_of(st, patients)
        agent_actors = actors_of(st, agents)
        for s, o, ind in pairs(agent_actors, objs):
            out.append(Candidate(s, rel.name, o, rule, v, ind))
        if not agent_actors:
            # "X was killed in an American drone strike": the agent modifies the instrument.
            instruments = [p for p in prep_objects(v, onto.word_list("InstrumentPrepositions")) if p.i not in st.tok2m]
            for inst in instruments:
                agent_toks = modifier_actors(st, inst, set()) + by_agents(inst)
                for s, o, ind in pairs(actors_of(st, agent_toks), objs):
                    out.append(Candidate(s, rel.name, o, "verb-passive-instrument", v, ind))
        return out
    subjects = actors_of(st, subjects_of(st, v))
    dobjs = [c for c in v.children if c.dep_ in ("dobj", "obj")]
    reciprocal = any(
        d.lower_ in ("other", "another") and any(c.lower_ in ("each", "one") for c in d.children) for d in dobjs
    )
    if reciprocal:
        for s, o, ind in pairs(subjects, subjects):
            out.append(Candidate(s, rel.name, o, "verb-reciprocal", v, ind))
        return out
    if not dobjs:
        dobjs = prep_objects(v, ("against", "with"))
    for s, o, ind in pairs(subjects, actors_of(st, dobjs)):
        out.append(Candidate(s, rel.name, o, "verb-active", v, ind))
    return out


def _noun_rules(st: DocState, n: Token) -> list[Candidate]:
    if n.i in st.tok2m:
        return []
    keys = [n.lemma_.lower(), n.lower_]
    hit = relation_for(st, keys, "nouns")
    if hit is None:
        return []
    rel, key = hit
    preps = rel.noun_preps.get(key) or rel.object_preps
    out: list[Candidate] = []
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
        parties = actors_of(st, between)
        for s, o, ind in pairs(parties, parties):
            out.append(Candidate(s, rel.name, o, "noun-reciprocal", n, ind))
        return out
    light = n.head if n.dep_ == "dobj" and n.head.pos_ == "VERB" else None
    if light is not None and light.lemma_.lower() not in st.onto.word_list("LightVerbs"):
        light = None
    if not objects and light is not None:
        # "sent weapons to Ukraine", "gave Ukraine weapons", "imposed sanctions on Belarus": the target hangs
        # on the light verb, not on the noun.
        for c in light.children:
            if c.dep_ in ("prep", "dative") and c.lower_ in preps and c.lower_ != "by":
                objects += [p for p in c.children if p.dep_ == "pobj"]  # "to Ukraine" (parsed as a dative too)
            elif c.dep_ == "dative" and c.pos_ != "ADP":
                objects.append(c)  # "gave Ukraine weapons"
    objs = actors_of(st, objects)
    if not objs:
        return []
    agent_toks = [c for c in n.children if c.dep_ == "poss"] + by_agents(n)
    rule = "noun-event"
    if not agent_toks:
        agent_toks = modifier_actors(st, n, set())
    agents = actors_of(st, agent_toks)
    if not agents and n.dep_ in ("dobj", "pobj"):
        verb = n.head if n.dep_ == "dobj" else n.head.head
        if verb.pos_ == "VERB" and verb.lemma_.lower() in st.onto.word_list("LightVerbs"):
            agents = actors_of(st, subjects_of(st, verb))
            rule = "noun-light-verb"
    for s, o, ind in pairs(agents, objs):
        out.append(Candidate(s, rel.name, o, rule, n, ind))
    return out


def _role_key(n: Token) -> list[str]:
    keys = []
    left = [c for c in n.children if c.dep_ in ("compound", "amod") and c.i == n.i - 1]
    if left:
        keys.append(f"{left[0].lower_} {n.lower_}")
    if n.i >= 2 and n.doc[n.i - 1].text == "-":
        keys.append(f"{n.doc[n.i - 2].lower_}-{n.lower_}")
    return [*keys, n.lower_, n.lemma_.lower()]


def _role_rules(st: DocState, n: Token) -> list[Candidate]:
    idx = st.tok2m.get(n.i)
    if idx is not None and n.idx >= st.mentions[idx].start:
        return []  # part of a name; a title stripped from the name is still a role
    hit = relation_for(st, _role_key(n), "roles")
    if hit is None:
        return []
    rel, key = hit
    holders, rule = _role_holders(st, n)
    if not holders:
        return []
    role_words = set(key.replace("-", " ").split())
    objs_toks = [c for c in n.children if c.dep_ == "poss"]
    objs_toks += prep_objects(n, rel.object_preps)
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
    objs = actors_of(st, objs_toks)
    # A title or apposition belongs to the one name it is attached to, not to that name's conjuncts.
    subs = actors_of(st, holders, expand=rule not in ("role-title", "role-apposition"))
    out = []
    for s, o, ind in pairs(subs, objs):
        out.append(Candidate(s, name, o, rule, n, ind))
    return out


def _role_holders(st: DocState, n: Token, depth: int = 0) -> tuple[list[Token], str]:
    if depth > 3:
        return [], ""
    dep, head = n.dep_, n.head
    appos = [c for c in n.children if c.dep_ == "appos"]
    if appos:
        return appos, "role-apposition"  # "the country's prime minister, Adil Abdul-Mahdi"
    if dep in ("attr", "acomp", "oprd") and head.pos_ in ("AUX", "VERB"):
        return subjects_of(st, head), "role-copula"
    if dep == "appos":
        return [head], "role-apposition"
    if dep in ("compound", "nmod") and head.i in st.tok2m:
        return [head], "role-title"
    if dep == "pobj" and head.lower_ == "as":
        verb = head.head
        if verb.pos_ in ("VERB", "AUX"):
            return subjects_of(st, verb), "role-as"
    if dep == "conj":
        return _role_holders(st, head, depth + 1)
    return [], ""


def _anti_rule(st: DocState, tok: Token) -> list[Candidate]:
    doc = st.doc
    if tok.i + 2 >= len(doc) or doc[tok.i + 1].text != "-":
        return []
    target = doc[tok.i + 2]
    objs = actors_of(st, [target])
    if not objs:
        return []
    rel = next((r for r in st.onto.relations.values() if r.anti_prefix), None)
    if rel is None:
        return []
    noun = target.head if target.head.pos_ in ("NOUN", "PROPN") else tok.head
    holders = actors_of(st, [noun])
    if not holders:
        holders = actors_of(st, [c for c in noun.children if c.dep_ == "poss"])
    if not holders and noun.dep_ == "dobj" and noun.head.lemma_.lower() in st.onto.word_list("LightVerbs"):
        holders = actors_of(st, subjects_of(st, noun.head))
    return [Candidate(s, rel.name, o, "anti-prefix", tok, ind) for s, o, ind in pairs(holders, objs)]


def _place_rules(st: DocState, tok: Token) -> list[Candidate]:
    rel = st.onto.relations.get("locatedIn")
    if rel is None:
        return []
    out: list[Candidate] = []
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
            out.append(Candidate(inner.index, rel.name, outer.index, "place-apposition", tok, False))
    if tok.lemma_.lower() in rel.verbs and tok.tag_ == "VBN":
        places = prep_objects(tok, rel.object_preps)
        if tok.dep_ in ("acl", "amod"):
            subjects = [tok.head]
            places += [c for c in tok.children if c.dep_ == "npadvmod"]  # "Washington-based"
        else:
            subjects = [c for c in tok.children if c.dep_ == "nsubjpass"]
        for s, o, ind in pairs(actors_of(st, subjects), actors_of(st, places)):
            out.append(Candidate(s, rel.name, o, "place-based-in", tok, ind))
    if idx is not None and st.mentions[idx].cls in ("Organization",) and tok == st.heads[idx]:
        places = prep_objects(tok, ("in", "of"))  # "Avis Bourg Co. of Folsom"
        for s, o, ind in pairs([(idx, False)], actors_of(st, places)):
            if st.onto.is_a(st.mentions[o].cls, "Place"):
                out.append(Candidate(s, rel.name, o, "org-in-place", tok, ind))
    return out


def _person_place_rules(st: DocState, tok: Token) -> list[Candidate]:
    """ "Mayor Jane Roe of Dallas", "John Smith from Ohio": a person named with a place lives there."""
    rel = st.onto.relations.get("livesIn")
    idx = st.tok2m.get(tok.i)
    if rel is None or idx is None or st.mentions[idx].kind != "name" or st.mentions[idx].cls != "Person":
        return []
    if tok != st.heads[idx]:
        return []
    places = prep_objects(tok, ("of", "from"))
    out = []
    for o, _ in actors_of(st, places):
        if st.onto.is_a(st.mentions[o].cls, "Place"):
            out.append(Candidate(idx, rel.name, o, "person-of-place", tok, False))
        elif st.onto.is_a(st.mentions[o].cls, "Organization"):
            out.append(
                Candidate(idx, "memberOf", o, "person-of-org", tok, False)
            )  # "Lt. Jim Bowell of the Fire Department"
    return out
