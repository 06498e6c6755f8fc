"""Positions for the explorer (kg.layout): communities together, nothing overlapping, the same every time."""

from __future__ import annotations

import math
import os
import random

import networkx as nx
import pytest

from kg.layout import GAP, RADIUS, communities, community_layout


def corpus_like(seed: int = 1) -> nx.Graph:
    """Three dense groups joined by a few relations, a hub with many leaves, and small separate pairs."""
    rng = random.Random(seed)
    h = nx.Graph()
    for g in range(3):
        members = [f"g{g}-{i}" for i in range(25)]
        for a in members:
            for b in rng.sample(members, 4):
                if a != b:
                    h.add_edge(a, b)
    h.add_edge("g0-0", "g1-0")
    h.add_edge("g1-1", "g2-1")
    for i in range(40):
        h.add_edge("hub", f"leaf{i}")
    h.add_edge("hub", "g0-3")
    for i in range(10):
        h.add_edge(f"pair{i}a", f"pair{i}b")
    return h


def test_every_node_placed_and_none_overlap() -> None:
    h = corpus_like()
    sizes = {n: 40.0 if n == "hub" else RADIUS for n in h}
    pos, index, groups = community_layout(h, sizes)
    assert set(pos) == set(h) == set(index) == {n for c in groups for n in c}
    nodes = list(h)
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            assert math.dist(pos[a], pos[b]) >= sizes[a] + sizes[b], (a, b)


def test_communities_are_kept_together() -> None:
    h = corpus_like()
    pos, index, groups = community_layout(h)
    assert len(groups) >= 3 + 1 + 10  # the three groups, the hub's star, each pair
    assert [len(c) for c in groups] == sorted((len(c) for c in groups), reverse=True)
    # Each community has a disc of its own: actors of two communities are further apart than two gaps.
    nodes = list(h)
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            if index[a] != index[b]:
                assert math.dist(pos[a], pos[b]) >= 2 * RADIUS + 2 * GAP - 0.5, (a, b)
    # Louvain joins along relations only: a community never takes actors of two components.
    for component in nx.connected_components(h):
        for n in component:
            assert set(groups[index[n]]) <= component


def test_linked_communities_sit_nearer_than_unlinked_ones() -> None:
    h = corpus_like()
    pos, _index, _groups = community_layout(h)

    def centre(prefix: str) -> tuple[float, float]:
        xs = [p for n, p in pos.items() if n.startswith(prefix)]
        return (sum(x for x, _ in xs) / len(xs), sum(y for _, y in xs) / len(xs))

    linked = math.dist(centre("g0-"), centre("g1-"))
    apart = [math.dist(centre("g0-"), centre(f"pair{i}")) for i in range(10)]
    assert linked < max(apart)


def test_the_same_graph_gets_the_same_picture() -> None:
    assert community_layout(corpus_like()) == community_layout(corpus_like())
    assert communities(corpus_like()) == communities(corpus_like())


def test_the_same_picture_in_every_process() -> None:
    """Python hashes strings differently in each process; the layout must not follow that order."""
    import subprocess
    import sys

    script = (
        "import json; from tests.test_layout import corpus_like; from kg.layout import community_layout; "
        "print(json.dumps(sorted(community_layout(corpus_like())[0].items())))"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    ]
    assert runs[0] == runs[1] and runs[0].startswith("[[")


@pytest.mark.parametrize("n", [0, 1, 2])
def test_tiny_graphs(n: int) -> None:
    h = nx.Graph()
    h.add_nodes_from(range(n))
    if n == 2:
        h.add_edge(0, 1)
    pos, index, groups = community_layout(h)
    assert len(pos) == len(index) == n and sum(len(c) for c in groups) == n
