"""`kg eval` on the project's own gold files, and the CoNLL04 adapter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kg.conll04 import conll_relation, gold, predictions, score, title_convention
from kg.errors import InputError
from kg.evaluate import load_gold, load_graph
from kg.evaluate import score as score_graph
from kg.records import Article, DocumentExtraction, Mention, Provenance, RelationMention
from tests.conftest import SHARED, TEST_DATA

GOLD = TEST_DATA / "gold" / "gold.json"
CONLL_DEV = SHARED / "conll04" / "dev.jsonl"

# Last recorded on the first 120 dev sentences (docs/EVALUATION.md); the floors leave a small margin.
CONLL_SLICE = 120
CONLL_RELATION_F1_FLOOR = 0.534 - 0.03
CONLL_ENTITY_F1_FLOOR = 0.808 - 0.03


def run_kg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, timeout=600)


@pytest.mark.model
def test_kg_eval_cli_on_own_gold(tmp_path: Path) -> None:
    gold_set = load_gold(GOLD)
    out = tmp_path / "out"
    built = run_kg("build", *[str(GOLD.parent / d) for d in gold_set.documents], "-o", str(out), "-q")
    assert built.returncode == 0, built.stderr
    from_dir = run_kg("eval", str(GOLD), str(out), "--format", "json")
    from_ttl = run_kg("eval", str(GOLD), str(out / "graph.ttl"), "--format", "json")
    assert from_dir.returncode == 0 and from_ttl.returncode == 0, from_dir.stderr + from_ttl.stderr
    a, b = json.loads(from_dir.stdout), json.loads(from_ttl.stdout)
    assert a["entities"] == b["entities"] and a["relations"] == b["relations"]
    assert a["entities"]["f1"] > 0.9 and a["relations"]["precision"] > 0.7
    table = run_kg("eval", str(GOLD), str(out))
    assert "relations" in table.stdout and "missing relations" in table.stdout


def test_eval_reports_resolution_errors() -> None:
    import networkx as nx

    gold_set = load_gold(GOLD)
    g = nx.MultiDiGraph()
    g.add_node("a", label="Hezbollah", aliases=["Hezbollah"], type="ArmedGroup")
    g.add_node("b", label="Hizbollah", aliases=["Hezbollah"], type="ArmedGroup")  # split
    g.add_node("c", label="Iran", aliases=["Iran", "Qatar"], type="Country")  # merge
    g.add_node("d", label="Tuesday", aliases=["Tuesday"], type="Organization")  # must not exist
    s = score_graph(gold_set, g)
    assert s.split and s.merged and "Tuesday" in s.forbidden_nodes and "Tuesday" in s.spurious_nodes


def test_bad_gold_and_graph_paths(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_gold(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"entities": [], "relations": [{"subject": "x", "predicate": "killed", "object": "y"}]}', "utf-8")
    with pytest.raises(InputError, match="unknown entity id 'x'"):
        load_gold(bad)
    with pytest.raises(InputError, match=r"entities\.jsonl"):
        load_graph(tmp_path)
    proc = run_kg("eval", str(bad), str(tmp_path))
    assert proc.returncode == 1 and proc.stderr.startswith("kg: error:")


def test_conll04_scoring_without_the_model() -> None:
    text = "John Wilkes Booth , who assassinated President Lincoln , was an actor ."
    row = {
        "id": "s1",
        "text": text,
        "entities": [
            {"start": 0, "end": 17, "type": "Peop", "text": "John Wilkes Booth"},
            {"start": 37, "end": 54, "type": "Peop", "text": "President Lincoln"},
        ],
        "relations": [{"head": 0, "tail": 1, "type": "Kill"}],
    }
    booth = Mention("s1", 0, 0, 17, "John Wilkes Booth", "John Wilkes Booth", "Person", "name", 0)
    lincoln = Mention("s1", 1, 47, 54, "Lincoln", "Lincoln", "Person", "name", 0, title="President")
    pv = Provenance("s1", text, 0, len(text), 0, 54, "verb-active", 0.9)
    ex = DocumentExtraction(Article("s1", text), (booth, lincoln), (RelationMention(0, "killed", 1, pv),))
    assert predictions(ex) == gold(row)  # the title is put back on "Lincoln"
    result = score([row], [ex])
    assert result["relations"]["f1"] == 1.0 and result["entities_by_type"]["Peop"]["tp"] == 2
    assert conll_relation("locatedIn", "Org", "Loc") == "OrgBased_In"
    assert conll_relation("locatedIn", "Loc", "Loc") == "Located_In"
    assert conll_relation("memberOf", "Peop", "Org") == "Work_For"


def test_conll04_titles_left_out_of_spans_are_read_from_the_gold() -> None:
    def row(text: str, start: int, end: int) -> dict[str, Any]:
        return {"id": text, "text": text, "entities": [{"start": start, "end": end, "type": "Peop"}], "relations": []}

    rows = [
        row("Gov. James Thompson signed it .", 5, 19),
        row("said Gov. Earl Long .", 10, 19),
        row("Gov. Mario Cuomo spoke .", 0, 16),
        row("President Kennedy spoke .", 0, 17),
    ]
    titles = {"gov.", "president"}
    assert title_convention(rows, titles) == {"gov."}  # two out, one in; "President" only inside
    text = rows[0]["text"]
    thompson = Mention(text, 0, 5, 19, "James Thompson", "James Thompson", "Person", "name", 0, title="Gov.")
    ex = DocumentExtraction(Article(text, text), (thompson,), ())
    assert predictions(ex, title_convention(rows, titles))[0] == {((5, 19), "Peop")}
    assert predictions(ex)[0] == {((0, 19), "Peop")}  # no convention known: the title goes back on


@pytest.mark.model
@pytest.mark.skipif(not CONLL_DEV.is_file(), reason="../shared/data/conll04 is not here")
def test_conll04_dev_slice_does_not_regress() -> None:
    from kg.conll04 import evaluate

    result: dict[str, Any] = evaluate(CONLL_DEV, limit=CONLL_SLICE)
    assert result["sentences"] == CONLL_SLICE
    assert result["relations"]["f1"] >= CONLL_RELATION_F1_FLOOR, result["relations"]
    assert result["entities_without_other"]["f1"] >= CONLL_ENTITY_F1_FLOOR, result["entities_without_other"]
