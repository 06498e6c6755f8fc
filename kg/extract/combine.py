"""The extraction stage: actor mentions and typed relations from one parsed document.

Input is a spaCy ``Doc`` (parsed by :mod:`kg.nlp`) and its :class:`~kg.records.Article`; output is a
:class:`~kg.records.DocumentExtraction`. This module is the only place that combines: it finds the mentions
(:mod:`~kg.extract.mentions`), collects candidates from the rules (:mod:`~kg.extract.rules`) and the trained
model (:mod:`~kg.extract.model`), qualifies them (:mod:`~kg.extract.qualify`) and emits one relation per
statement. Every edge names where it came from: a rule id, or ``model``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kg.extract.doc import Candidate, DocState, identity, retyped
from kg.extract.mentions import collective_mentions, name_mentions, referring_mentions
from kg.extract.qualify import polarity, sentence_date
from kg.extract.rules import RULE_WEIGHT, rule_candidates
from kg.ontology import Ontology
from kg.records import Article, DocumentExtraction, Provenance, RelationMention

if TYPE_CHECKING:
    from spacy.tokens import Doc

INDIRECT = 0.9  # an argument reached through a pronoun or a definite description
HEDGED = 0.6


def extract_document(doc: Doc, article: Article, onto: Ontology) -> DocumentExtraction:
    """Find the actor mentions and relations in one parsed document."""
    st = DocState(doc=doc, article=article, onto=onto)
    st.sents = list(doc.sents)
    st.sent_of = [0] * len(doc)
    for i, sent in enumerate(st.sents):
        for t in sent:
            st.sent_of[t.i] = i
    name_mentions(st)
    collective_mentions(st)
    referring_mentions(st)
    emitted = (_emit(st, c) for c in rule_candidates(st))
    relations = _dedupe([r for r in emitted if r is not None])
    return DocumentExtraction(
        article=article,
        mentions=tuple(st.mentions),
        relations=tuple(relations),
        sentences=len(st.sents),
        tokens=sum(1 for t in doc if not t.is_space),
    )


def _emit(st: DocState, f: Candidate) -> RelationMention | None:
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
    conf = rel.base_confidence * RULE_WEIGHT.get(f.rule, 0.8)
    if f.indirect:
        conf *= INDIRECT
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
    """One relation per (subject, predicate, object, polarity, sentence): the most confident rule wins."""
    best: dict[tuple[int, str, int, bool, int], RelationMention] = {}
    for r in relations:
        k = (r.subject, r.predicate, r.object, r.provenance.negated, r.provenance.sentence_start)
        if k not in best or r.provenance.confidence > best[k].provenance.confidence:
            best[k] = r
    return sorted(best.values(), key=lambda r: (r.provenance.start, r.subject, r.predicate, r.object))
