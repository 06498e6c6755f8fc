"""The interactive HTML page, drawn with pyvis and made self-contained.

pyvis's ``in_line`` mode inlines vis-network but still links Bootstrap from a CDN; those tags are removed so
that the page works from disk with no network. Everything from the articles reaches the page as data (JSON
strings), never as markup.
"""

from __future__ import annotations

import re
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

_EXTERNAL = re.compile(
    r"<link[^>]+href=\"(?:https?:)?//[^\"]*\"[^>]*>|<script[^>]+src=\"(?:https?:)?//[^\"]*\"[^>]*>\s*</script>"
    r"|<link[^>]+href=\"\.\./node_modules[^\"]*\"[^>]*>|<script[^>]+src=\"\.\./node_modules[^\"]*\"[^>]*>\s*</script>",
    re.IGNORECASE,
)


def _node_title(d: dict[str, Any]) -> str:
    aliases = ", ".join(str(a) for a in d["aliases"])
    docs = ", ".join(str(x) for x in d["documents"])
    return f"{d['label']} ({d['type']})\nAlso: {aliases}\nMentions: {d['mentions']}\nDocuments: {docs}"


def _edge_title(d: dict[str, Any]) -> str:
    lines = [f"{d['predicate']} (confidence {d['confidence']})"]
    evidence: list[Provenance] = d["evidence"]
    for pv in evidence[:5]:
        flags = " [negated]" if pv.negated else (" [hedged]" if pv.hedged else "")
        lines.append(f"{pv.doc_id}{flags}: {pv.sentence}")
    return "\n".join(lines)


def render_html(g: nx.MultiDiGraph, title: str = "kg graph") -> str:
    """A self-contained HTML page showing ``g``."""
    from pyvis.network import Network

    net = Network(height="800px", width="100%", directed=True, cdn_resources="in_line", heading="")
    for key, d in sorted(g.nodes(data=True)):
        colour, shape = PALETTE.get(d["type"], ("#bab0ac", "dot"))
        net.add_node(
            key,
            label=d["label"],
            title=_node_title(d),
            color=colour,
            shape=shape,
            size=10 + min(30, 3 * g.degree(key)),
        )
    for s, o, _k, d in sorted(g.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2])):
        net.add_edge(
            s,
            o,
            label=("not " if d["negated"] else "") + d["predicate"],
            title=_edge_title(d),
            color=RELATION_COLOURS.get(d["predicate"], "#555555"),
            arrows="" if d["symmetric"] else "to",
            dashes=bool(d["negated"] or d["hedged"]),
            width=1 + 3 * float(d["confidence"]),
        )
    net.toggle_physics(True)
    page = net.generate_html(name="graph.html")
    page = _EXTERNAL.sub("", page)
    return page.replace("<title>", f"<title>{_escape(title)}", 1) if "<title>" in page else page


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
