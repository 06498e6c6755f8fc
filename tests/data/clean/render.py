"""Render the story/furniture cleaning fixtures.

Reads every spec in tests/data/clean/specs/*.json and writes, in tests/data/clean/rendered/:

  <name>.txt        the page as copied with its line breaks
  <name>.flat.txt   the same text with its line breaks lost (runs of spaces, or nothing at all)
  <name>.html       a full HTML page with the story in <article> and the furniture where sites put it
  <name>.gold.json  metadata plus character spans of every segment in .txt and .flat.txt

Standard library only and deterministic: run it from the repository root with
    python tests/data/clean/render.py
Every span is checked (text[start:end] == segment text) before anything is written.
"""

from __future__ import annotations

import html
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPECS = HERE / "specs"
OUT = HERE / "rendered"

KINDS = ("wire", "broadcaster", "newspaper", "business", "aggregator", "transcript")
STORY_LABELS = {"headline", "dateline", "body", "quote", "subhead"}
FURNITURE_LABELS = {
    "byline",
    "bio",
    "caption",
    "credit",
    "nav",
    "section",
    "related",
    "readmore",
    "legal",
    "newsletter",
    "share",
    "market",
    "comments",
    "cookie",
    "ad",
    "transcript-meta",
    "other",
}
# Furniture that comes in runs of short items (menus, headline lists, tickers): one item per line when
# copied, glued together or barely separated when the line breaks are lost.
LIST_LABELS = {"nav", "section", "related", "readmore", "share", "market", "legal", "comments"}

# Per kind: probability that two paragraphs are separated by a blank line in the .txt rendering.
BLANK_LINE_P = {
    "wire": 0.95,
    "broadcaster": 0.55,
    "newspaper": 0.9,
    "business": 0.7,
    "aggregator": 0.35,
    "transcript": 0.4,
}


def load_specs() -> list[tuple[str, dict]]:
    specs = []
    for path in sorted(SPECS.glob("*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        check_spec(path.stem, spec)
        specs.append((path.stem, spec))
    return specs


def check_spec(name: str, spec: dict) -> None:
    assert spec["kind"] in KINDS, (name, spec["kind"])
    assert name.startswith(spec["kind"] + "-"), name
    segs = spec["segments"]
    assert segs, name
    for seg in segs:
        text, story, label = seg["text"], seg["story"], seg["label"]
        assert isinstance(story, bool), (name, seg)
        assert text and text == text.strip(), (name, text)
        assert "\n" not in text and "\t" not in text, (name, text)
        if story:
            assert label in STORY_LABELS, (name, label, text)
        else:
            assert label in FURNITURE_LABELS, (name, label, text)
    heads = [s["text"] for s in segs if s["label"] == "headline"]
    assert heads and heads[0] == spec["title"], (name, "title must equal the first headline segment")


# ---------------------------------------------------------------------------------------------- text


def txt_separator(rng: random.Random, kind: str, prev: dict, cur: dict) -> str:
    pl, cl = prev["label"], cur["label"]
    if pl == cl and pl in LIST_LABELS:
        return "\n"
    if pl == "caption" and cl == "credit":
        return rng.choice(["\n", " "]) if kind != "aggregator" else "\n"
    if pl == "transcript-meta" and prev["text"].endswith(":") and cur["story"]:
        return "\n"  # speaker tag alone on its line, the words on the next
    if kind == "transcript" and prev["story"] and cur["story"]:
        return "\n\n" if rng.random() < BLANK_LINE_P[kind] else "\n"
    return "\n\n" if rng.random() < BLANK_LINE_P[kind] else "\n"


def flat_separator(rng: random.Random, glue_lists: bool, prev: dict, cur: dict) -> str:
    pl, cl = prev["label"], cur["label"]
    if prev["story"] and cur["story"]:
        if pl == "headline" or cl == "subhead" or pl == "subhead":
            return rng.choice(["", " ", "  ", "   "])
        return "" if rng.random() < 0.12 else " "
    if pl == cl and pl in LIST_LABELS:
        if glue_lists:
            return ""
        return " " * rng.choice([1, 1, 2, 3])
    if pl == "caption" and cl == "credit":
        return rng.choice(["", " "])
    r = rng.random()
    if r < 0.22:
        return ""
    if r < 0.45:
        return " "
    return " " * rng.randint(2, 12)


def join(parts: list[str], seps: list[str]) -> tuple[str, list[tuple[int, int]]]:
    out: list[str] = []
    spans = []
    pos = 0
    for i, part in enumerate(parts):
        if i:
            out.append(seps[i - 1])
            pos += len(seps[i - 1])
        spans.append((pos, pos + len(part)))
        out.append(part)
        pos += len(part)
    return "".join(out), spans


def render_texts(name: str, spec: dict) -> tuple[str, str, list, list]:
    segs = spec["segments"]
    kind = spec["kind"]
    rng = random.Random("txt:" + name)
    seps = [txt_separator(rng, kind, segs[i - 1], segs[i]) for i in range(1, len(segs))]
    txt, txt_spans = join([s["text"] for s in segs], seps)
    rng = random.Random("flat:" + name)
    glue_lists = rng.random() < (0.75 if kind == "aggregator" else 0.5)
    fseps = [flat_separator(rng, glue_lists, segs[i - 1], segs[i]) for i in range(1, len(segs))]
    flat, flat_spans = join([s["text"] for s in segs], fseps)
    assert "\n" not in flat
    for seg, (a, b), (fa, fb) in zip(segs, txt_spans, flat_spans, strict=True):
        assert txt[a:b] == seg["text"], (name, seg["text"])
        assert flat[fa:fb] == seg["text"], (name, seg["text"])
    return txt, flat, txt_spans, flat_spans


# ---------------------------------------------------------------------------------------------- html

SITE_CSS = "body{font-family:Georgia,serif;max-width:760px;margin:auto}"

# Where each kind of furniture goes on the page: before the article, inside it, after it.
PRE_BLOCK = {
    "cookie": ("div", 'id="cookie-banner" class="cookie-consent" role="dialog"'),
    "nav": ("nav", 'class="site-nav" aria-label="Main"'),
    "section": ("div", 'class="section-header"'),
    "market": ("div", 'class="ticker-bar" data-vendor="quotes"'),
    "ad": ("div", 'class="ad-slot ad-leaderboard"'),
    "newsletter": ("div", 'class="promo-bar"'),
    "related": ("div", 'class="trending-bar"'),
    "readmore": ("div", 'class="trending-bar"'),
    "transcript-meta": ("div", 'class="show-header"'),
    "share": ("div", 'class="share-tools"'),
    "legal": ("div", 'class="notice"'),
    "other": ("div", 'class="masthead-extra"'),
}
IN_BLOCK = {
    "byline": ("div", 'class="byline"'),
    "bio": ("div", 'class="author-bio"'),
    "nav": ("nav", 'class="breadcrumbs" aria-label="Breadcrumb"'),
    "section": ("div", 'class="kicker"'),
    "related": ("aside", 'class="related-inline"'),
    "readmore": ("div", 'class="read-more"'),
    "newsletter": ("div", 'class="newsletter-inline"'),
    "share": ("div", 'class="share-tools"'),
    "market": ("aside", 'class="quote-module"'),
    "ad": ("div", 'class="ad-slot ad-inarticle"'),
    "legal": ("div", 'class="article-notice"'),
    "transcript-meta": ("div", 'class="transcript-meta"'),
    "other": ("div", 'class="article-meta"'),
    "comments": ("div", 'class="comment-count"'),
    "cookie": ("div", 'id="cookie-banner" class="cookie-consent" role="dialog"'),
}
POST_BLOCK = {
    "related": ("div", 'class="related"'),
    "readmore": ("div", 'class="more-stories"'),
    "comments": ("section", 'id="comments" class="comments"'),
    "nav": ("footer", 'class="site-footer"'),
    "section": ("footer", 'class="site-footer"'),
    "legal": ("footer", 'class="legal"'),
    "cookie": ("div", 'id="cookie-banner" class="cookie-consent" role="dialog"'),
    "newsletter": ("div", 'class="newsletter-signup"'),
    "ad": ("div", 'class="ad-slot ad-footer"'),
    "market": ("aside", 'class="market-data"'),
    "share": ("div", 'class="share-tools"'),
    "other": ("div", 'class="page-extra"'),
    "transcript-meta": ("div", 'class="show-footer"'),
}
# Furniture right after the last story paragraph that sites keep inside <article>.
TAIL_IN_ARTICLE = {"byline", "bio", "share", "credit", "caption", "readmore", "legal", "transcript-meta", "other"}


def e(text: str) -> str:
    return html.escape(text, quote=False)


def item_html(seg: dict, block_tag: str) -> str:
    t = e(seg["text"])
    label = seg["label"]
    if block_tag == "nav" or label in {"nav", "section"}:
        return f'<li><a href="#">{t}</a></li>' if block_tag == "nav" else f'<a href="#">{t}</a>'
    if label in {"related", "readmore"}:
        return f'<li><a href="#">{t}</a></li>'
    if label == "share":
        return f'<a class="share-button" href="#">{t}</a>'
    if label == "comments":
        return f'<div class="comment"><p>{t}</p></div>'
    if label == "market":
        return f'<div class="quote-row">{t}</div>'
    if label == "byline":
        return f'<p class="byline-text">{t}</p>'
    return f"<p>{t}</p>"


def block_html(tag: str, attrs: str, segs: list[dict]) -> str:
    items = [item_html(s, tag) for s in segs]
    lst = any(i.startswith("<li>") for i in items)
    if lst:
        items_s = "\n".join("    " + i for i in items)
        return f"<{tag} {attrs}>\n  <ul>\n{items_s}\n  </ul>\n</{tag}>"
    items_s = "\n".join("  " + i for i in items)
    return f"<{tag} {attrs}>\n{items_s}\n</{tag}>"


def figure_html(segs: list[dict], n: int) -> str:
    caps = [e(s["text"]) for s in segs if s["label"] == "caption"]
    creds = [e(s["text"]) for s in segs if s["label"] == "credit"]
    alt = caps[0][:60] if caps else "photo"
    inner = " ".join(caps)
    if creds:
        inner += (" " if inner else "") + " ".join(f'<span class="credit">{c}</span>' for c in creds)
    return (
        f'<figure class="article-image">\n  <img src="/media/img-{n}.jpg" alt="{html.escape(alt)}" '
        f'width="1200" height="675">\n  <figcaption>{inner}</figcaption>\n</figure>'
    )


def story_html(seg: dict) -> str:
    t = e(seg["text"])
    label = seg["label"]
    if label == "headline":
        return f"<h1>{t}</h1>"
    if label == "subhead":
        return f"<h2>{t}</h2>"
    if label == "dateline":
        return f'<p class="dateline"><time>{t}</time></p>'
    if label == "quote":
        return f"<blockquote><p>{t}</p></blockquote>"
    return f"<p>{t}</p>"


def groups(segs: list[dict]) -> list[list[dict]]:
    """Consecutive runs that go in one HTML element (same label; caption+credit together)."""
    out: list[list[dict]] = []
    for s in segs:
        if out:
            last = out[-1][-1]
            fig = {"caption", "credit"}
            if s["story"] and last["story"]:
                out[-1].append(s)
                continue
            same = s["label"] == last["label"] or (s["label"] in fig and last["label"] in fig)
            if not s["story"] and not last["story"] and same:
                out[-1].append(s)
                continue
        out.append([s])
    return out


def render_html(name: str, spec: dict, url: str) -> str:
    segs = spec["segments"]
    story_idx = [i for i, s in enumerate(segs) if s["story"]]
    first, last = story_idx[0], story_idx[-1]
    pre, mid, post = segs[:first], segs[first : last + 1], segs[last + 1 :]
    # furniture right after the story that stays inside <article>
    k = 0
    while k < len(post) and post[k]["label"] in TAIL_IN_ARTICLE:
        k += 1
    tail, post = post[:k], post[k:]

    site = spec["site"]
    author = spec.get("author")
    date = spec["date"]
    rng = random.Random("html:" + name)
    hh, mm = rng.randint(5, 22), rng.choice([0, 7, 12, 18, 24, 31, 42, 48, 53])
    published = f"{date}T{hh:02d}:{mm:02d}:00Z"
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(spec['title'])} | {e(site)}</title>",
    ]
    if author:
        head.append(f'<meta name="author" content="{html.escape(author)}">')
    head += [
        f'<meta property="article:published_time" content="{published}">',
        f'<meta property="og:site_name" content="{html.escape(site)}">',
        f'<meta property="og:title" content="{html.escape(spec["title"])}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:url" content="{html.escape(url)}">',
        f'<link rel="canonical" href="{html.escape(url)}">',
        f"<style>{SITE_CSS}</style>",
        "</head>",
        f'<body class="{spec["kind"]}-site">',
        '<header class="site-header">',
        f'  <a class="logo" href="/">{e(site)}</a>',
        "</header>",
    ]
    body: list[str] = []
    nfig = 0
    for g in groups(pre):
        tag, attrs = PRE_BLOCK.get(g[0]["label"], ("div", f'class="{g[0]["label"]}"'))
        if g[0]["label"] in {"caption", "credit"}:
            nfig += 1
            body.append(figure_html(g, nfig))
        else:
            body.append(block_html(tag, attrs, g))
    body.append("<main>")
    body.append(f'<article class="story" data-kind="{spec["kind"]}">')
    for g in groups(mid) + groups(tail):
        lab = g[0]["label"]
        if g[0]["story"]:
            body.extend(story_html(s) for s in g)
        elif lab in {"caption", "credit"}:
            nfig += 1
            body.append(figure_html(g, nfig))
        else:
            tag, attrs = IN_BLOCK.get(lab, ("div", f'class="{lab}"'))
            if lab == "other" and g[0]["text"][:1] in "\"“‘'":
                tag, attrs = "aside", 'class="pull-quote"'
            body.append(block_html(tag, attrs, g))
    body.append("</article>")
    body.append("</main>")
    for g in groups(post):
        lab = g[0]["label"]
        if lab in {"caption", "credit"}:
            nfig += 1
            body.append(figure_html(g, nfig))
            continue
        tag, attrs = POST_BLOCK.get(lab, ("div", f'class="{lab}"'))
        body.append(block_html(tag, attrs, g))
    return "\n".join(head + body + ["</body>", "</html>", ""])


# ---------------------------------------------------------------------------------------------- main


def main() -> int:
    specs = load_specs()
    OUT.mkdir(exist_ok=True)
    for old in OUT.iterdir():
        if old.is_file():
            old.unlink()
    totals = {"story": 0, "furniture": 0}
    per_kind: dict[str, int] = {}
    for name, spec in specs:
        txt, flat, tspans, fspans = render_texts(name, spec)
        url = spec["url"]
        page = render_html(name, spec, url)
        for s in spec["segments"]:
            assert e(s["text"]) in page, (name, s["text"])
        segs = spec["segments"]
        gold = {
            "kind": spec["kind"],
            "title": spec["title"],
            "date": spec["date"],
            "author": spec.get("author"),
            "site": spec["site"],
            "url": url,
            "txt": [[a, b, s["story"], s["label"]] for (a, b), s in zip(tspans, segs, strict=True)],
            "flat": [[a, b, s["story"], s["label"]] for (a, b), s in zip(fspans, segs, strict=True)],
            "segments": [{"text": s["text"], "story": s["story"], "label": s["label"]} for s in segs],
        }
        for key, text in (("txt", txt), ("flat", flat)):
            for (a, b, _story, _label), s in zip(gold[key], segs, strict=True):
                assert text[a:b] == s["text"], (name, key, s["text"])
        (OUT / f"{name}.txt").write_text(txt + "\n", encoding="utf-8")
        (OUT / f"{name}.flat.txt").write_text(flat, encoding="utf-8")
        (OUT / f"{name}.html").write_text(page, encoding="utf-8")
        (OUT / f"{name}.gold.json").write_text(json.dumps(gold, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        for s in segs:
            totals["story" if s["story"] else "furniture"] += len(s["text"])
        per_kind[spec["kind"]] = per_kind.get(spec["kind"], 0) + 1
    print(f"rendered {len(specs)} documents to {OUT}")
    print("per kind:", ", ".join(f"{k}={per_kind.get(k, 0)}" for k in KINDS))
    print(f"story chars={totals['story']} furniture chars={totals['furniture']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
