"""The cleaning stage (kg.clean): story kept, page furniture blanked, offsets never moved."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.clean import blank, clean_text
from kg.evaluate import score_cleaning

FIXTURES = Path(__file__).resolve().parent / "data" / "clean" / "rendered"

BODY = [
    "KYIV, Ukraine (MPA) — A wave of drones struck an apartment building in the capital early on Saturday, "
    "killing at least 11 people, officials said.",
    "Rescue crews were still pulling people from the rubble hours later, and the mayor said the toll could rise.",
    "The defense ministry said it had shot down most of the drones over the region before they reached the city.",
    "No one was hurt.",
    "Officials in the capital said that the air defense units had been moved to the north of the country.",
    "The government has asked its allies for more systems, saying that every delay costs the lives of civilians.",
]


def _removed(text: str) -> str:
    """The furniture clean_text finds, as the text it blanks (one piece per line)."""
    return "\n".join(b.text for b in clean_text(text))


def _kept(text: str) -> str:
    return blank(text, clean_text(text))


def _page(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def test_byline_removed_headline_and_dateline_kept() -> None:
    text = _page(
        "World",
        "Politics",
        "Business",
        "Drones hit apartment building in the capital, killing 11",
        "By Olena Marchuk and Piotr Zalewski",
        "March 2, 2024",
        *BODY,
    )
    kept = _kept(text)
    assert "By Olena Marchuk" not in kept
    assert "Drones hit apartment building in the capital, killing 11" in kept
    assert "March 2, 2024" in kept
    assert "No one was hurt." in kept  # a short story sentence survives


def test_caption_after_credit_and_before_credit() -> None:
    before = _page(
        *BODY[:3],
        "Firefighters work at the site of the damaged building in the capital",
        "(MPA Photo/Jan Kowal)",
        *BODY[3:],
    )
    removed = _removed(before)
    assert "Firefighters work at the site" in removed and "MPA Photo" in removed
    # Some sites print the credit first: the caption then follows it, and the story sentence before stays.
    after = _page(
        *BODY[:3], "Getty Images", "Firefighters work at the site of the damaged building in the capital", *BODY[3:]
    )
    removed = _removed(after)
    assert "Firefighters work at the site" in removed and "Getty Images" in removed
    assert BODY[2] in _kept(after)


def test_related_headline_list_removed() -> None:
    text = _page(
        "Drones hit apartment building in the capital, killing 11",
        *BODY[:3],
        "Related coverage",
        "Map shows where the drones struck overnight",
        "What to know about the air defense systems allies promised",
        "Shipping firms say Black Sea disruption could last months",
        *BODY[3:],
    )
    removed = _removed(text)
    assert "Map shows where the drones struck" in removed
    assert "Shipping firms say Black Sea" in removed
    assert all(sentence in _kept(text) for sentence in BODY)


def test_comment_section_removed() -> None:
    text = _page(
        *BODY,
        "42 Comments",
        "northernobserver",
        "This will not end until both sides actually talk to each other, and everyone knows it.",
        "Like 24",
    )
    removed = _removed(text)
    assert "This will not end until both sides" in removed
    assert all(sentence in _kept(text) for sentence in BODY)


def test_transcript_short_lines_kept() -> None:
    text = _page(
        "Aired January 16, 2024 - 20:00 ET",
        "THIS IS A RUSH TRANSCRIPT. THIS COPY MAY NOT BE IN ITS FINAL FORM AND MAY BE UPDATED.",
        "ELLISON: Good evening. We begin tonight in the Red Sea, where rebels have fired a missile at a ship.",
        "OKAFOR: Several of the biggest companies have already stopped sending their ships through the strait.",
        "ELLISON: And the insurers?",
        "OKAFOR: They have raised the rates for every ship that passes through the area, and more will follow.",
        "ELLISON: Thank you.",
        "Yes.",
        "Copyright 2024 ABN. All Rights Reserved.",
    )
    kept = _kept(text)
    assert "ELLISON: And the insurers?" in kept
    assert "ELLISON: Thank you." in kept and "Yes." in kept
    assert "RUSH TRANSCRIPT" not in kept and "All Rights Reserved" not in kept


def test_flat_text_with_glued_furniture() -> None:
    # Line breaks lost: the menu is glued to the headline, furniture to the story sentences.
    text = (
        "World  Politics  Sports Conflicts Drones hit apartment building in the capital, killing 11   "
        + " ".join(BODY[:3])
        + " ADVERTISEMENT "
        + " ".join(BODY[3:])
        + "  [MUSIC]Nadia Sow (00:01:02): Thank you, Nadia. 20 min agoThe mayor said it again."
    )
    kept = _kept(text)
    assert "Drones hit apartment building in the capital, killing 11" in kept
    assert "ADVERTISEMENT" not in kept and "[MUSIC]" not in kept and "(00:01:02)" not in kept
    assert "Politics" not in kept
    for sentence in BODY:
        assert sentence in kept


def test_flat_text_with_glued_bylines_stamps_and_tickers() -> None:
    # Inline furniture that has a shape of its own: an all-capitals byline, a publication stamp, index quotes
    # and a comment counter, glued to the headline and the story.
    text = (
        "S&P 500 4,314.60 -58.60 (-1.34%) Dow 30 33,665.08 -332.57 (-0.98%)Drones hit apartment building in the "
        "capital, killing 11 By OLENA MARCHUK and PIOTR ZALEWSKI Updated 9:40 AM GMT, March 2, 2024   "
        + " ".join(BODY)
        + "  Comments (187)Sign in or create your account to join the discussion."
    )
    kept = _kept(text)
    assert "Drones hit apartment building in the capital, killing 11" in kept
    for furniture in ("OLENA MARCHUK", "9:40 AM GMT", "4,314.60", "-0.98%", "Comments (187)"):
        assert furniture not in kept, furniture
    for sentence in BODY:
        assert sentence in kept
    # A segment that is nothing but such a stamp is furniture wherever it stands.
    assert "March 19" not in _kept("Published March 19, 2024 at 6:04 a.m.\n" + "\n".join(BODY) + "\n")


def test_fixture_recall_floors() -> None:
    """Story and furniture recall on the rendered fixtures (tests/data/clean/README.md); floors sit just under
    the measured figures, so a change that loses story or lets furniture back in fails here."""
    overall = score_cleaning(FIXTURES)["overall"]
    floors = {"txt": (0.995, 0.978), "flat": (0.995, 0.945), "html": (0.995, 0.99)}
    for variant, (story, furniture) in floors.items():
        assert overall[variant]["story_recall"] >= story, variant
        assert overall[variant]["furniture_recall"] >= furniture, variant


#: Measured story and furniture recall per kind of site and rendering (docs/EVALUATION.md): a cell may not
#: fall more than 0.005 under its figure, nor under the issue's target (story >= 0.99, furniture >= 0.90).
PER_KIND = {
    "aggregator": {"txt": (1.0, 1.0), "flat": (1.0, 1.0), "html": (0.996, 1.0)},
    "broadcaster": {"txt": (1.0, 0.965), "flat": (1.0, 0.936), "html": (0.998, 1.0)},
    "business": {"txt": (1.0, 0.964), "flat": (1.0, 0.941), "html": (1.0, 1.0)},
    "newspaper": {"txt": (1.0, 0.986), "flat": (1.0, 0.946), "html": (0.998, 1.0)},
    "transcript": {"txt": (1.0, 0.987), "flat": (0.998, 0.904), "html": (0.998, 1.0)},
    "wire": {"txt": (1.0, 1.0), "flat": (1.0, 0.970), "html": (1.0, 1.0)},
}
TARGET = (0.99, 0.90)


def test_fixture_recall_per_kind_of_site() -> None:
    by_kind = score_cleaning(FIXTURES)["by_kind"]
    assert set(by_kind) == set(PER_KIND)
    for kind, variants in PER_KIND.items():
        for variant, (story, furniture) in variants.items():
            got = by_kind[kind][variant]
            assert got["story_recall"] >= max(story - 0.005, TARGET[0]), (kind, variant, got)
            assert got["furniture_recall"] >= max(furniture - 0.005, TARGET[1]), (kind, variant, got)


@pytest.mark.parametrize(
    ("furniture", "why"),
    [
        (
            "With your consent, we and our partners use cookies or similar technologies to store and access "
            "personal data such as your visit to this website, to measure audiences and to show you "
            "personalised content and ads. You can withdraw your consent at any time from the privacy "
            "settings of this site, and you can refuse it by closing this banner.",
            "a long cookie notice",
        ),
        ("Village elders meet in the square after the vote Image: Ana Ilić/REUTERS", "a caption and its credit"),
        ("Foreign affairs reporter Maria Okafor", "a reporter's byline"),
        ("NPR transcripts are created on a rush deadline by a contractor.", "a transcript disclaimer"),
        ("Last modified on Tue 12 Mar 2024 10.15 GMT", "a modification time"),
    ],
)
def test_furniture_lines(furniture: str, why: str) -> None:
    text = f"Headline of the day\n\n{BODY[0]}\n\n{furniture}\n\n{BODY[1]}\n\n{BODY[2]}\n"
    kept = _kept(text)
    assert furniture.split()[1] not in kept.split(), why
    for sentence in BODY[:3]:
        assert sentence in kept


def test_a_teaser_after_a_read_more_header_goes_with_it() -> None:
    teaser = "Rival factions agree to a ceasefire in the north"
    text = f"{BODY[0]}\n\n{BODY[1]}\n\nRead more\n{teaser}\n\n{BODY[2]}\n"
    kept = _kept(text)
    assert "ceasefire" not in kept
    for sentence in BODY[:3]:
        assert sentence in kept


def test_a_question_teaser_goes_only_when_more_furniture_follows() -> None:
    teaser = "Who are the rebels, and what do they want?"
    listed = f"{BODY[0]}\n\n{BODY[1]}\n\n{BODY[2]}\n\nMore on this story\n{teaser}\nPeace talks stall again\n"
    assert "rebels" not in _kept(listed)
    # Followed by story, the question is the subhead of what follows it.
    subhead = f"{BODY[0]}\n\n{BODY[1]}\n\nMore on this story\n{teaser}\n{BODY[2]}\n\n{BODY[4]}\n"
    assert teaser in _kept(subhead)


def test_flat_text_captions_credits_and_footer() -> None:
    # Line breaks lost: a caption closed by a parenthesised credit glued to the next sentence, a caption
    # widget's toggles, a closing quote at the end of a run, a comment counter glued to its label, and a
    # publisher's disclaimer in prose after the copyright notice.
    caption = "In this photo provided by the navy, firefighters battle a blaze on board a merchant vessel."
    quote = '"We will not leave," the mayor said.'
    text = (
        "Drones hit apartment building in the capital, killing 11   "
        + " ".join(BODY[:3])
        + f" {caption} (Pacific Navy via MPA)"
        + " ".join(BODY[3:])
        + f" {quote}   Comments114 Comments   Most read   Copyright 2024 ABN. All rights reserved.   "
        "Visit our website terms of use and permissions pages for further information about our service."
    )
    kept = _kept(text)
    for sentence in [*BODY, quote, "Drones hit apartment building in the capital, killing 11"]:
        assert sentence in kept, sentence
    for furniture in ("firefighters", "Pacific Navy", "114 Comments", "Visit our website"):
        assert furniture not in kept, furniture


def test_title_cased_tagline_and_headline_run_are_not_prose() -> None:
    tagline = "Global Business and Financial News, Stock Quotes, and Market Data and Analysis."
    run = "Rebels seize second town in the north Ministers meet in the capital over fuel prices for a third week"
    text = _page(*BODY, "Most read", run, tagline)
    kept = _kept(text)
    assert "Stock Quotes" not in kept and "Ministers meet" not in kept
    for sentence in BODY:
        assert sentence in kept


def test_degenerate_inputs() -> None:
    assert clean_text("") == []
    assert clean_text("\n\n\n") == []
    assert isinstance(clean_text("x" * 200_000), list)
    assert isinstance(clean_text("\x00\x01\x07 word\x1b[0m \ufeff" * 1000), list)
    long_line = ("Officials said the talks would resume. " * 30_000).strip()
    spans = clean_text(long_line)
    assert all(0 <= b.start < b.end <= len(long_line) for b in spans)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=80),
            st.sampled_from([*BODY, "By Jan Kowal", "Getty Images", "ADVERTISEMENT", "\n", "   ", "Share", "[MUSIC]"]),
        ),
        max_size=25,
    )
)
def test_spans_in_order_and_blank_keeps_offsets(pieces: list[str]) -> None:
    text = " ".join(pieces)
    spans = clean_text(text)
    last = 0
    for b in spans:
        assert last <= b.start < b.end <= len(text)
        assert text[b.start : b.end] == b.text
        last = b.end
    blanked = blank(text, spans)
    assert len(blanked) == len(text)
    assert [i for i, c in enumerate(blanked) if c == "\n"] == [i for i, c in enumerate(text) if c == "\n"]
