"""Positions for the HTML explorer, computed before the page is written.

A force layout run in the browser on a corpus graph (thousands of actors) takes many seconds to settle and
still leaves a tangle. Here the drawn graph is cut
into communities (Louvain modularity, seeded, so a page is the same from one build to the next); each
community is laid out on its own with networkx's spring layout, sized by how many actors it holds, and the
communities are then packed, largest first, each as near as it fits to the communities it has relations
with. Actors of one community stay together, linked communities sit side by side, and nothing overlaps.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import networkx as nx

#: Canvas units left between neighbouring actors' shapes.
SPACING = 30.0
#: An actor's radius as drawn when none is given (vis-network's ``size``).
RADIUS = 12.0
#: Canvas units left free between two packed communities.
GAP = 20.0
#: Louvain's seed and the spring layouts' seed.
SEED = 7
_GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))

Position = tuple[float, float]


def communities(h: nx.Graph, seed: int = SEED) -> list[list[Hashable]]:
    """The communities of ``h`` (Louvain, weighted by ``weight``), the largest first; each sorted.

    Louvain only joins nodes along edges, so a community never spans two components: a small component is a
    community of its own (a large one is split into several).
    """
    if h.number_of_nodes() == 0:
        return []
    found = nx.community.louvain_communities(h, weight="weight", seed=seed)
    groups = [sorted(c, key=str) for c in found]
    return sorted(groups, key=lambda c: (-len(c), str(c[0])))


def community_layout(
    h: nx.Graph, sizes: Mapping[Any, float] | None = None, seed: int = SEED
) -> tuple[dict[Hashable, Position], dict[Hashable, int], list[list[Hashable]]]:
    """Positions (canvas units, centred on 0) for every node of ``h``, each node's community index (0 is the
    largest) and the communities themselves, the largest first.

    ``h`` is undirected; an edge's ``weight`` (default 1) pulls its ends together in community detection.
    ``sizes`` are the nodes' radii as drawn (default :data:`RADIUS`): no two nodes overlap.
    """
    import numpy as np

    groups = communities(h, seed)
    index = {node: i for i, members in enumerate(groups) for node in members}
    local: list[Any] = []
    radii = np.zeros(len(groups))
    for i, members in enumerate(groups):
        r = np.array([float((sizes or {}).get(m, RADIUS)) for m in members])
        pts = _inner(_induced(h, members), members, r, seed)
        local.append(pts)
        radii[i] = float((np.sqrt((pts**2).sum(axis=1)) + r).max()) + GAP / 2
    links: list[dict[int, float]] = [{} for _ in groups]
    for a, b, w in h.edges(data="weight", default=1.0):
        ca, cb = index[a], index[b]
        if ca != cb:
            links[ca][cb] = links[ca].get(cb, 0.0) + float(w)
            links[cb][ca] = links[cb].get(ca, 0.0) + float(w)
    centres = _pack(radii, links)
    pos: dict[Hashable, Position] = {}
    for i, members in enumerate(groups):
        for node, (x, y) in zip(members, local[i] + centres[i], strict=True):
            pos[node] = (round(float(x), 1), round(float(y), 1))
    return pos, index, groups


def _induced(h: nx.Graph, members: Sequence[Hashable]) -> nx.Graph:
    """The subgraph of ``members``, its nodes in that order. (``Graph.subgraph`` iterates over a set of the
    nodes, whose order changes with Python's string hashing from one process to the next: the spring layout,
    seeded but fed the nodes in another order, then drew another page for the same graph.)"""
    inside = set(members)
    sub = nx.Graph()
    sub.add_nodes_from(members)
    sub.add_edges_from((a, b, d) for a in members for b, d in h.adj[a].items() if b in inside)
    return sub


def _inner(sub: nx.Graph, members: Sequence[Hashable], r: Any, seed: int) -> Any:
    """Positions of one community's nodes (radii ``r``) around (0, 0), in the order of ``members``."""
    import numpy as np

    n = len(members)
    if n == 1:
        return np.zeros((1, 2))
    if n == 2:
        half = (r[0] + r[1] + SPACING) / 2
        return np.array([[-half, 0.0], [half, 0.0]])
    raw = nx.spring_layout(sub, seed=seed, weight=None, iterations=60)
    pts = np.array([raw[m] for m in members], dtype=float)
    pts -= np.median(pts, axis=0)
    # A disc with room for every node and SPACING around it. Scaled on the 90th percentile, not the farthest
    # node: one outlying leaf must not squeeze the rest of the community into its middle.
    radius = math.sqrt(float(((2 * r + SPACING) ** 2).sum()) / math.pi)
    reach = float(np.percentile(np.sqrt((pts**2).sum(axis=1)), 90)) or 1.0
    pts *= 0.9 * radius / reach
    return _spread(pts, r, SPACING / 3)


def _spread(pts: Any, r: Any, margin: float, rounds: int = 100) -> Any:
    """Push apart nodes (radii ``r``) nearer than their radii and ``margin`` (spring layouts crowd the leaves
    of a star round it). Near pairs come from a k-d tree, so a round costs about n log n."""
    import numpy as np
    from scipy.spatial import cKDTree  # type: ignore[import-untyped]

    n = len(pts)
    # A tiny, fixed, different offset per point: points that coincide then separate, the same way every time.
    t = np.arange(n, dtype=float)
    pts = pts + 1e-3 * np.stack([np.cos(t * _GOLDEN_ANGLE), np.sin(t * _GOLDEN_ANGLE)], axis=1)
    reach = 2 * float(r.max()) + margin
    for _ in range(rounds):
        pairs = cKDTree(pts).query_pairs(reach, output_type="ndarray")
        if not len(pairs):
            break
        i, j = pairs[:, 0], pairs[:, 1]
        diff = pts[i] - pts[j]
        dist = np.sqrt((diff**2).sum(axis=1))
        need = r[i] + r[j] + margin
        close = dist < need * 0.98
        if not close.any():
            break
        i, j, diff, dist, need = i[close], j[close], diff[close], dist[close], need[close]
        move = diff * ((need - dist) / 2 / np.maximum(dist, 1e-9))[:, None]
        delta = np.zeros_like(pts)
        np.add.at(delta, i, move)
        np.add.at(delta, j, -move)
        pts = pts + delta
    return pts


#: Spiral positions tried at a time: the first free one is usually early, and a later one is never taken first.
_CHUNK = 128


def _pack(radii: Any, links: Sequence[dict[int, float]]) -> Any:
    """Centres for circles of ``radii`` (largest first), none overlapping: each goes to the first free spot on a
    spiral around the weighted centre of the circles it links to that are placed already (else the origin)."""
    import numpy as np

    n = len(radii)
    centres = np.zeros((n, 2))
    # Circles linked to nothing placed go around the origin, smallest last: each starts its search a little inside
    # the distance where the one before it fitted, instead of walking the whole filled middle again.
    reached = 0.0
    for i in range(1, n):
        placed = centres[:i]
        linked = [(j, w) for j, w in links[i].items() if j < i]
        if linked:
            weights = np.array([w for _, w in linked])
            target = (placed[[j for j, _ in linked]] * weights[:, None]).sum(axis=0) / weights.sum()
        else:
            target = np.zeros(2)
        step = max(radii[i] * 0.5, SPACING / 2)
        need = radii[:i] + radii[i] + GAP
        start = 0 if linked else int((0.8 * reached / step) ** 2)
        away = np.sqrt(((placed - target) ** 2).sum(axis=1))
        while True:
            t = np.arange(start, start + _CHUNK, dtype=float)
            cx = target[0] + step * np.sqrt(t) * np.cos(t * _GOLDEN_ANGLE)
            cy = target[1] + step * np.sqrt(t) * np.sin(t * _GOLDEN_ANGLE)
            # Only circles that reach the ring these candidates lie on can be in the way.
            near = (away + need >= step * math.sqrt(start)) & (away - need <= step * math.sqrt(start + _CHUNK))
            px, py, reach = placed[near, 0], placed[near, 1], need[near]
            # Squared distances against squared reaches: no square root, no (candidates x circles x 2) array.
            clear = ((cx[:, None] - px[None, :]) ** 2 + (cy[:, None] - py[None, :]) ** 2) >= (reach**2)[None, :]
            free = np.nonzero(clear.all(axis=1))[0]
            if len(free):
                centres[i] = (cx[free[0]], cy[free[0]])
                if not linked:
                    reached = float(np.sqrt((centres[i] ** 2).sum()))
                break
            start += _CHUNK
    return centres
