"""The extraction stage: actor mentions and typed relations from one parsed document.

Input is a spaCy ``Doc`` (parsed by :mod:`kg.nlp`) and its :class:`~kg.records.Article`; output is a
:class:`~kg.records.DocumentExtraction`. This module is the only place that combines: it finds the mentions
(:mod:`~kg.extract.mentions`), collects candidates from the rules (:mod:`~kg.extract.rules`) and the trained
model (:mod:`~kg.extract.model`), qualifies them (:mod:`~kg.extract.qualify`) and emits one relation per
statement. Every edge names where it came from: a rule id, or ``model``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING

from kg.extract.doc import Candidate, DocState, identity, retyped
from kg.extract.mentions import collective_mentions, name_mentions, referring_mentions
from kg.extract.model import NONE, RelationModel, candidate_pairs, index_path, load_model, pair_features, token_heads
from kg.extract.qualify import polarity, sentence_date
from kg.extract.rules import RULE_WEIGHT, rule_candidates
from kg.ontology import Ontology
from kg.records import Article, DocumentExtraction, Provenance, RelationMention

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

INDIRECT = 0.9  # an argument reached through a pronoun or a definite description
HEDGED = 0.6


def mentions_and_rules(doc: Doc, article: Article, onto: Ontology) -> tuple[DocState, list[Candidate]]:
    """The mentions of one parsed document (in its state) and the candidates every rule proposes."""
    st = DocState(doc=doc, article=article, onto=onto)
    st.sents = list(doc.sents)
    st.sent_of = [0] * len(doc)
    for i, sent in enumerate(st.sents):
        for t in sent:
            st.sent_of[t.i] = i
    name_mentions(st)
    collective_mentions(st)
    referring_mentions(st)
    return st, list(rule_candidates(st))


def rule_hits(candidates: list[Candidate]) -> dict[tuple[int, int], set[str]]:
    """(subject, object) -> ``predicate:rule`` of every rule that fired on the pair (model features)."""
    hits: dict[tuple[int, int], set[str]] = {}
    for c in candidates:
        hits.setdefault((c.subject, c.object), set()).add(f"{c.predicate}:{c.rule}")
    return hits


def model_candidates(
    st: DocState, candidates: list[Candidate], model: RelationModel
) -> Iterator[tuple[Candidate, float]]:
    """What the trained model proposes, with its probability: every label over its threshold whose
    domain and range fit the two actors."""
    pairs = list(candidate_pairs(st))
    if not pairs:
        return
    hits = rule_hits(candidates)
    probs = model.probabilities(pair_features(st, s, o, hits) for s, o in pairs)
    onto = st.onto
    for (s, o), row in zip(pairs, probs, strict=True):
        cs, co = _resolved_class(st, s), _resolved_class(st, o)
        for label, p in zip(model.labels, row, strict=True):
            if label == NONE or p < model.thresholds.get(label, 0.5) or label not in onto.relations:
                continue
            rel = onto.relations[label]
            if not (onto.fits(cs, rel.domain) and onto.fits(co, rel.range)):
                continue
            yield Candidate(s, label, o, "model", _trigger(st, s, o), _indirect(st, s) or _indirect(st, o)), float(p)


def _resolved_class(st: DocState, idx: int) -> str:
    r = st.resolved(idx)
    return st.mentions[r if r is not None else idx].cls


def _indirect(st: DocState, idx: int) -> bool:
    return st.mentions[idx].kind in ("pronoun", "description")


def _trigger(st: DocState, s: int, o: int) -> Token:
    """The word that carries a model relation, for its qualifiers: where the two heads meet in the parse."""
    path = index_path(token_heads(st), st.heads[s].i, st.heads[o].i)
    return st.doc[path[1]] if path is not None else st.heads[s]


def extract_document(doc: Doc, article: Article, onto: Ontology) -> DocumentExtraction:
    """Find the actor mentions and relations in one parsed document.

    Rules are high-precision evidence; the model adds what they miss. A statement both found keeps the
    rule's id (the more specific explanation) and the higher of the two confidences.
    """
    st, candidates = mentions_and_rules(doc, article, onto)
    emitted = [r for r in (_emit(st, c) for c in candidates) if r is not None]
    model = load_model()
    if model is not None:
        probs: dict[tuple[int, str, int], float] = {}
        # Where a rule says who did something to whom in a sentence, the model does not name another doer:
        # "the US' act of killing Soleimani" has one killer, not every actor in the sentence.
        answered = {
            (c.predicate, c.object, st.sent_of[c.trigger.i])
            for c in candidates
            if not st.onto.relations[c.predicate].symmetric
        }
        doers = {(c.subject, c.predicate) for c in candidates}
        for c, p in model_candidates(st, candidates, model):
            if (c.predicate, c.object, st.mentions[c.object].sentence) in answered and (
                c.subject,
                c.predicate,
            ) not in doers:
                continue
            probs[(c.subject, c.predicate, c.object)] = p
            r = _emit(st, c, confidence=p)
            if r is not None:
                emitted.append(r)
        emitted = [_with_model_confidence(r, probs) for r in emitted]
    relations = _dedupe(emitted + list(_lifted(st, emitted)))
    return DocumentExtraction(
        article=article,
        mentions=tuple(st.mentions),
        relations=tuple(relations),
        sentences=len(st.sents),
        tokens=sum(1 for t in doc if not t.is_space),
    )


#: Relations that a force or an institution passes on to the state or organisation that owns it.
_NOT_LIFTED = frozenset({"partOf", "locatedIn", "livesIn"})
LIFTED = 0.9


def _lifted(st: DocState, relations: list[RelationMention]) -> Iterator[RelationMention]:
    """What an owned collective does, its owner does too: "Sudan's army shelled Omdurman" also says that
    Sudan attacked it, and "Hezbollah fighters clashed with Israeli troops" that Hezbollah and Israel did.
    The inferred statement keeps the evidence and says how it was made (``rule+partOf``).
    """
    for r in relations:
        if r.predicate in _NOT_LIFTED or r.provenance.negated:
            continue
        rel = st.onto.relations[r.predicate]
        # Both ends go to their owners at once: "Hezbollah fighters clashed with Israeli troops" says that
        # Hezbollah and Israel did, not that Hezbollah clashed with Israeli troops.
        s_idx = st.owners.get(r.subject, r.subject)
        o_idx = st.owners.get(r.object, r.object)
        if (s_idx, o_idx) == (r.subject, r.object) or s_idx == o_idx:
            continue
        if not (st.onto.fits(st.mentions[s_idx].cls, rel.domain) and st.onto.fits(st.mentions[o_idx].cls, rel.range)):
            continue
        pv = dataclasses.replace(
            r.provenance, rule=f"{r.provenance.rule}+partOf", confidence=round(r.provenance.confidence * LIFTED, 3)
        )
        yield dataclasses.replace(r, subject=s_idx, object=o_idx, provenance=pv)


def _with_model_confidence(r: RelationMention, probs: dict[tuple[int, str, int], float]) -> RelationMention:
    p = probs.get((r.subject, r.predicate, r.object))
    if p is None or r.provenance.rule == "model" or p <= r.provenance.confidence:
        return r
    return dataclasses.replace(r, provenance=dataclasses.replace(r.provenance, confidence=round(p, 3)))


def _emit(st: DocState, f: Candidate, confidence: float | None = None) -> RelationMention | None:
    if f.subject == f.object:
        return None
    subj, obj = st.mentions[f.subject], st.mentions[f.object]
    if identity(subj) == identity(obj):
        return None
    rel = st.onto.relations[f.predicate]
    if f.rule.startswith("role-") and rel.domain == {"Person"} and subj.key is None and subj.cls != "Person":
        # "the country's chancellor, Olaf Scholz": the role says who he is when the model did not.
        subj = retyped(subj, "Person")
        st.mentions[subj.index] = subj
    negated, hedged = polarity(st, f.trigger)
    sent = st.sents[st.sent_of[f.trigger.i]]
    if confidence is None:
        conf = rel.base_confidence * RULE_WEIGHT.get(f.rule, 0.8)
        if f.indirect:
            conf *= INDIRECT
    else:
        conf = confidence  # the model's probability already weighs an indirect argument
    if hedged:
        conf *= HEDGED
    date, date_text = sentence_date(st, sent)
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
    """One relation per (subject, predicate, object, polarity, sentence): a rule wins over the model (its id
    explains more), then the most confident."""
    best: dict[tuple[int, str, int, bool, int], RelationMention] = {}

    def rank(r: RelationMention) -> tuple[bool, float]:
        return (r.provenance.rule != "model", r.provenance.confidence)

    for r in relations:
        k = (r.subject, r.predicate, r.object, r.provenance.negated, r.provenance.sentence_start)
        if k not in best or rank(r) > rank(best[k]):
            best[k] = r
    return sorted(best.values(), key=lambda r: (r.provenance.start, r.subject, r.predicate, r.object))
