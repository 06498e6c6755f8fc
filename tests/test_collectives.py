"""Collective actors ("the junta", "Sudan's army", "civilians"), what they pass to their owners, and the
provenance of model edges (end-to-end, with the model)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.conftest import edges


def _nodes(g: Any) -> dict[str, tuple[str, str]]:
    return {k: (d["label"], d["type"]) for k, d in g.nodes(data=True)}


def test_owned_forces_get_a_stable_key_and_part_of(build_texts: Callable[..., Any]) -> None:
    g = build_texts(
        "Sudan's army shelled the town of Omdurman on Monday. The army said it had targeted rebel positions.",
        "The Sudanese army denied the claim.",
    )
    nodes = _nodes(g)
    assert nodes["country/SDN/army"][1] == "ArmedGroup"
    # one actor across sentences ("the army") and documents ("the Sudanese army")
    assert sum(1 for k in nodes if k.endswith("/army") or "local/army" in k) == 1
    assert (nodes["country/SDN/army"][0], "partOf", "Sudan") in edges(g)


def test_bare_collectives_are_document_actors(build_texts: Callable[..., Any]) -> None:
    g = build_texts("Soldiers opened fire on protesters in the capital. The junta blamed foreign agents.")
    types = {label: t for label, t in _nodes(g).values()}
    assert types.get("protesters") == "Group"
    assert types.get("junta") == "ArmedGroup"
    assert types.get("soldiers") == "ArmedGroup"
    keys = list(_nodes(g))
    assert all(k.startswith("local/") for k in keys if "junta" in k or "protesters" in k)


def test_what_a_force_does_its_owner_does(build_texts: Callable[..., Any]) -> None:
    g = build_texts("Hezbollah fighters clashed with Israeli troops on the border.")
    found = edges(g)
    assert ("Hezbollah", "opposes", "Israel") in found or ("Israel", "opposes", "Hezbollah") in found
    rules = {pv.rule for _, _, d in g.edges(data=True) for pv in d["evidence"]}
    assert any(r.endswith("+partOf") for r in rules), rules


def test_model_edges_say_so_and_min_confidence_filters() -> None:
    from kg.pipeline import Settings, build_graph
    from tests.conftest import SEED

    g = build_graph([SEED]).graph
    evidence = [pv for _, _, d in g.edges(data=True) for pv in d["evidence"]]
    assert any(pv.rule == "model" for pv in evidence), "the model adds edges the rules miss"
    assert all(pv.rule for pv in evidence) and all(0 < pv.confidence <= 1 for pv in evidence)
    cut = sorted(pv.confidence for pv in evidence)[len(evidence) // 2]
    strict = build_graph([SEED], Settings(min_confidence=cut)).graph
    kept = [pv.confidence for _, _, d in strict.edges(data=True) for pv in d["evidence"]]
    assert kept and min(kept) >= cut and len(kept) < len(evidence)
