#!/usr/bin/env python3
"""Render the held-out page-furniture fixtures.

Reads every spec in tests/data/clean-heldout/specs/*.json and writes, for each,
into tests/data/clean-heldout/rendered/:

  <name>.txt        segments joined by "\\n" or "\\n\\n" (text copied from a page)
  <name>.flat.txt   the same with line breaks lost (runs of 1-12 spaces, nothing
                    at all inside glued lists, one space between story paragraphs)
  <name>.html       a plausible full page
  <name>.gold.json  metadata plus character offsets of every segment

Standard library only and deterministic: every choice comes from an MD5 of the
document name and segment index.  Run from the repository root:

    python tests/data/clean-heldout/render.py
"""
import hashlib
import html
import json
import os
import sys
from urllib.parse import urlparse

HERE = os.path.dirname(os.path.abspath(__file__))
SPECS = os.path.join(HERE, "specs")
OUT = os.path.join(HERE, "rendered")

STORY_LABELS = {"headline", "subhead", "dateline", "body", "quote"}
LABELS = STORY_LABELS | {
    "byline", "bio", "caption", "credit", "nav", "section", "related", "readmore",
    "legal", "newsletter", "share", "market", "comments", "cookie", "ad",
    "transcript-meta", "other",
}
# Furniture whose consecutive items are lists (menus, tickers, link lists):
# in the flat text a run of them may be glued together with no separator.
LIST_LABELS = {"nav", "share", "market", "related", "section", "legal", "comments", "cookie"}

SITES = {
    "northbridgenews.com": "Northbridge",
    "atlaspress.org": "Atlas Press",
    "nbs.co.uk": "NBS News",
    "pbcnews.com": "PBC",
    "thesentinel.co.uk": "The Sentinel",
    "harbortimes.com": "The Harbor Times",
    "haldenmarkets.com": "Halden",
    "wbn.com": "WBN",
    "nexusportal.com": "Nexus News",
    "worldbriefing.net": "World Briefing",
    "cpr.org": "CPR",
}


def h(name, *parts):
    """Deterministic integer from the document name and some parts."""
    key = ":".join([name] + [str(p) for p in parts]).encode("utf-8")
    return int(hashlib.md5(key).hexdigest()[:8], 16)


def site_name(url):
    host = urlparse(url).hostname or ""
    for dom, nm in SITES.items():
        if host == dom or host.endswith("." + dom):
            return nm
    return host


def check_spec(name, spec):
    for k in ("kind", "title", "date", "author", "url", "segments"):
        assert k in spec, (name, k)
    assert name.startswith(spec["kind"] + "-"), name
    for i, s in enumerate(spec["segments"]):
        assert s["label"] in LABELS, (name, i, s["label"])
        assert s["story"] == (s["label"] in STORY_LABELS), (name, i)
        assert s["text"] and s["text"] == s["text"].strip(), (name, i)
        assert "\n" not in s["text"], (name, i)


# ---------------------------------------------------------------- text forms

def join(segs, seps):
    """Join segment texts with the given separators; return text and spans."""
    parts, spans, pos = [], [], 0
    for i, s in enumerate(segs):
        if i:
            parts.append(seps[i - 1])
            pos += len(seps[i - 1])
        start = pos
        parts.append(s["text"])
        pos += len(s["text"])
        spans.append([start, pos, s["story"], s["label"]])
    text = "".join(parts)
    for (a, b, _, _), s in zip(spans, segs):
        assert text[a:b] == s["text"]
    return text, spans


def txt_seps(name, segs):
    seps = []
    for i in range(1, len(segs)):
        a, b = segs[i - 1], segs[i]
        r = h(name, "txt", i) % 8
        if a["story"] and b["story"]:
            seps.append("\n" if r == 0 else "\n\n")
        elif a["label"] == b["label"] and a["label"] in LIST_LABELS:
            seps.append("\n\n" if r == 0 else "\n")
        else:
            seps.append("\n\n" if r < 4 else "\n")
    return seps


def flat_seps(name, segs):
    seps = []
    run_start = 0
    for i in range(1, len(segs)):
        a, b = segs[i - 1], segs[i]
        if not (a["label"] == b["label"]):
            run_start = i
        if a["story"] and b["story"]:
            seps.append(" ")
        elif a["label"] == b["label"] and a["label"] in LIST_LABELS and h(name, "glue", run_start) % 3:
            seps.append("")
        else:
            seps.append(" " * (1 + h(name, "flat", i) % 12))
    return seps


# ---------------------------------------------------------------- html form

E = html.escape

# (label -> (wrapper open, item format, wrapper close)); items grouped by label.
GROUPS = {
    "nav": ('<nav class="{k}-nav" aria-label="Main"><ul>', '<li><a href="#">{t}</a></li>', "</ul></nav>"),
    "share": ('<div class="share-tools" role="toolbar">', '<button type="button">{t}</button>', "</div>"),
    "market": ('<div class="ticker" data-delayed="15">', '<span class="quote">{t}</span>', "</div>"),
    "related": ('<aside class="related-links"><ul>', '<li><a href="#">{t}</a></li>', "</ul></aside>"),
    "section": ('<div class="topics">', '<a class="topic-tag" href="#">{t}</a>', "</div>"),
    "comments": ('<section id="comments" class="comment-thread">', '<div class="comment-item"><span>{t}</span></div>', "</section>"),
    "cookie": ('<div id="consent-banner" role="dialog" aria-modal="true">', '<p>{t}</p>', "</div>"),
    "legal": ('<div class="legal">', '<p><small>{t}</small></p>', "</div>"),
    "newsletter": ('<aside class="newsletter-signup">', '<p>{t}</p>', '<form><input type="email" placeholder="Enter your email"><button>Sign up</button></form></aside>'),
    "ad": ('<div class="ad-slot" data-ad-unit="mid">', '<span class="ad-label">{t}</span>', "</div>"),
    "bio": ('<div class="author-bio">', '<p>{t}</p>', "</div>"),
    "byline": ('<div class="byline">', '<span class="byline-item">{t}</span>', "</div>"),
    "other": ('<div class="meta">', '<span>{t}</span>', "</div>"),
    "transcript-meta": ('<div class="transcript-meta">', '<p><em>{t}</em></p>', "</div>"),
    "readmore": ('<p class="read-more">', '<a href="#"><strong>{t}</strong></a>', "</p>"),
}


def render_run(name, kind, segs, idx0, state):
    """Render consecutive segments; returns a list of HTML lines."""
    out = []
    i = 0
    while i < len(segs):
        s = segs[i]
        lab = s["label"]
        t = E(s["text"], quote=False)
        if lab == "headline":
            out.append("<h1>%s</h1>" % t)
            i += 1
        elif lab == "subhead":
            if state["body_seen"]:
                out.append("<h2>%s</h2>" % t)
            else:
                out.append('<p class="standfirst">%s</p>' % t)
            i += 1
        elif lab == "dateline":
            out.append('<p class="dateline"><time datetime="%s">%s</time></p>' % (E(state["date"]), t))
            i += 1
        elif lab in ("body", "quote"):
            state["body_seen"] = True
            out.append("<p>%s</p>" % t)
            i += 1
        elif lab in ("caption", "credit"):
            j = i
            while j < len(segs) and segs[j]["label"] in ("caption", "credit"):
                j += 1
            n = h(name, "img", idx0 + i) % 90000 + 10000
            out.append("<figure>")
            out.append('<img src="https://static.example-cdn.net/img/%d.jpg" alt="" width="1200" height="675">' % n)
            out.append("<figcaption>")
            for s2 in segs[i:j]:
                cls = "caption-text" if s2["label"] == "caption" else "credit"
                out.append('<span class="%s">%s</span>' % (cls, E(s2["text"], quote=False)))
            out.append("</figcaption>")
            out.append("</figure>")
            i = j
        else:
            j = i
            while j < len(segs) and segs[j]["label"] == lab:
                j += 1
            op, item, cl = GROUPS[lab]
            out.append(op.format(k=kind))
            for s2 in segs[i:j]:
                out.append(item.format(t=E(s2["text"], quote=False)))
            out.append(cl)
            i = j
    return out


def render_html(name, spec):
    segs = spec["segments"]
    kind = spec["kind"]
    site = site_name(spec["url"])
    story_idx = [i for i, s in enumerate(segs) if s["story"]]
    first, last = story_idx[0], story_idx[-1]
    # trailing footer: maximal suffix of nav/legal segments
    foot = len(segs)
    while foot > last + 1 and segs[foot - 1]["label"] in ("nav", "legal"):
        foot -= 1
    state = {"body_seen": False, "date": spec["date"]}
    sep = " | " if h(name, "title") % 2 else " - "
    L = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
         '<meta name="viewport" content="width=device-width, initial-scale=1">',
         "<title>%s%s%s</title>" % (E(spec["title"], quote=False), sep, E(site, quote=False))]
    if spec["author"]:
        L.append('<meta name="author" content="%s">' % E(spec["author"]))
    L += ['<meta name="description" content="%s">' % E(next((s["text"] for s in segs if s["label"] in ("subhead", "body")), "")),
          '<meta property="og:type" content="article">',
          '<meta property="og:title" content="%s">' % E(spec["title"]),
          '<meta property="og:site_name" content="%s">' % E(site),
          '<meta property="article:published_time" content="%s">' % E(spec["date"]),
          '<link rel="canonical" href="%s">' % E(spec["url"]),
          '<link rel="stylesheet" href="/assets/%s.css">' % kind,
          '<script>window.dataLayer = window.dataLayer || [];</script>',
          "</head>", '<body class="page-%s">' % kind]
    L.append('<header class="site-header">')
    L.append('<a class="logo" href="/">%s</a>' % E(site, quote=False))
    L += render_run(name, kind, segs[:first], 0, state)
    L.append("</header>")
    L.append('<main id="main-content">')
    L.append('<article class="article" itemscope itemtype="https://schema.org/NewsArticle">')
    L += render_run(name, kind, segs[first:last + 1], first, state)
    L.append("</article>")
    L += render_run(name, kind, segs[last + 1:foot], last + 1, state)
    L.append("</main>")
    L.append('<footer class="site-footer">')
    L += render_run(name, kind, segs[foot:], foot, state)
    L.append("</footer>")
    L.append('<script src="/assets/app.js" defer></script>')
    L += ["</body>", "</html>", ""]
    return "\n".join(L)


# ---------------------------------------------------------------- main

def main():
    os.makedirs(OUT, exist_ok=True)
    names = sorted(f[:-5] for f in os.listdir(SPECS) if f.endswith(".json"))
    if not names:
        sys.exit("no specs in %s" % SPECS)
    for name in names:
        with open(os.path.join(SPECS, name + ".json"), encoding="utf-8") as fh:
            spec = json.load(fh)
        check_spec(name, spec)
        segs = spec["segments"]
        txt, txt_spans = join(segs, txt_seps(name, segs))
        flat, flat_spans = join(segs, flat_seps(name, segs))
        assert "\n" not in flat
        gold = {k: spec[k] for k in ("kind", "title", "date", "author", "url")}
        gold["txt"] = txt_spans
        gold["flat"] = flat_spans
        gold["segments"] = segs
        files = {
            name + ".txt": txt + "\n",
            name + ".flat.txt": flat + "\n",
            name + ".html": render_html(name, spec),
            name + ".gold.json": json.dumps(gold, ensure_ascii=False, indent=1) + "\n",
        }
        for fn, data in files.items():
            with open(os.path.join(OUT, fn), "w", encoding="utf-8", newline="\n") as fh:
                fh.write(data)
        story = sum(len(s["text"]) for s in segs if s["story"])
        furn = sum(len(s["text"]) for s in segs if not s["story"])
        print("%-16s %3d segments  story %5d chars  furniture %5d chars" % (name, len(segs), story, furn))


if __name__ == "__main__":
    main()
