"""Sentence annotations (kg.annotations): the format checker and the project's Wikinews annotations."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from kg.annotations import load, summary
from kg.errors import AnnotationError
from tests.conftest import TEST_DATA

WIKINEWS = TEST_DATA / "annotations" / "wikinews"


def _line(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "doc": "d1",
        "split": "train",
        "sent": 0,
        "start": 10,
        "text": "Russian President Vladimir Putin met him in Moscow.",
        "entities": [
            {"id": "e1", "text": "Vladimir Putin", "type": "Person"},
            {"id": "e2", "text": "Russian", "type": "Country"},
        ],
        "relations": [{"subject": "e1", "predicate": "leaderOf", "object": "e2"}],
    }
    base.update(over)
    return base


def _write(tmp_path: Path, *lines: dict[str, Any]) -> Path:
    path = tmp_path / "a.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


def test_mentions_become_offsets_into_the_article(tmp_path: Path) -> None:
    (s,) = load([_write(tmp_path, _line())])
    putin = s.mention("e1")
    assert (putin.start, putin.end) == (10 + 18, 10 + 32)
    assert s.relations[0].predicate == "leaderOf" and not s.relations[0].negated


def test_occurrence_picks_a_later_match(tmp_path: Path) -> None:
    text = "Iran said Iran would respond."
    ents = [
        {"id": "a", "text": "Iran", "type": "Country", "occurrence": 2},
        {"id": "b", "text": "said", "type": "Group"},
    ]
    (s,) = load([_write(tmp_path, _line(text=text, entities=ents, relations=[]))])
    assert s.mention("a").start == 10 + 10


@pytest.mark.parametrize(
    ("over", "words"),
    [
        ({"entities": [{"id": "e1", "text": "Medvedev", "type": "Person"}]}, "not in the sentence"),
        ({"entities": [{"id": "e1", "text": "Russian", "type": "Nation"}]}, "valid: Person"),
        ({"relations": [{"subject": "e1", "predicate": "hates", "object": "e2"}]}, "not one of killed"),
        ({"relations": [{"subject": "e1", "predicate": "leaderOf", "object": "e9"}]}, "not an entity id"),
        ({"split": "val"}, "not one of train, dev, test"),
        ({"start": -1}, "non-negative"),
    ],
)
def test_bad_lines_are_named(tmp_path: Path, over: dict[str, Any], words: str) -> None:
    with pytest.raises(AnnotationError, match=words) as exc:
        load([_write(tmp_path, _line(**over))])
    assert "a.jsonl:1" in str(exc.value)


def test_a_sentence_annotated_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AnnotationError, match="annotated again"):
        load([_write(tmp_path, _line(), _line())])


def test_malformed_json_and_missing_paths(tmp_path: Path) -> None:
    bad = tmp_path / "b.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(AnnotationError, match=r"b\.jsonl:1: not valid JSON"):
        load([bad])
    with pytest.raises(AnnotationError, match="does not exist"):
        load([tmp_path / "nope.jsonl"])


def test_project_annotations_are_large_enough_and_split_by_article() -> None:
    sentences = load([WIKINEWS])
    s = summary(sentences)
    assert s["sentences"] >= 1500 and s["relations"] >= 800
    assert all(len(x.mentions) >= 2 for x in sentences)
    for x in sentences:
        bucket = int(hashlib.sha1(x.doc.encode()).hexdigest(), 16) % 10
        assert x.split == ("test" if bucket < 2 else "dev" if bucket == 2 else "train"), x.doc
    assert {"test", "dev", "train"} <= set(s["sentences_by_split"])


@pytest.mark.skipif(not (Path(__file__).resolve().parents[2] / "shared").is_dir(), reason="needs ../shared")
def test_project_annotations_point_into_the_corpus() -> None:
    from kg.annotations import check_against
    from kg.ingest import read_jsonl
    from tests.conftest import SHARED

    texts = {a.id: a.text for a in read_jsonl(SHARED / "wikinews" / "articles.jsonl")}
    check_against(load([WIKINEWS]), texts)
