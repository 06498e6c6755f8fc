"""A multi-document build on 295 real Wikinews articles from ../shared/data (skipped where it is absent)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import WIKINEWS

pytestmark = [
    pytest.mark.model,
    pytest.mark.slow,
    pytest.mark.skipif(not WIKINEWS.is_file(), reason="../shared/data/wikinews is not here"),
]

# wikinews_graph: tests/conftest.py (built once per session; the explorer's corpus page uses it too).


def test_builds_without_error_and_merges_across_documents(wikinews_graph: Any) -> None:
    g = wikinews_graph
    assert g.number_of_nodes() > 1000 and g.number_of_edges() > 100
    by_label = {d["label"]: (k, d) for k, d in g.nodes(data=True)}
    for name in ("United States", "Donald Trump", "Iran", "United Kingdom"):
        assert name in by_label
    assert len(by_label["United States"][1]["documents"]) > 100
    trumps = [d for _, d in g.nodes(data=True) if d["label"].endswith("Trump") and d["type"] == "Person"]
    assert max(len(d["documents"]) for d in trumps) > 40


def test_no_broken_labels(wikinews_graph: Any) -> None:
    for key, d in wikinews_graph.nodes(data=True):
        assert d["label"].strip() == d["label"] and "\n" not in d["label"]
        if key.startswith("name/"):  # names from the text, not from the actor list ("The New York Times")
            assert not d["label"].lower().startswith(("the ", "pro-", "anti-")), d["label"]


def test_every_edge_respects_domain_and_range(wikinews_graph: Any, ontology: Any) -> None:
    for s, o, d in wikinews_graph.edges(data=True):
        rel = ontology.relations[d["predicate"]]
        assert ontology.fits(wikinews_graph.nodes[s]["type"], rel.domain)
        assert ontology.fits(wikinews_graph.nodes[o]["type"], rel.range)


def test_every_output_format_of_the_corpus_parses_everywhere(wikinews_graph: Any, tmp_path: Any) -> None:
    # rdflib, pyoxigraph and networkx each read every format kg writes, and the RDF passes the shapes.
    from tests.test_outputs_parse import check_outputs

    check_outputs(wikinews_graph, tmp_path)
