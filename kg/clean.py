"""The cleaning stage: tell a page's story from its furniture, without moving a character.

Text copied from news sites arrives with bylines, captions, menus, related headlines, market tickers, legal
lines and prompts inside it. This stage cuts a document into segments (lines where the text has line breaks;
runs between wide gaps and then sentences where it lost them), labels each segment story or furniture, and
returns the furniture as spans that :mod:`kg.nlp` blanks with spaces, so every offset kg reports still points
into the original text.

The signals, each with a reason a user can read (``kg build --explain-clean``):

- a known furniture pattern at the start of a short segment (``ontologies/furniture.tsv``: bylines, bios,
  legal lines, prompts, "read more", share widgets, tickers, comment widgets, navigation);
- a credit, which also makes the segment next to it a caption (after it when that line reads as a caption and
  the line before as a sentence, before it otherwise);
- in text that lost its line breaks, furniture glued between sentences ("[MUSIC]", a speaker's time code,
  "ADVERTISEMENT", "20 min ago"; ``inline`` rows of the vocabulary) is cut out as a segment of its own, and a
  headline glued to the menu before it is cut from it;
- the share of function words: prose has many ("the", "of", "said"), lists of names and headlines few;
- runs of short segments with no sentence end (menus, headline lists), worst at the head and tail;
- a segment that repeats verbatim in several documents of one build (the classic boilerplate signal).

Losing a story sentence is worse than keeping a caption, so a segment is furniture only on a clear signal:
a short fragment between two story segments is kept, and the headline and dateline are kept.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kg.errors import OntologyError
from kg.records import Article, Blank

# Scraped text whose line breaks were lost: a run of two or more spaces (or a tab) is a boundary.
_COPYRIGHT = re.compile(r"(?:©|\(c\)|\bcopyright\b)\s*(?:\d{4}|[A-Z])", re.IGNORECASE)
# The page's own copyright notice (a year, or "all rights reserved"), not a photo credit ("© Reuters").
_NOTICE = re.compile(r"(?:©|\(c\)|\bcopyright\b)\s*(?:©\s*)?\d{4}|\ball rights reserved\b", re.IGNORECASE)
_GAP = re.compile(r"[ \t\u00a0]{2,}|\t")
# A sentence end, also where the space after it was lost ("said.The army").
_SENT_END = re.compile(r"(?:(?<=[a-z0-9)][.!?])|(?<=[A-Z]{3}[.!?]))[\"')\]]?(?:\s+|(?=[A-Z\"'(\u2014\u2013]))")
# Words glued where a line break was lost: "Tariffs RiseMarkets Fall" (a capital right after a lower-case
# letter that ends a word of three or more letters).
# A camel-cased brand in parentheses ("(MarketDesk)") is no such boundary; a word glued to an opening quote
# ('minutes"We will') is.
_GLUE = re.compile(
    r"(?:(?<=[a-z]{3})|(?<=\d))(?=[A-Z][a-z])(?![A-Z][a-z]*\))|(?<=[a-z]{3})(?=[\"\u201c][A-Z])"
    r"|(?<=[a-z]{4})(?=\d{2,} [A-Z])"  # a counter glued to a label: "Comments114 Comments"
)
# Abbreviations whose period ends no sentence ("Mr. Orban", "Taiwan Semiconductor Manufacturing Co. shares").
_ABBREV = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Gen|Col|Lt|Sgt|Capt|Adm|Gov|Sen|Rep|Rev|St|Jr|Sr|Co|Corp|Inc|Ltd|Bros|No|vs|"
    r"Jan|Feb|Mar|Apr|Aug|Sep|Sept|Oct|Nov|Dec)\.)$"
)
# A sentence's last characters: a stop, then perhaps a closing quote or bracket (straight or typographic).
_SENTENCE_CLOSE = re.compile(r"[.!?:][\"')\]\u2019\u201d\u00bb]{0,2}$")
_CLOSERS = " \"')]\u2019\u201d\u00bb"
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_DATELINE = re.compile(
    r"^\s*(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\.?,?\s+)?(?:\d{1,2}\s+)?"
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}\s*$"
    r"|^\s*\d{4}-\d{2}-\d{2}\s*$"
)
_FURNITURE_FILE = "furniture.tsv"
#: Below this share of function words a long segment is a list of names, not prose.
PROSE_SHARE = 0.22
#: Segments shorter than this are judged by their neighbours.
SHORT = 60
#: A line pattern only applies to segments shorter than this (a long paragraph that starts "By ..." is story).
LINE_PATTERN_MAX = 300
#: Labels of line patterns that also judge long segments.
LONG_PATTERN_LABELS = frozenset({"cookie"})


@dataclass(frozen=True, slots=True)
class Furniture:
    """The furniture vocabulary of ``ontologies/furniture.tsv``."""

    lines: tuple[tuple[str, re.Pattern[str]], ...]
    ends: tuple[tuple[str, re.Pattern[str]], ...]
    credits: tuple[re.Pattern[str], ...]
    function_words: frozenset[str]
    #: Furniture that text which lost its line breaks glues between story sentences ("[MUSIC]", a speaker's
    #: time code, "ADVERTISEMENT"): cut out as a segment of its own so that neither neighbour is lost with it,
    #: and a segment that is nothing else is furniture. (label, pattern) pairs.
    inline: tuple[tuple[str, re.Pattern[str]], ...] = ()


@lru_cache(maxsize=4)
def load_furniture(ontology_dir: Path | None = None) -> Furniture:
    """Read the furniture patterns (default: the bundled ``ontologies/furniture.tsv``).

    Raises:
        OntologyError: The file is missing or a pattern does not compile (named by line).
    """
    from kg.ontology import default_directory

    path = (ontology_dir or default_directory()) / _FURNITURE_FILE
    try:
        rows = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise OntologyError(f"cannot read furniture patterns '{path}': {exc.strerror or exc}") from None
    lines: list[tuple[str, re.Pattern[str]]] = []
    ends: list[tuple[str, re.Pattern[str]]] = []
    credits: list[re.Pattern[str]] = []
    inline: list[tuple[str, re.Pattern[str]]] = []
    words: set[str] = set()
    for n, row in enumerate(rows, 1):
        if not row.strip() or row.startswith("#"):
            continue
        parts = row.split("\t")
        if len(parts) != 3:
            raise OntologyError(f"{path}, line {n}: expected 3 tab-separated fields (kind, label, value)")
        kind, label, value = parts
        try:
            if kind in ("line", "end"):
                pattern = re.compile(r"\s*(?:" + value + ")", re.IGNORECASE)
                (lines if kind == "line" else ends).append((label, pattern))
            elif kind == "credit":
                credits.append(re.compile(value))
            elif kind == "inline":
                inline.append((label, re.compile(value)))
            elif kind == "function":
                words.update(value.split())
            else:
                raise OntologyError(
                    f"{path}, line {n}: unknown kind {kind!r}; valid: line, end, credit, inline, function"
                )
        except re.error as exc:
            raise OntologyError(f"{path}, line {n}: bad regular expression ({exc})") from None
    return Furniture(tuple(lines), tuple(ends), tuple(credits), frozenset(words), tuple(inline))


@dataclass
class _Segment:
    start: int
    end: int
    text: str
    label: str = ""  # "story" or "furniture"
    reason: str = ""


def _line_spans(text: str) -> list[tuple[int, int]]:
    """Non-blank line spans, each trimmed of surrounding white space."""
    out = []
    for m in re.finditer(r"[^\n]+", text):
        s, e = m.start(), m.end()
        body = m.group()
        lead = len(body) - len(body.lstrip())
        trail = len(body) - len(body.rstrip())
        if e - trail > s + lead:
            out.append((s + lead, e - trail))
    return out


def segments(
    text: str,
    credits: Sequence[re.Pattern[str]] = (),
    inline: Sequence[re.Pattern[str]] = (),
    lines: Sequence[re.Pattern[str]] = (),
) -> list[tuple[int, int]]:
    """Cut a document into segments: lines, then runs between wide gaps, then sentences of long runs.

    A line of prose keeps its sentences together (judged as one paragraph); a run that lost its line
    breaks is cut further, so furniture glued inline to the story is judged on its own.
    """
    out: list[tuple[int, int]] = []
    for ls, le in _line_spans(text):
        pieces = []
        pos = ls
        for gap in _GAP.finditer(text, ls, le):
            before, after = text[gap.start() - 1 : gap.start()], text[gap.end() : gap.end() + 1]
            if before in ",;:(\u2014\u2013-" or (before.isalnum() and after.islower()):
                continue  # a wide space inside a sentence ("Demings,  New Mexico"), not a boundary
            if gap.start() > pos:
                pieces.append((pos, gap.start()))
            pos = gap.end()
        if pos < le:
            pieces.append((pos, le))
        many = len(pieces) > 1 or (le - ls) > 1500
        for ps, pe in pieces:
            # A short run between wide gaps that opens like furniture (a donation appeal, a transcript
            # notice) is judged whole, as the line it was, unless lines were glued inside it (words run
            # together, a credit, other furniture).
            if not many or (
                pe - ps < LINE_PATTERN_MAX
                and any(p.match(text, ps, pe) for p in lines)
                and not any(True for _ in _matches((_GLUE, *credits, *inline), text, ps, pe))
            ):
                out.append((ps, pe))
                continue
            # Lost line breaks: sentences, and glued words, become boundaries too.
            cuts = [ps]
            for m in _SENT_END.finditer(text, ps, pe):
                # (a closing quote left at the run's end stays with its sentence)
                if text[m.end() : pe].strip(_CLOSERS) and not _ABBREV.search(text, max(ps, m.start() - 6), m.start()):
                    cuts.append(m.end())
            for m in _GLUE.finditer(text, ps, pe):
                cuts.append(m.start())
            for m in _matches((*credits, *inline), text, ps, pe):  # a credit glued to the next sentence ...
                cuts += [m.start(), m.end()]
            out.extend(_trimmed(text, [*sorted(set(cuts)), pe]))
    return out


def _matches(patterns: Sequence[re.Pattern[str]], text: str, start: int, end: int) -> Iterator[re.Match[str]]:
    for pat in patterns:
        yield from pat.finditer(text, start, end)


def _trimmed(text: str, cuts: Sequence[int]) -> Iterator[tuple[int, int]]:
    """The pieces between consecutive cuts, trimmed of white space (empty ones left out)."""
    for a, b in itertools.pairwise(cuts):
        seg = text[a:b]
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg) - len(seg.rstrip())
        if b - trail > a + lead:
            yield a + lead, b - trail


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def segment_hash(text: str) -> str:
    """The corpus-repeat key of a segment (case and white space folded)."""
    return hashlib.blake2b(_norm(text).encode("utf-8"), digest_size=12).hexdigest()


#: A segment must be at least this long to count as a corpus-wide repeat (short ones repeat by chance).
REPEAT_MIN_CHARS = 25


def repeated_segments(articles: Iterable[Article], min_docs: int = 3) -> frozenset[str]:
    """Hashes of segments that occur verbatim in at least ``min_docs`` documents (one pass of hashing)."""
    counts: Counter[str] = Counter()
    for a in articles:
        seen = {segment_hash(a.text[s:e]) for s, e in segments(a.text) if e - s >= REPEAT_MIN_CHARS}
        counts.update(seen)
    return frozenset(h for h, c in counts.items() if c >= min_docs)


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _prose_share(words: Sequence[str], fn: frozenset[str]) -> float:
    return sum(1 for w in words if w.lower() in fn) / len(words) if words else 0.0


def _caps_share(words: Sequence[str]) -> float:
    return sum(1 for w in words if w[0].isupper()) / len(words) if words else 0.0


def _ends_sentence(text: str) -> bool:
    return bool(_SENTENCE_CLOSE.search(text.rstrip()))


def _judge(seg: _Segment, fur: Furniture, repeated: frozenset[str]) -> None:
    text = seg.text
    for credit in fur.credits:
        m = credit.search(text)
        if m is not None and (m.end() >= len(text.rstrip()) - 2 or len(text) < 200):
            # A line that ends in its credit is a whole caption; only a bare credit has its caption beside it.
            seg.label, seg.reason = "furniture", "caption" if len(text[: m.start()].strip()) >= 20 else "credit"
            return
    for label, pat in fur.lines:
        # A cookie notice runs to several sentences; every other pattern judges short segments only.
        if (len(text) < LINE_PATTERN_MAX or label in LONG_PATTERN_LABELS) and pat.match(text):
            seg.label, seg.reason = "furniture", f"pattern:{label}"
            return
    if _DATELINE.match(text):
        seg.label, seg.reason = "story", "dateline"
        return
    for label, pat in fur.inline:
        # Glued furniture that the cut left on its own ("Published March 19, 2024 at 6:04 a.m."), bar the
        # separators around it.
        if pat.fullmatch(text.strip(" |\u00b7,;")):
            # A credit cut out of a run still closes its caption (see _captions).
            seg.label, seg.reason = "furniture", "credit" if label == "credit" else f"pattern:{label}"
            return
    letters = [c for c in text if c.isalpha()]
    if letters and sum(1 for c in letters if c.isascii()) < len(letters) / 2:
        seg.label = "story"  # another script: the English signals below cannot judge it, so keep it
        return
    words = _words(text)
    share = _prose_share(words, fur.function_words)
    # Boilerplate repeats from page to page, but so does a syndicated wire story: a repeated sentence of
    # prose stays story, a repeated line that is not prose (a menu, a promo, a credit line) goes.
    if (
        repeated
        and len(text) >= REPEAT_MIN_CHARS
        and segment_hash(text) in repeated
        and not (share >= PROSE_SHARE and _sentence_like(text))
    ):
        seg.label, seg.reason = "furniture", "repeated"
        return
    # Prose has lower-case words that are not function words; a title-cased line has none ("Global Business
    # and Financial News, Stock Quotes, and Market Data and Analysis.": a tagline, a headline, a menu).
    # (A speaker's tag in capitals, "ADM. KAREN LINDQVIST, FORMER COMMANDER: Not on their own.", is no title.)
    titled = not any(w.islower() and w not in fur.function_words for w in words)
    title_case = sum(1 for w in words if w[0].isupper() and not w.isupper()) / len(words) if words else 0.0
    if len(text) >= SHORT:
        if titled and title_case > 0.6:
            seg.label, seg.reason = "furniture", "list"
        elif share >= PROSE_SHARE and _ends_sentence(text):
            seg.label = "story"
        elif share >= PROSE_SHARE:
            # Prose that stops without a full stop: a headline, or a run of related headlines glued
            # together where the line breaks were lost. The neighbours decide.
            seg.label = ""
        elif _sentence_like(text) and sum(1 for w in words if w.islower()) >= 3:
            seg.label = ""  # a sentence full of names: the neighbours decide
        elif _caps_share(words) > 0.6 or text.isupper():
            seg.label, seg.reason = "furniture", "list"
        elif share >= PROSE_SHARE / 2:
            seg.label = ""  # near: the neighbours decide
        else:
            seg.label, seg.reason = "furniture", "list"
    # short segments stay undecided


def _sentence_like(text: str) -> bool:
    """Ends like a sentence and has lower-case words: a short line of story ("Thank you.", "Belgrade
    rejected the claim.") rather than a menu item or a headline."""
    words = _words(text)
    if text.rstrip().endswith(":") and len(words) >= 5 and any(w.islower() for w in words):
        return True  # "At the meeting, the minister said:" introduces a quote
    if not _ends_sentence(text) or text.rstrip().endswith(("...", "\u2026", ":")):
        return False  # "Loading...", "Topics:" are widgets and labels
    # A one- or two-word answer ("Yes.", "Thanks!") is a sentence too; a longer line needs a lower-case word.
    return any(w.islower() for w in words) or (1 <= len(words) <= 2 and not text.isupper())


def _decide_short(segs: list[_Segment]) -> None:
    """Undecided segments take the class of their context; runs of them at the edges are menus."""
    n = len(segs)
    strong = [i for i, s in enumerate(segs) if s.label == "story" and len(s.text) >= SHORT]
    if not strong:
        for s in segs:
            if not s.label:
                s.label = "story"  # nothing to compare with: keep it all
        return
    # The story is where paragraphs follow each other (runs of them, at most 6 segments apart); a lone
    # paragraph of prose at the head or the tail (a cookie notice, a show's credits) keeps its own label but
    # does not stretch the story to it.
    runs: list[list[int]] = []
    for i in strong:
        if runs and i - runs[-1][-1] <= 6:
            runs[-1].append(i)
        else:
            runs.append([i])
    grouped = [i for run in runs if len(run) > 1 for i in run] or strong
    first, last = grouped[0], grouped[-1]
    # The body proper: the longest run (a publisher's disclaimer after the footer's copyright notice can be
    # a run of prose too).
    body_end = max(runs, key=lambda r: sum(len(segs[i].text) for i in r))[-1]
    # Undecided prose right next to the story (a dateline paragraph, a quote-heavy one) belongs to it.
    while first > 0 and not segs[first - 1].label and len(segs[first - 1].text) >= SHORT:
        first -= 1
        segs[first].label = "story"
    while last < n - 1 and not segs[last + 1].label and len(segs[last + 1].text) >= SHORT:
        last += 1
        segs[last].label = "story"
    decided = [s.label for s in segs]
    for i, s in enumerate(segs):
        if s.label:
            continue
        if first < i < last:
            prev = next((decided[j] for j in range(i - 1, -1, -1) if decided[j]), "story")
            nxt = next((decided[j] for j in range(i + 1, n) if decided[j]), "story")
            # Inside the story a fragment between two pieces of furniture is furniture too (a caption
            # block, a widget); a sentence is always kept.
            if prev == nxt == "furniture" and not _sentence_like(s.text):
                s.label, s.reason = "furniture", "menu"
            else:
                s.label = "story"
        else:
            s.label, s.reason = "furniture", "menu"
    for i, s in enumerate(segs):
        # Short story pieces outside the run of paragraphs are kept only when they read as sentences.
        if (i < first or i > last) and s.label == "story" and s.reason != "dateline" and not _sentence_like(s.text):
            s.label, s.reason = "furniture", "menu"
    _headline_runs(segs)
    _captions(segs)
    _teasers(segs, first)
    opening = next(
        (
            i
            for i in range(first, last + 1)
            if segs[i].label == "story" and len(segs[i].text) >= 100 and _sentence_like(segs[i].text)
        ),
        first,
    )
    added = _keep_headline(segs, opening)
    _keep_edge_sentences(segs, first + added, last + added)
    _footer(segs, last + added, body_end + added)


#: Furniture that interrupts a story (or a show) without ending it.
_MID_STORY = frozenset(
    {"menu", "pattern:ad", "pattern:transcript-meta", "pattern:share", "pattern:nav", "pattern:readmore"}
)


def _keep_edge_sentences(segs: list[_Segment], first: int, last: int) -> None:
    """Sentences right after the last paragraph (a closing quote, "Thank you.") or right before the first
    ("Good evening.") are story, up to the first piece of furniture a pattern recognised."""
    for side in (range(last + 1, len(segs)), range(first - 1, -1, -1)):
        between = 0
        for j in side:
            s = segs[j]
            # A speaker tag, "[MUSIC]" or an ad break may sit between; a legal line or a list ends the run,
            # and before the story so does any furniture a pattern recognised (the page's head is denser).
            # So does a fourth menu item in a row: past a menu, a sentence is a teaser in a list of links
            # ("Kosovo: What's behind the tensions in the north?"), not the story's last word.
            long_enough = len(s.text) >= 40 or (j < first and s.reason.startswith("pattern:"))
            if s.label == "furniture" and ((long_enough and s.reason not in _MID_STORY) or between >= 3):
                break
            if s.reason == "menu" and _sentence_like(s.text):
                s.label, s.reason = "story", ""
            between = between + 1 if s.reason in ("menu", "list") else 0


def _footer(segs: list[_Segment], last: int, body_end: int) -> None:
    """A copyright notice after the story starts the page's footer: what follows it is furniture too (the
    publisher's disclaimers and links), however much it reads like prose. Between the body proper and the
    last paragraph only the page's own notice counts ("Copyright 2023", not a photo's "(c) Reuters")."""
    for j in range(body_end + 1, len(segs)):
        if segs[j].reason == "pattern:legal" and (_COPYRIGHT if j > last else _NOTICE).search(segs[j].text):
            for s in segs[j + 1 :]:
                if s.label == "story":
                    s.label, s.reason = "furniture", "footer"
            return


def _headline_runs(segs: list[_Segment]) -> None:
    """Three or more short lines in a row with no sentence end are a list of links, not story subheads;
    so is a line of several words in capitals that is not the headline."""
    run: list[_Segment] = []
    for s in [*segs, None]:
        if s is not None and len(s.text) < 140 and not _ends_sentence(s.text) and s.reason != "dateline":
            run.append(s)
            continue
        if len(run) >= 3:
            for r in run:
                if r.label == "story":
                    r.label, r.reason = "furniture", "list"
        run = []
    for s in segs:
        if s.label == "story" and s.text.isupper() and len(_words(s.text)) >= 3 and not _ends_sentence(s.text):
            s.label, s.reason = "furniture", "list"


def _stem(word: str) -> str:
    """A word folded for overlap counting: "Freezes" and "freeze", "Serbia's" and "Serbia" match."""
    w = re.sub(r"['’]s?$", "", word.lower())
    return w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w


def _content_words(text: str, fn: frozenset[str]) -> list[str]:
    # Single letters ("E.U." reads as "E", "U") carry no meaning of their own.
    return [w for w in (_stem(w) for w in _words(text)) if len(w) > 1 and w not in fn]


def _overlap(words: Sequence[str], opening: set[str]) -> float:
    return sum(1 for w in words if w in opening) / len(words) if words else 0.0


#: How far before the story's opening the headline is looked for: close by (bylines and dates between), and
#: further up when nothing close matches (a ticker bar or a list of links between).
HEADLINE_NEAR = 12
HEADLINE_FAR = 30


def _keep_headline(segs: list[_Segment], first: int) -> int:
    """The headline (and a standfirst under it): the short lines just before the story whose words the
    story's opening repeats. Bylines and dates may sit between; related headlines and captions share fewer
    words with the opening. Returns how many segments it added (a headline cut from the menu it was glued to).
    """
    fn = load_furniture().function_words
    body = [s for s in segs[first:] if s.label == "story" and len(s.text) >= SHORT][:12]
    opening = {w for s in body for w in _content_words(s.text, fn)}
    found = False
    best: tuple[float, int] | None = None
    for j in range(first - 1, max(first - HEADLINE_FAR - 1, -1), -1):
        s = segs[j]
        if s.reason in ("pattern:readmore", "pattern:nav") and j >= first - HEADLINE_NEAR and not found:
            # A widget's label glued to the headline where the line breaks were lost ("Watch Live Solomon
            # Islands confirms ..."): the label matched a pattern, the rest is the headline.
            tail = None if _ends_sentence(s.text) else _headline_tail(s.text, opening, fn)
            if tail is not None:
                _split(segs, j, tail, "story", "headline")
                return 1
        if s.reason.startswith("pattern:") or s.reason in ("credit", "caption", "repeated"):
            continue
        words = _content_words(s.text, fn)
        if not 3 <= len(words) <= 40 or len(s.text) > 300:
            continue
        overlap = _overlap(words, opening)
        if s.text.rstrip().endswith("."):
            overlap -= 0.15  # a headline has no final period; a caption or a teaser has one
        if j >= first - HEADLINE_NEAR and overlap >= 0.2:
            s.label, s.reason = "story", "headline"
            found = True
        elif best is None or overlap > best[0]:
            best = (overlap, j)
    if found:
        return 0
    if best is not None and best[0] >= 0.4:
        segs[best[1]].label, segs[best[1]].reason = "story", "headline"
        return 0
    # Text that lost its line breaks glues the headline to the menu or the widget before it ("Sports
    # Conflicts Kosovo, Serbia trade blame as ..."): the headline is the tail whose words the opening repeats.
    glued = _glued_headline(segs, first, opening, fn)
    if glued is None:
        return 0
    _split(segs, *glued, "story", "headline")
    return 1


def _split(segs: list[_Segment], j: int, offset: int, label: str, reason: str) -> None:
    """Cut ``segs[j]`` at ``offset``; the tail becomes a segment of its own with ``label`` and ``reason``."""
    s = segs[j]
    head = _Segment(s.start + offset, s.end, s.text[offset:], label, reason)
    s.text = s.text[:offset].rstrip()
    s.end = s.start + len(s.text)
    segs.insert(j + 1, head)


def _headline_tail(text: str, opening: set[str], fn: frozenset[str]) -> int | None:
    """Where a headline glued behind other words starts: the first capitalised word (not the first word)
    that the opening repeats, when the words from there repeat the opening well."""
    for m in _WORD.finditer(text):
        if m.start() == 0 or not m.group()[0].isupper() or _stem(m.group()) not in opening:
            continue
        words = _content_words(text[m.start() :], fn)
        return m.start() if len(words) >= 4 and _overlap(words, opening) >= 0.5 else None
    return None


def _glued_headline(segs: list[_Segment], first: int, opening: set[str], fn: frozenset[str]) -> tuple[int, int] | None:
    """The nearest furniture segment before the story whose tail reads as the headline: (its index, the
    tail's offset in it)."""
    for j in range(first - 1, max(first - HEADLINE_NEAR - 1, -1), -1):
        s = segs[j]
        if s.label != "furniture" or s.reason in ("credit", "caption", "repeated") or _ends_sentence(s.text):
            continue
        tail = _headline_tail(s.text, opening, fn)
        if tail is not None:
            return j, tail
    return None


def _teasers(segs: list[_Segment], first: int) -> None:
    """The headlines a "Read more" / "Related" header introduces are teasers for other stories: the short
    lines with no final full stop right after such a header go with it (where the line breaks were lost, the
    header may carry the first teaser glued to it: "Read more Why the Pakistani Taliban are back")."""
    for i, s in enumerate(segs[:-1]):
        if s.reason != "pattern:readmore" or len(s.text) >= 100:
            continue
        for k in range(i + 1, min(i + 4, len(segs))):
            nxt = segs[k]
            # (a teaser after the story is still "menu" here, which the edge sentences could take back; one
            # before it may be the headline, which the headline finder takes back)
            if (nxt.label != "story" and (nxt.reason != "menu" or k < first)) or len(nxt.text) >= 150:
                break
            # An explainer's question ("Who are Hezbollah?") is a teaser too when more furniture follows
            # it; followed by story, it is the subhead of the next paragraphs.
            question = nxt.text.rstrip().endswith("?") and (k + 1 == len(segs) or segs[k + 1].label == "furniture")
            if _ends_sentence(nxt.text) and not question:
                break
            nxt.label, nxt.reason = "furniture", "pattern:readmore"


def _caption_like(seg: _Segment, weak: bool = False) -> bool:
    """Could be a picture's caption: one or two sentences, not the headline or a date, and (story paragraphs
    near a picture usually quote someone) no quotation or "said". ``weak``: also a line already furniture on
    a weak signal (a short line in a run of them)."""
    return (
        (seg.label == "story" or (weak and seg.reason in ("list", "menu")))
        and seg.reason not in ("headline", "dateline")
        and len(seg.text) < 400
        and not any(q in seg.text for q in ('"', "\u201c", "\u201d"))
        and "said" not in seg.text
    )


def _captions(segs: list[_Segment]) -> None:
    """A credit's caption is the segment next to it. Sites put the credit before or after the caption;
    a caption rarely ends with a full stop while the story sentence on the other side does, so a credit
    followed by such a line takes that line, and otherwise the line before it."""
    for i, s in enumerate(segs):
        if s.reason != "credit":
            continue
        nxt = segs[i + 1] if i + 1 < len(segs) else None
        prev = segs[i - 1] if i > 0 else None
        # The line after a credit may already be furniture on a weak signal (a short line in a run): it is
        # still the caption, and saying so keeps the headline finder from taking it back.
        next_is_caption = (
            nxt is not None
            and _caption_like(nxt, weak=True)
            and not _ends_sentence(nxt.text)
            and len(_words(nxt.text)) >= 4
        )
        if (
            nxt is not None
            and next_is_caption
            and (prev is None or _ends_sentence(prev.text) or prev.label == "furniture")
        ):
            nxt.label, nxt.reason = "furniture", "caption"
            continue
        # The line before may already be furniture on a weak signal too (a caption above the story's first
        # paragraph reads as a stray line of the page's head); saying it is the caption keeps the edge
        # sentences from taking it back as story. Such a line must end like a sentence: the headline,
        # which has no full stop, may stand right before a source credit ("The Korea Desk via NewsPulse").
        if prev is not None and (_caption_like(prev) or (_caption_like(prev, weak=True) and _ends_sentence(prev.text))):
            prev.label, prev.reason = "furniture", "caption"


def _comment_sections(segs: list[_Segment], fur: Furniture) -> None:
    """Everything after a comment section's header is readers' comments, prose or not (after the story's
    first paragraphs: a header at the very top is a menu item)."""
    seen_story = 0
    for i, s in enumerate(segs):
        if s.label == "story" and len(s.text) >= 100:
            seen_story += 1
        if seen_story < 2 or len(s.text) >= LINE_PATTERN_MAX:
            continue
        label = next((lab for lab, pat in fur.ends if pat.match(s.text)), None)
        if label is None:
            continue
        for rest in segs[i:]:
            rest.label, rest.reason = "furniture", f"pattern:{label}"
        return


def clean_text(
    text: str, doc_id: str = "", furniture: Furniture | None = None, repeated: frozenset[str] = frozenset()
) -> list[Blank]:
    """The furniture spans of one document, in order (nothing is changed)."""
    fur = furniture or load_furniture()
    segs = [
        _Segment(s, e, text[s:e])
        for s, e in segments(text, fur.credits, [p for _, p in fur.inline], [p for _, p in fur.lines])
    ]
    for seg in segs:
        _judge(seg, fur, repeated)
    _comment_sections(segs, fur)
    _decide_short(segs)
    return [Blank(doc_id, s.start, s.end, s.reason or "furniture", s.text) for s in segs if s.label == "furniture"]


def clean(article: Article, furniture: Furniture | None = None, repeated: frozenset[str] = frozenset()) -> list[Blank]:
    """The furniture spans of one article."""
    return clean_text(article.text, article.id, furniture, repeated)


def blank_chars(chars: list[str], start: int, end: int) -> None:
    """Replace ``chars[start:end]`` by spaces, keeping line breaks, so no offset moves."""
    for i in range(start, end):
        if chars[i] != "\n":
            chars[i] = " "


def blank(text: str, spans: Iterable[Blank]) -> str:
    """``text`` with every span replaced by spaces (line breaks kept), so no offset moves."""
    chars = list(text)
    for b in spans:
        blank_chars(chars, b.start, b.end)
    return "".join(chars)
