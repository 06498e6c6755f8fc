"""Reading inputs: formats, folders and every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.errors import (
    BinaryInputError,
    EmptyInputError,
    EncodingError,
    InputError,
    JSONLError,
    UnknownFormatError,
)
from kg.ingest import load_articles


def test_txt_file_and_title(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text("\n  Headline here\n\nBody text.", encoding="utf-8")
    (a,) = load_articles([f])
    assert a.id == "a.txt" and a.title == "Headline here" and a.text.endswith("Body text.")


def test_bom_is_dropped(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_bytes("\ufeffIran condemned Israel.".encode())
    assert load_articles([f])[0].text == "Iran condemned Israel."


def test_folder_is_searched_recursively_and_other_files_ignored(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("B.", encoding="utf-8")
    (tmp_path / "a.txt").write_text("A.", encoding="utf-8")
    (tmp_path / "README.md").write_text("not news", encoding="utf-8")
    (tmp_path / "c.jsonl").write_text(json.dumps({"id": "c1", "text": "C.", "date": "2020-01-03"}) + "\n", "utf-8")
    arts = load_articles([tmp_path])
    assert [a.id for a in arts] == ["a.txt", "c1", "sub/b.txt"]
    assert arts[1].date == "2020-01-03"


def test_jsonl_fields(tmp_path: Path) -> None:
    f = tmp_path / "x.jsonl"
    f.write_text(json.dumps({"id": 7, "text": "T.", "title": "Ti", "url": "https://example.org/a"}) + "\n", "utf-8")
    (a,) = load_articles([f])
    assert (a.id, a.title, a.url, a.date) == ("7", "Ti", "https://example.org/a", None)


@pytest.mark.parametrize(
    ("content", "error", "needle"),
    [
        (b"", EmptyInputError, "empty"),
        (b"   \n\t", EmptyInputError, "empty"),
        (b"abc\x00def", BinaryInputError, "binary"),
        (b"caf\xe9", EncodingError, "offset 3"),
    ],
)
def test_bad_text_files(tmp_path: Path, content: bytes, error: type[Exception], needle: str) -> None:
    f = tmp_path / "bad.txt"
    f.write_bytes(content)
    with pytest.raises(error, match=needle):
        load_articles([f])


@pytest.mark.parametrize(
    ("lines", "needle"),
    [
        ('{"id": "1", "text": "ok"}\nnot json\n', "line 2: invalid JSON"),
        ("[1, 2]\n", "line 1: expected a JSON object"),
        ('{"id": "1", "text": ""}\n', "line 1: field 'text'"),
        ('{"id": "1", "text": "ok", "date": "yesterday"}\n', "line 1: field 'date'"),
        ('{"id": "1", "text": "ok", "title": 3}\n', "line 1: field 'title'"),
        ("\n\n", "is empty"),
    ],
)
def test_bad_jsonl(tmp_path: Path, lines: str, needle: str) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text(lines, encoding="utf-8")
    with pytest.raises(InputError, match=needle):
        load_articles([f])


def test_duplicate_ids(tmp_path: Path) -> None:
    f = tmp_path / "d.jsonl"
    f.write_text('{"id": "1", "text": "a"}\n{"id": "1", "text": "b"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="duplicate document id '1'"):
        load_articles([f])


def test_missing_path_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_articles([tmp_path / "nope"])
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF")
    with pytest.raises(UnknownFormatError, match=r"\.pdf"):
        load_articles([pdf])
    empty = tmp_path / "emptydir"
    empty.mkdir()
    with pytest.raises(EmptyInputError, match="has no"):
        load_articles([empty])


def test_malformed_jsonl_is_a_jsonl_error(tmp_path: Path) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text("{", encoding="utf-8")
    with pytest.raises(JSONLError):
        load_articles([f])


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200), suffix=st.sampled_from([".txt", ".jsonl"]))
def test_any_bytes_give_articles_or_a_clear_error(tmp_path: Path, data: bytes, suffix: str) -> None:
    f = tmp_path / f"fuzz{suffix}"
    f.write_bytes(data)
    try:
        arts = load_articles([f])
    except InputError as exc:
        assert str(exc).startswith("[E1")
    else:
        assert arts and all(a.text.strip() for a in arts)


def test_folder_given_with_dot_dot_and_hidden_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("A.", encoding="utf-8")
    (tmp_path / "data" / ".hidden.txt").write_text("H.", encoding="utf-8")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    assert [a.id for a in load_articles(["../data"])] == ["a.txt"]
