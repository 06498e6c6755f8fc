"""The interactive HTML explorer: one self-contained file, drawn with pyvis's vis-network.

pyvis turns the graph into vis-network node and edge options and supplies the vis-network library; the
page around it (legend, search, filters, details panel, physics control) is kg's own template. Nothing on
the page is fetched: the library and its styles are inlined, no ``http(s)://`` appears anywhere in the file
(URLs inside the library's strings and comments are written ``http:\\/\\/``, the same string to JavaScript),
and all text from the articles reaches the page as JSON data that the script shows with ``textContent``,
never as markup.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import networkx as nx

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
#: Default for ``--max-nodes``: see the page-readiness figures in bench/RESULTS.md.
DEFAULT_MAX_NODES = 1500
MAX_EVIDENCE = 10
MAX_DROPPED_LISTED = 500


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


def select_nodes(g: nx.MultiDiGraph, max_nodes: int | None) -> tuple[list[str], int]:
    """The nodes to draw (the most connected first) and how many were left out."""
    ranked = sorted(g.nodes, key=lambda k: (-g.degree(k), -g.nodes[k]["mentions"], g.nodes[k]["label"], k))
    if max_nodes is None or len(ranked) <= max_nodes:
        return ranked, 0
    return ranked[:max_nodes], len(ranked) - max_nodes


def page_data(g: nx.MultiDiGraph, max_nodes: int | None = DEFAULT_MAX_NODES) -> dict[str, Any]:
    """Nodes, edges and metadata for the page, through pyvis."""
    from pyvis.network import Network

    keep, dropped = select_nodes(g, max_nodes)
    kept = set(keep)
    net = Network(directed=True)
    docs = g.graph.get("documents", {})
    for key in keep:
        d = g.nodes[key]
        colour, shape = PALETTE.get(d["type"], ("#bab0ac", "dot"))
        net.add_node(
            key,
            label=d["label"],
            color=colour,
            shape=shape,
            size=8 + min(32, 3 * g.degree(key)),
            kgType=d["type"],
            aliases=d["aliases"],
            mentions=d["mentions"],
            documents=[{"id": doc, "title": (docs.get(doc) or {}).get("title") or doc} for doc in d["documents"]],
        )
    for s, o, k, d in sorted(g.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2])):
        if s not in kept or o not in kept:
            continue
        evidence = [
            {
                "document": pv.doc_id,
                "title": (docs.get(pv.doc_id) or {}).get("title") or pv.doc_id,
                "date": pv.date or (docs.get(pv.doc_id) or {}).get("date"),
                "sentence": pv.sentence,
                "confidence": pv.confidence,
                "negated": pv.negated,
                "hedged": pv.hedged,
                "rule": pv.rule,
            }
            for pv in d["evidence"][:MAX_EVIDENCE]
        ]
        net.add_edge(
            s,
            o,
            id=f"{s}|{k}|{o}",
            label=("not " if d["negated"] else "") + d["predicate"],
            color=RELATION_COLOURS.get(d["predicate"], "#555555"),
            arrows="" if d["symmetric"] else "to",
            dashes=bool(d["negated"] or d["hedged"]),
            width=1 + 3 * float(d["confidence"]),
            predicate=d["predicate"],
            negated=d["negated"],
            hedged=d["hedged"],
            confidence=d["confidence"],
            statements=len(d["evidence"]),
            evidence=evidence,
        )
    nodes, edges, _heading, _height, _width, _options = net.get_network_data()
    return {
        "nodes": nodes,
        "edges": edges,
        "meta": {
            "total_nodes": g.number_of_nodes(),
            "dropped_nodes": dropped,
            # Named, the most connected first, so that an analyst sees who is missing from the picture.
            "dropped_labels": [g.nodes[k]["label"] for k in select_nodes(g, None)[0][len(keep) :][:MAX_DROPPED_LISTED]],
            "documents": len(docs),
            "types": {t: {"colour": c, "shape": s} for t, (c, s) in PALETTE.items()},
            "relations": RELATION_COLOURS,
        },
    }


def render_html(g: nx.MultiDiGraph, title: str = "kg graph", max_nodes: int | None = DEFAULT_MAX_NODES) -> str:
    """The self-contained HTML page showing ``g`` (at most ``max_nodes`` nodes, the most connected)."""
    js, css = _vis_assets()
    data = page_data(g, max_nodes)
    template = (resources.files("kg") / "explorer.html").read_text(encoding="utf-8")
    page = template.replace("__TITLE__", _escape(title)).replace("__VIS_CSS__", css).replace("__VIS_JS__", js)
    return page.replace("__DATA__", _json(data))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
