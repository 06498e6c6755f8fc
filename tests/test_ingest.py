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
    KGWarning,
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


def test_a_date_off_the_calendar_is_dropped_with_a_warning(tmp_path: Path) -> None:
    f = tmp_path / "x.jsonl"
    rows = [{"id": "a", "text": "T.", "date": "2019-13-45"}, {"id": "b", "text": "T.", "date": "2020-02-29"}]
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n", "utf-8")
    with pytest.warns(KGWarning, match=r"line 1: field 'date' '2019-13-45' is not a calendar date"):
        a, b = load_articles([f])
    assert (a.date, b.date) == (None, "2020-02-29")


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\u0085", "\x1c", "\x0b"])
def test_jsonl_lines_end_at_newline_only(tmp_path: Path, sep: str) -> None:
    # json.dumps(ensure_ascii=False) writes these raw inside a string; str.splitlines would cut the line there.
    f = tmp_path / "x.jsonl"
    f.write_text(json.dumps({"id": "a", "text": f"One{sep}two."}, ensure_ascii=False) + "\n", "utf-8")
    (a,) = load_articles([f])
    assert a.text == f"One{sep}two."


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


@pytest.mark.parametrize("suffix", [".txt", ".jsonl", ".html", ".warc"])
def test_special_files_are_refused_before_reading(tmp_path: Path, suffix: str) -> None:
    import os

    zero = tmp_path / f"zero{suffix}"
    zero.symlink_to("/dev/zero")  # read to the end, this never ends
    with pytest.raises(InputError, match=r"not a regular file"):
        load_articles([zero])
    fifo = tmp_path / f"fifo{suffix}"
    os.mkfifo(fifo)  # opening it would block for ever
    with pytest.raises(InputError, match=r"not a regular file"):
        load_articles([fifo])


def test_a_text_file_too_large_for_an_article_is_refused_before_reading(tmp_path: Path) -> None:
    from kg.ingest import MAX_CHARS

    big = tmp_path / "big.txt"
    with big.open("wb") as fh:
        fh.truncate(4 * MAX_CHARS + 1)  # sparse: the size is there, no byte is read
    with pytest.raises(InputError, match=r"is 4,000,001 bytes"):
        load_articles([big])


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
