"""The interactive HTML explorer: one self-contained file, drawn with pyvis's vis-network.

pyvis turns the graph into vis-network node and edge options and supplies the vis-network library; the
page around it (search, time range, document filter, type and relation filters, neighbourhoods and paths,
communities, export, details with sources) is kg's own template. Positions are computed here
(:mod:`kg.layout`), not in the browser: a corpus page is readable and interactive within seconds.

Nothing on the page is fetched: the library and its styles are inlined, no ``http(s)://`` appears anywhere in
the file (URLs inside the library's strings and comments are written ``http:\\/\\/``, the same string to
JavaScript, and so are the sources' URLs in the data), and all text from the articles reaches the page as
JSON data that the script shows with ``textContent``, never as markup. A source's URL becomes a link only
when it is ``http`` or ``https``; following it is the reader's choice.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

import networkx as nx

from kg.records import Provenance

PALETTE = {
    "Person": ("#4e79a7", "dot"),
    "Country": ("#e15759", "diamond"),
    "Organization": ("#59a14f", "square"),
    "ArmedGroup": ("#b07aa1", "triangle"),
    "Group": ("#f28e2b", "star"),
    "City": ("#76b7b2", "triangleDown"),
    "Region": ("#9c755f", "hexagon"),
}
RELATION_COLOURS = {
    "killed": "#d62728",
    "attacked": "#ff7f0e",
    "opposes": "#8c564b",
    "alliedWith": "#2ca02c",
    "supports": "#17becf",
    "leaderOf": "#1f77b4",
    "memberOf": "#9467bd",
    "locatedIn": "#7f7f7f",
    "livesIn": "#bcbd22",
}
#: Colours of the largest communities when the page colours by community; the others are grey.
COMMUNITY_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#393b79",
    "#ad494a",
)
#: Default for ``--max-nodes``: see the page-readiness figures in bench/RESULTS.md.
DEFAULT_MAX_NODES = 5000
#: Sentences carried per relation (one per source first); every statement's date and source is carried.
MAX_EVIDENCE = 10
MAX_DROPPED_LISTED = 500
#: Members named per community in the page's community legend.
COMMUNITY_NAMES = 3

_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_WEB_URL = re.compile(r"^https?://", re.I)


def _vis_assets() -> tuple[str, str]:
    lib = resources.files("pyvis") / "templates" / "lib" / "vis-9.1.2"
    js = (lib / "vis-network.min.js").read_text(encoding="utf-8")
    css = (lib / "vis-network.css").read_text(encoding="utf-8")
    return _unlink(js), _unlink(css)


def _unlink(text: str) -> str:
    # Same string to JavaScript and CSS, but no literal scheme-and-slashes for a browser (or grep) to find.
    return text.replace("://", ":\\/\\/").replace("</script", "<\\/script")


def _json(data: Any) -> str:
    """JSON that is safe inside a <script> element and holds no literal URL."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("/", "\\/")


def month_period(date: str | None) -> tuple[int, int] | None:
    """The months a date covers, as ``year * 12 + month - 1``: one month for ``2019-05`` or ``2019-05-14``,
    twelve for ``2019``; None for no date or one kg cannot read."""
    m = _PERIOD.match(date or "")
    if not m:
        return None
    year = int(m.group(1))
    if m.group(2) is None:
        return year * 12, year * 12 + 11
    month = int(m.group(2))
    if not 1 <= month <= 12:
        return None
    return year * 12 + month - 1, year * 12 + month - 1


def month_name(month: int) -> str:
    """``YYYY-MM`` of a month index from :func:`month_period`."""
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def statement_period(pv: Provenance, documents: Mapping[str, Mapping[str, Any]]) -> tuple[int, int] | None:
    """When a statement says its relation held: the event date the sentence gives, else its document's date.

    Months as in :func:`month_period`; None when neither is known. The page's time range, its histogram and
    the notebook's per-month counts all use this.
    """
    return month_period(pv.date) or month_period((documents.get(pv.doc_id) or {}).get("date"))


def relation_count(g: nx.MultiDiGraph, key: str) -> int:
    """How many relations (edges, either way) an actor has: what "most connected" ranks by."""
    return int(g.degree(key))


def select_nodes(g: nx.MultiDiGraph, max_nodes: int | None) -> tuple[list[str], int]:
    """The nodes to carry (the most relations first, then the most documents) and how many were left out."""
    ranked = sorted(
        g.nodes, key=lambda k: (-relation_count(g, k), -len(g.nodes[k]["documents"]), g.nodes[k]["label"], k)
    )
    if max_nodes is None or len(ranked) <= max_nodes:
        return ranked, 0
    return ranked[:max_nodes], len(ranked) - max_nodes


def _evidence_order(evidence: list[Provenance]) -> list[int]:
    """Indexes of the statements whose sentences the page carries: the surest of each source first (so that
    every source up to :data:`MAX_EVIDENCE` has its sentence), then the surest of the rest."""
    order = sorted(range(len(evidence)), key=lambda i: (-evidence[i].confidence, i))
    seen: set[str] = set()
    first: list[int] = []
    rest: list[int] = []
    for i in order:
        (rest if evidence[i].doc_id in seen else first).append(i)
        seen.add(evidence[i].doc_id)
    return sorted((first + rest)[:MAX_EVIDENCE])


def page_data(g: nx.MultiDiGraph, max_nodes: int | None = DEFAULT_MAX_NODES) -> dict[str, Any]:
    """Nodes (with positions), edges (with every statement's date and source), sources and metadata."""
    from pyvis.edge import Edge
    from pyvis.network import Network

    from kg.layout import community_layout

    keep, dropped = select_nodes(g, max_nodes)
    kept = set(keep)
    meta_docs: Mapping[str, Mapping[str, Any]] = g.graph.get("documents", {})
    doc_index: dict[str, int] = {}
    doc_rows: list[dict[str, Any]] = []

    def doc(doc_id: str) -> int:
        if doc_id not in doc_index:
            d = meta_docs.get(doc_id) or {}
            url = d.get("url") or ""
            doc_index[doc_id] = len(doc_rows)
            doc_rows.append(
                {
                    "id": doc_id,
                    "title": d.get("title") or doc_id,
                    "date": d.get("date"),
                    # Only a web address becomes a link; any other scheme (javascript:, file:) is shown as text.
                    "url": url if _WEB_URL.match(url) else None,
                }
            )
        return doc_index[doc_id]

    drawn = [(s, o, k, d) for s, o, k, d in sorted(g.edges(keys=True, data=True), key=lambda e: e[:3])]
    drawn = [(s, o, k, d) for s, o, k, d in drawn if s in kept and o in kept]
    h = nx.Graph()
    relations = dict.fromkeys(keep, 0)
    for s, o, _k, d in drawn:
        relations[s] += 1
        if o != s:
            relations[o] += 1
            weight = len(d["documents"]) + (h[s][o]["weight"] if h.has_edge(s, o) else 0)
            h.add_edge(s, o, weight=weight)
    size = {key: round(8 + min(32.0, 4 * math.sqrt(relations[key])), 1) for key in keep}
    pos, community, groups = community_layout(h, size)

    net = Network(directed=True)
    for key in keep:
        d = g.nodes[key]
        colour, shape = PALETTE.get(d["type"], ("#bab0ac", "dot"))
        extra: dict[str, Any] = {}
        if key in pos:
            extra["x"], extra["y"] = pos[key]
        net.add_node(
            key,
            label=d["label"],
            color=colour,
            shape=shape,
            size=size[key],
            kgType=d["type"],
            aliases=d["aliases"],
            mentions=d["mentions"],
            relations=relations[key],
            community=community.get(key, -1),
            documents=[doc(x) for x in d["documents"]],
            **extra,
        )
    nodes, _edges, _heading, _height, _width, _options = net.get_network_data()

    # Relations between one pair of actors are drawn as curves that bow apart, so that each can be seen and
    # clicked; a lone relation is a straight line.
    pairs: dict[tuple[str, str], list[int]] = {}
    for i, (s, o, _k, _d) in enumerate(drawn):
        pairs.setdefault((min(s, o), max(s, o)), []).append(i)
    smooth: dict[int, dict[str, Any]] = {}
    for (a, _b), members in pairs.items():
        odd = len(members) % 2
        for j, i in enumerate(members[odd:]):
            side = 1 if j % 2 == 0 else -1
            if drawn[i][0] != a:  # drawn the other way round: clockwise is the other side
                side = -side
            smooth[i] = {
                "enabled": True,
                "type": "curvedCW" if side > 0 else "curvedCCW",
                "roundness": 0.25 * (j // 2 + 1),
            }

    edges = []
    months: list[tuple[int, int]] = []
    for n_edge, (s, o, k, d) in enumerate(drawn):
        when: list[list[int | None]] = []
        for pv in d["evidence"]:
            period = statement_period(pv, meta_docs)
            if period:
                months.append(period)
            when.append([*(period or (None, None)), doc(pv.doc_id)])
        evidence = [
            {
                "i": i,
                "sentence": pv.sentence,
                "date": pv.date or (meta_docs.get(pv.doc_id) or {}).get("date"),
                # The date the sentence gives, as written ("last October"); None when it is the document's.
                "dateText": pv.date_text if pv.date else None,
                "confidence": pv.confidence,
                "negated": pv.negated,
                "hedged": pv.hedged,
                "rule": pv.rule,
            }
            for i in _evidence_order(d["evidence"])
            for pv in (d["evidence"][i],)
        ]
        sources = len(d["documents"])
        # pyvis's Edge makes the vis-network options; Network.add_edge would look each end up in a list (slow).
        edge = Edge(
            s,
            o,
            True,
            id=f"{s}|{k}|{o}",
            label=("not " if d["negated"] else "") + d["predicate"],
            color=RELATION_COLOURS.get(d["predicate"], "#555555"),
            arrows="" if d["symmetric"] else "to",
            dashes=bool(d["negated"] or d["hedged"]),
            # Width follows the number of documents that state the relation.
            width=round(1 + 2 * math.log2(sources), 2),
            predicate=d["predicate"],
            negated=d["negated"],
            hedged=d["hedged"],
            confidence=d["confidence"],
            statements=len(d["evidence"]),
            sources=sources,
            when=when,
            evidence=evidence,
            **({"smooth": smooth[n_edge]} if n_edge in smooth else {}),
        )
        edges.append(edge.options)

    doc_months = [p for r in doc_rows if (p := month_period(r["date"]))]
    time: dict[str, Any] | None = None
    if months:
        # The range starts at the corpus's first document: relations the text dates earlier (history) share
        # one "earlier" step instead of stretching the scale over decades.
        lo = min(p[0] for p in doc_months) if doc_months else min(p[0] for p in months)
        hi = max(max(p[1] for p in months), max((p[1] for p in doc_months), default=lo))
        time = {"lo": lo, "hi": hi, "earlier": any(p[0] < lo for p in months)}
    return {
        "nodes": nodes,
        "edges": edges,
        "docs": doc_rows,
        "meta": {
            "total_nodes": g.number_of_nodes(),
            "dropped_nodes": dropped,
            # Named, the most connected first, so that an analyst sees who is missing from the picture.
            "dropped_labels": [g.nodes[k]["label"] for k in select_nodes(g, None)[0][len(keep) :][:MAX_DROPPED_LISTED]],
            "documents": len(meta_docs),
            "types": {t: {"colour": c, "shape": s} for t, (c, s) in PALETTE.items()},
            "relations": RELATION_COLOURS,
            "time": time,
            "communities": [
                {
                    "size": len(members),
                    "colour": COMMUNITY_COLOURS[i] if i < len(COMMUNITY_COLOURS) else None,
                    "names": [
                        g.nodes[m]["label"]
                        for m in sorted(members, key=lambda m: (-relations[str(m)], str(m)))[:COMMUNITY_NAMES]
                    ],
                }
                for i, members in enumerate(groups)
            ],
        },
    }


def _columns(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Rows of one shape as columns, the way the page reads them (``unpack`` in explorer.html).

    A corpus page holds tens of thousands of relations: written as objects, their keys would be most of the
    file. Each column is ``["v", values]``, ``["b", 0/1 values]`` for booleans, or ``["d", table, codes]``
    for text with few distinct values (colours, predicates, the ends of relations). A missing or None value
    stays off the object the page rebuilds.
    """
    keys: dict[str, None] = {}
    for r in rows:
        keys.update(dict.fromkeys(r))
    columns: dict[str, Any] = {}
    for k in keys:
        values = [r.get(k) for r in rows]
        present = [v for v in values if v is not None]
        if present and all(isinstance(v, bool) for v in present):
            columns[k] = ["b", [None if v is None else int(v) for v in values]]
        elif present and all(isinstance(v, str) for v in present) and len(set(present)) * 4 <= len(values):
            table = sorted(set(present))
            code = {v: i for i, v in enumerate(table)}
            columns[k] = ["d", table, [None if v is None else code[v] for v in values]]
        else:
            columns[k] = ["v", values]
    return {"n": len(rows), "columns": columns}


def pack(data: dict[str, Any]) -> dict[str, Any]:
    """:func:`page_data` as the page carries it: nodes, relations, their sentences and sources as columns."""
    evidence = [{"edge": i, **ev} for i, e in enumerate(data["edges"]) for ev in e["evidence"]]
    edges = [{k: v for k, v in e.items() if k != "evidence"} for e in data["edges"]]
    return {
        "nodes": _columns(data["nodes"]),
        "edges": _columns(edges),
        "evidence": _columns(evidence),
        "docs": _columns(data["docs"]),
        "meta": data["meta"],
    }


def render_html(g: nx.MultiDiGraph, title: str = "kg graph", max_nodes: int | None = DEFAULT_MAX_NODES) -> str:
    """The self-contained HTML page showing ``g`` (at most ``max_nodes`` nodes, the most connected)."""
    js, css = _vis_assets()
    data = pack(page_data(g, max_nodes))
    template = (resources.files("kg") / "explorer.html").read_text(encoding="utf-8")
    page = template.replace("__TITLE__", _escape(title)).replace("__VIS_CSS__", css).replace("__VIS_JS__", js)
    return page.replace("__DATA__", _json(data))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
