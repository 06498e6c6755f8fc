"""The audit's hostile inputs (tests/data/hostile/): each gives a one-line error, a warning, or outputs that
other tools read; never a traceback, a hang or a half-written folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import TEST_DATA
from tests.test_cli import assert_clean_failure, run

HOSTILE = TEST_DATA / "hostile"


@pytest.mark.parametrize(
    ("name", "needles"),
    [
        ("nested.jsonl", ("line 1", "nested too deeply")),
        ("long-id.jsonl", ("line 1", "invalid JSON")),
        ("surrogate.jsonl", ("line 1", "field 'text'", "lone surrogate", "\\ud800")),
    ],
)
def test_hostile_jsonl_is_a_one_line_error(tmp_path: Path, name: str, needles: tuple[str, ...]) -> None:
    out = tmp_path / "out"
    assert_clean_failure(run("build", str(HOSTILE / name), "-o", str(out)), out, name, *needles)


def test_a_path_too_long_is_a_one_line_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert_clean_failure(run("build", str(tmp_path / ("x" * 300 + ".txt")), "-o", str(out)), out, "cannot read")


def test_a_bad_date_is_a_warning_and_the_build_goes_on(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run("build", str(HOSTILE / "bad-date.jsonl"), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("kg: warning:")]
    assert len(warnings) == 1 and "'2019-13-45' is not a calendar date" in warnings[0], proc.stderr
    assert "2019-13-45" not in (out / "graph.ttl").read_text(encoding="utf-8")


def test_fields_with_line_breaks_and_controls_give_outputs_every_tool_reads(tmp_path: Path) -> None:
    from tests.test_outputs_parse import RDF_FORMATS, parse_rdf

    out = tmp_path / "out"
    proc = run("build", str(HOSTILE / "newline-fields.jsonl"), "-o", str(out), "-f", "nt,trig,nq,jsonld,graphml,gexf")
    assert proc.returncode == 0, proc.stderr
    import networkx as nx

    for ext in RDF_FORMATS:
        parse_rdf(out / f"graph{ext}")
    assert nx.read_graphml(out / "graph.graphml").number_of_nodes() > 0
    assert nx.read_gexf(out / "graph.gexf").number_of_nodes() > 0
    proc = run("validate", str(out / "graph.ttl"))
    assert proc.returncode == 0 and "conforms" in proc.stdout, proc.stdout + proc.stderr


def test_a_query_file_that_is_not_utf8_is_a_one_line_error(tmp_path: Path) -> None:
    q = tmp_path / "q.rq"
    q.write_bytes(b"\xff\xfe SELECT * WHERE { ?s ?p ?o }")
    graph = tmp_path / "g.ttl"
    graph.write_text("<http://e.org/a> <http://e.org/p> <http://e.org/b> .\n", encoding="utf-8")
    out = tmp_path / "out"
    assert_clean_failure(run("query", str(graph), str(q)), out, "not valid UTF-8", "offset 0")


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("not json", "not a CoNLL04 JSON line"),
        ('{"id": "x", "text": "ab", "entities": [{"start": 0, "end": 9, "type": "Peop"}], "relations": []}', "needs"),
        ('{"id": "x", "text": "ab", "entities": [], "relations": [{"head": 0, "tail": 1, "type": "Kill"}]}', "needs"),
    ],
)
def test_malformed_conll04_is_a_one_line_error(tmp_path: Path, line: str, needle: str) -> None:
    f = tmp_path / "c.jsonl"
    f.write_text(line + "\n", encoding="utf-8")
    assert_clean_failure(run("conll04", str(f)), tmp_path / "out", "line 1", needle)
