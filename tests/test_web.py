"""HTML pages and web archives as input (kg.web): main text and metadata, errors, end-to-end provenance."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kg.errors import EmptyInputError, InputError, JSONLError
from kg.ingest import load_articles
from tests.conftest import TEST_DATA

PAGE = TEST_DATA / "web" / "junta.html"


def _warc(path: Path, records: list[tuple[str, str, bytes, str]]) -> Path:
    """A WARC/1.0 file with one response record per (uri, content type, body, status), written by hand (each
    record its own gzip member for .warc.gz, as crawlers write them)."""
    import gzip

    with path.open("wb") as fh:
        for n, (uri, ctype, body, status) in enumerate(records):
            http = f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
            head = (
                "WARC/1.0\r\nWARC-Type: response\r\n"
                f"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-{n:012d}>\r\n"
                f"WARC-Target-URI: {uri}\r\nWARC-Date: 2024-05-16T10:00:00Z\r\n"
                "Content-Type: application/http; msgtype=response\r\n"
                f"Content-Length: {len(http)}\r\n\r\n"
            ).encode()
            record = head + http + b"\r\n\r\n"
            fh.write(gzip.compress(record) if path.name.endswith(".gz") else record)
    return path


def test_html_page_gives_main_text_and_metadata() -> None:
    (a,) = load_articles([PAGE])
    assert a.title == "Junta arrests opposition leader"
    assert a.date == "2024-05-14"
    assert a.author == "Amara Okafor"
    assert a.site == "The Daily Meridian"
    assert a.url == "https://meridian.example/world/junta-arrests-opposition-leader"
    assert "arrested the opposition leader Ibrahim Sani" in a.text
    for furniture in ("Accept all cookies", "Share this article", "Related stories", "All rights reserved", "Photo:"):
        assert furniture not in a.text
    # the metadata never enters the text extraction reads
    assert "Amara Okafor" not in a.text


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_warc_every_html_response_is_one_article(tmp_path: Path, name: str) -> None:
    page = PAGE.read_bytes()
    path = _warc(
        tmp_path / name,
        [
            ("https://a.example/one", "text/html; charset=utf-8", page, "200 OK"),
            ("https://a.example/logo.png", "image/png", b"\x89PNG....", "200 OK"),
            ("https://a.example/gone", "text/html", b"<html><body>Not found</body></html>", "404 Not Found"),
            ("https://a.example/two", "text/html", page.replace(b"Ibrahim Sani", b"Moussa Tchangari"), "200 OK"),
        ],
    )
    arts = load_articles([path])
    assert [a.id for a in arts] == ["https://a.example/one", "https://a.example/two"]
    assert arts[0].url == "https://a.example/one"
    assert "Moussa Tchangari" in arts[1].text
    assert all(a.author == "Amara Okafor" for a in arts)


def test_folder_reads_html_and_warc(tmp_path: Path) -> None:
    (tmp_path / "page.htm").write_bytes(PAGE.read_bytes())
    _warc(tmp_path / "c.warc", [("https://b.example/x", "text/html", PAGE.read_bytes(), "200 OK")])
    assert sorted(a.id for a in load_articles([tmp_path])) == ["https://b.example/x", "page.htm"]


def test_jsonl_line_may_carry_html(tmp_path: Path) -> None:
    line = {"id": "p1", "html": PAGE.read_text(encoding="utf-8"), "date": "2024-05-15"}
    path = tmp_path / "pages.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    (a,) = load_articles([path])
    assert a.id == "p1" and a.date == "2024-05-15" and a.author == "Amara Okafor"
    assert "Ibrahim Sani" in a.text


@pytest.mark.parametrize(
    ("content", "error", "words"),
    [
        (b"", EmptyInputError, "empty"),
        (b"<html><head><title>x</title></head><body><nav>Home</nav></body></html>", EmptyInputError, "no article"),
    ],
)
def test_bad_pages_are_named(tmp_path: Path, content: bytes, error: type[Exception], words: str) -> None:
    path = tmp_path / "bad.html"
    path.write_bytes(content)
    with pytest.raises(error, match=words) as exc:
        load_articles([path])
    assert "bad.html" in str(exc.value)


def test_a_huge_page_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.web

    monkeypatch.setattr(kg.web, "MAX_HTML_BYTES", 100)
    path = tmp_path / "big.html"
    path.write_bytes(PAGE.read_bytes())
    with pytest.raises(InputError, match=r"big\.html.*larger than 100 bytes"):
        load_articles([path])


def test_bad_warcs_are_named(tmp_path: Path) -> None:
    junk = tmp_path / "junk.warc"
    junk.write_bytes(b"this is not an archive\n" * 20)
    with pytest.raises(InputError, match=r"junk\.warc"):
        load_articles([junk])
    images = _warc(tmp_path / "images.warc.gz", [("https://c.example/a.png", "image/png", b"\x89PNG", "200 OK")])
    with pytest.raises(EmptyInputError, match="no HTML response"):
        load_articles([images])


def test_jsonl_html_field_must_be_text(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "x", "html": 3}\n', encoding="utf-8")
    with pytest.raises(JSONLError, match="line 1"):
        load_articles([path])


def _kg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, timeout=600)


@pytest.mark.model
def test_html_and_warc_build_end_to_end_with_provenance(tmp_path: Path) -> None:
    import rdflib

    warc = _warc(
        tmp_path / "crawl.warc.gz",
        [("https://meridian.example/w/1", "text/html", PAGE.read_bytes(), "200 OK")],
    )
    out = tmp_path / "out"
    proc = _kg("build", str(PAGE), str(warc), "-o", str(out), "-q")
    assert proc.returncode == 0, proc.stderr
    text = (out / "graph.ttl").read_text(encoding="utf-8")
    g = rdflib.Graph().parse(data=text, format="turtle")
    assert len(g) > 0
    for value in ("Junta arrests opposition leader", "2024-05-14", "Amara Okafor", "The Daily Meridian"):
        assert value in text
    assert "https://meridian.example/w/1" in text
    lines = [json.loads(x) for x in (out / "relations.jsonl").read_text(encoding="utf-8").splitlines()]
    assert lines, "the page states relations"
    metas = {json.dumps(x["document_meta"], sort_keys=True) for x in lines}
    assert any('"author": "Amara Okafor"' in m and "junta-arrests" in m for m in metas)
    assert any("https://meridian.example/w/1" in m for m in metas)


@pytest.mark.model
def test_bad_warc_is_one_line_error_and_no_output(tmp_path: Path) -> None:
    bad = tmp_path / "bad.warc"
    bad.write_bytes(b"garbage" * 100)
    out = tmp_path / "out"
    proc = _kg("build", str(bad), "-o", str(out))
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "bad.warc" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()
