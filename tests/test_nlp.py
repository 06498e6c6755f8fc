"""Text preparation (model-free) and kg's spaCy components (with the model)."""

from __future__ import annotations

from typing import Any

from kg.nlp import prepare_text
from kg.records import Article


def test_offsets_are_kept(ontology: Any) -> None:
    text = "The US\u2019 attack \u201cwas\u201d big.\n\nPhoto by A. B./Getty Images\nShare this article:\nX (AP)\n"
    out = prepare_text(text, ontology)
    assert len(out) == len(text)
    assert [i for i, c in enumerate(out) if c == "\n"] == [i for i, c in enumerate(text) if c == "\n"]
    assert "US' attack" in out and '"was"' in out


def test_captions_credits_and_widgets_are_blanked(ontology: Any) -> None:
    text = (
        "Slain Iranian military leader Qassem Soleimani (AP)\n\n"
        "People protest in Istanbul, Turkey. (Photo by Chris McGrath/Getty Images)\n\n"
        "Share this article:\n\n"
        "WASHINGTON (AP) \u2014 The president spoke."
    )
    out = prepare_text(text, ontology)
    assert "Soleimani" not in out and "Istanbul" not in out and "McGrath" not in out and "Share" not in out
    assert "WASHINGTON" in out and "(AP)" not in out and "The president spoke." in out


def test_headline_gets_a_period_in_place_of_a_newline(ontology: Any) -> None:
    text = "Soleimani was a strong opponent to the Islamic State\n\nNext paragraph."
    out = prepare_text(text, ontology)
    assert out.startswith("Soleimani was a strong opponent to the Islamic State.\n")
    assert len(out) == len(text)


def test_no_sentence_or_entity_crosses_a_paragraph(nlp: Any, ontology: Any) -> None:
    from kg.nlp import parse

    text = "Headline about Iran\nBody says Iraq and Syria\n\nThe Islamic State\n\nlost ground in Iraq."
    ((doc, _),) = list(parse(nlp, [Article(id="a", text=text)], ontology))
    for sent in doc.sents:
        assert "\n\n" not in sent.text.strip()
    for ent in doc.ents:
        assert "\n" not in ent.text.strip()


def test_acronym_that_spells_a_verb_is_read_as_a_name(nlp: Any, ontology: Any) -> None:
    from kg.nlp import parse

    ((doc, _),) = list(parse(nlp, [Article(id="a", text="One reason why the IS grew was the war.")], ontology))
    tok = next(t for t in doc if t.text == "IS")
    assert tok.pos_ in ("PROPN", "NOUN")
    assert tok.ent_type_ == "ORG"


def test_batches_close_on_documents_or_characters() -> None:
    from kg.nlp import _batches

    pairs = [("x" * n, Article(id=str(i), text="x" * n)) for i, n in enumerate([10, 10, 10, 90, 5, 200, 1])]
    sizes = [[len(t) for t, _ in b] for b in _batches(iter(pairs), size=3, max_chars=100)]
    assert sizes == [[10, 10, 10], [90, 5], [200], [1]]  # a long document still gets a batch of its own
