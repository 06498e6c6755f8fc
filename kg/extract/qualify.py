"""Qualifiers of a relation statement: negation, hedging, and the date the sentence gives."""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING

from kg.extract.doc import DocState

if TYPE_CHECKING:
    from spacy.tokens import Span, Token

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


def polarity(st: DocState, trigger: Token) -> tuple[bool, bool]:
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


def sentence_date(st: DocState, sent: Span) -> tuple[str | None, str | None]:
    """The first date expression of the sentence, as ISO 8601 where the text pins one, and as written.

    ``Span.ents`` walks every entity of the document, so asking it once per sentence made a build quadratic
    in the document's length; the first date of every sentence is found in one pass and kept."""
    cached = st.cache.get("sentence_dates")
    if isinstance(cached, dict):
        firsts: dict[int, str] = cached
    else:
        firsts = {}
        for ent in st.doc.ents:
            if ent.label_ == "DATE":
                firsts.setdefault(st.sents[st.sent_of[ent.start]].start, ent.text)
        st.cache["sentence_dates"] = firsts
    text = firsts.get(sent.start)
    if text is None:
        return None, None
    return iso_date(text, st.article.date), text


def iso_date(text: str, doc_date: str | None) -> str | None:
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
        try:
            return datetime.date(year, month, int(day_m.group(1))).isoformat()
        except ValueError:  # "February 30": the month is still right
            pass
    return f"{year:04d}-{month:02d}"
