"""Extraction rules on hand-built spaCy Docs: no statistical model involved."""

from __future__ import annotations

from typing import Any

import pytest
import spacy
from spacy.tokens import Doc, Span

from kg.extract import extract_document
from kg.records import Article

VOCAB = spacy.blank("en").vocab


def make_doc(
    words: list[str], heads: list[int], deps: list[str], pos: list[str], ents: list[tuple[int, int, str]], **kw: Any
) -> tuple[Doc, Article]:
    spaces = [True] * len(words)
    for i, w in enumerate(words[1:], 1):
        if w in {".", ",", "'s"}:
            spaces[i - 1] = False
    doc = Doc(VOCAB, words=words, spaces=spaces, heads=heads, deps=deps, pos=pos, **kw)
    doc.ents = [Span(doc, s, e, label=label) for s, e, label in ents]
    return doc, Article(id="u", text=doc.text)


def triples(doc: Doc, article: Article, ontology: Any) -> set[tuple[str, str, str, bool]]:
    ex = extract_document(doc, article, ontology)
    m = ex.mentions
    return {(m[r.subject].name, r.predicate, m[r.object].name, r.provenance.negated) for r in ex.relations}


def test_active_verb_with_coordinated_subjects(ontology: Any) -> None:
    # Britain and France attacked Libya .
    doc, art = make_doc(
        ["Britain", "and", "France", "attacked", "Libya", "."],
        heads=[3, 0, 0, 3, 3, 3],
        deps=["nsubj", "cc", "conj", "ROOT", "dobj", "punct"],
        pos=["PROPN", "CCONJ", "PROPN", "VERB", "PROPN", "PUNCT"],
        ents=[(0, 1, "GPE"), (2, 3, "GPE"), (4, 5, "GPE")],
        lemmas=["Britain", "and", "France", "attack", "Libya", "."],
    )
    assert triples(doc, art, ontology) == {
        ("Britain", "attacked", "Libya", False),
        ("France", "attacked", "Libya", False),
    }


def test_passive_agent_on_the_instrument(ontology: Any) -> None:
    # Nasrallah was killed in an Israeli strike .
    doc, art = make_doc(
        ["Nasrallah", "was", "killed", "in", "an", "Israeli", "strike", "."],
        heads=[2, 2, 2, 2, 6, 6, 3, 2],
        deps=["nsubjpass", "auxpass", "ROOT", "prep", "det", "amod", "pobj", "punct"],
        pos=["PROPN", "AUX", "VERB", "ADP", "DET", "ADJ", "NOUN", "PUNCT"],
        ents=[(0, 1, "PERSON"), (5, 6, "NORP")],
        lemmas=["Nasrallah", "be", "kill", "in", "an", "israeli", "strike", "."],
        tags=["NNP", "VBD", "VBN", "IN", "DT", "JJ", "NN", "."],
    )
    assert triples(doc, art, ontology) == {("Israeli", "killed", "Nasrallah", False)}


def test_negation_flags_the_relation(ontology: Any) -> None:
    # Egypt did not attack Sudan .
    doc, art = make_doc(
        ["Egypt", "did", "not", "attack", "Sudan", "."],
        heads=[3, 3, 3, 3, 3, 3],
        deps=["nsubj", "aux", "neg", "ROOT", "dobj", "punct"],
        pos=["PROPN", "AUX", "PART", "VERB", "PROPN", "PUNCT"],
        ents=[(0, 1, "GPE"), (4, 5, "GPE")],
        lemmas=["Egypt", "do", "not", "attack", "Sudan", "."],
    )
    assert triples(doc, art, ontology) == {("Egypt", "attacked", "Sudan", True)}


def test_role_noun_in_apposition(ontology: Any) -> None:
    # Jane Holt , an analyst at Acme Group , spoke .
    doc, art = make_doc(
        ["Jane", "Holt", ",", "an", "analyst", "at", "Acme", "Group", ",", "spoke", "."],
        heads=[1, 9, 1, 4, 1, 4, 7, 5, 1, 9, 9],
        deps=["compound", "nsubj", "punct", "det", "appos", "prep", "compound", "pobj", "punct", "ROOT", "punct"],
        pos=["PROPN", "PROPN", "PUNCT", "DET", "NOUN", "ADP", "PROPN", "PROPN", "PUNCT", "VERB", "PUNCT"],
        ents=[(0, 2, "PERSON"), (6, 8, "ORG")],
        lemmas=["Jane", "Holt", ",", "an", "analyst", "at", "Acme", "Group", ",", "speak", "."],
    )
    assert triples(doc, art, ontology) == {("Jane Holt", "memberOf", "Acme Group", False)}


def test_titles_are_stripped_and_credits_are_not_names(ontology: Any) -> None:
    doc, art = make_doc(
        ["President", "Joe", "Biden", "met", "AP", "."],
        heads=[2, 2, 3, 3, 3, 3],
        deps=["compound", "compound", "nsubj", "ROOT", "dobj", "punct"],
        pos=["PROPN", "PROPN", "PROPN", "VERB", "PROPN", "PUNCT"],
        ents=[(0, 3, "PERSON"), (4, 5, "ORG")],
    )
    ex = extract_document(doc, art, ontology)
    names = [(m.name, m.title) for m in ex.mentions if m.kind == "name"]
    assert names == [("Joe Biden", "President")]


@pytest.mark.parametrize(
    ("text", "doc_date", "iso"),
    [
        ("March 3, 2021", None, "2021-03-03"),
        ("February 30, 2021", None, "2021-02"),  # not on the calendar: the month is still right
        ("February 29, 2020", None, "2020-02-29"),
        ("in May", "2019-06-01", "2019-05"),
        ("last week", "2019-06-01", None),
    ],
)
def test_iso_date_is_always_a_calendar_date(text: str, doc_date: str | None, iso: str | None) -> None:
    from kg.extract.qualify import iso_date

    assert iso_date(text, doc_date) == iso
