"""Web pages and web archives in: HTML through trafilatura, WARC through warcio.

A saved page becomes an :class:`~kg.records.Article` whose text is the page's main content (trafilatura
leaves menus, footers, related links and comments out) and whose title, date, author, site name and URL
come from the page's metadata. The metadata never enters the text that extraction reads; it goes to the
document's provenance. trafilatura and warcio are imported here only, so ``kg --help`` stays instant.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kg.errors import EmptyInputError, InputError
from kg.records import Article

HTML_SUFFIXES = (".html", ".htm")
WARC_SUFFIXES = (".warc", ".warc.gz")
#: Pages larger than this are not articles (and would take trafilatura minutes).
MAX_HTML_BYTES = 20_000_000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date(value: object) -> str | None:
    """A YYYY-MM-DD date that is on the calendar, else None (pages state odd dates)."""
    from kg.ingest import valid_date

    return value if isinstance(value, str) and _DATE.match(value) and valid_date(value) else None


#: Fewer words than this is not an article.
MIN_WORDS = 4


def is_html(path: Path) -> bool:
    return path.name.lower().endswith(HTML_SUFFIXES)


def is_warc(path: Path) -> bool:
    return path.name.lower().endswith(WARC_SUFFIXES)


def _decode(data: bytes, charset: str | None = None) -> str:
    for enc in (charset, "utf-8"):
        if not enc:
            continue
        try:
            return data.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    # A page that lies about its encoding is still a page: keep what decodes.
    return data.decode("utf-8", errors="replace")


def article_from_html(
    html: str | bytes,
    doc_id: str,
    *,
    where: str,
    source: str | None = None,
    url: str | None = None,
    date: str | None = None,
) -> Article:
    """The main content and metadata of one HTML page.

    Args:
        html: The page.
        doc_id: The document id (the URL for a WARC record, the file name for a file).
        where: How to name the page in an error ("file 'x.html'", "'crawl.warc', record 12").
        source: The file it was read from.
        url: The page's URL when the container knows it (a WARC record does); the page's own canonical
            URL is used otherwise.
        date: A fallback date (a WARC record's capture date) when the page states none.

    Raises:
        EmptyInputError: The page has no main text.
        InputError: The page cannot be parsed as HTML.
    """
    import trafilatura

    if isinstance(html, bytes):
        html = _decode(html)
    if not html.strip():
        raise EmptyInputError(f"{where}: the page is empty")
    if len(html) > MAX_HTML_BYTES:
        raise InputError(
            f"{where}: the page has {len(html):,} characters; kg reads pages of at most {MAX_HTML_BYTES:,}"
        )
    try:
        doc: Any = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            favor_precision=True,
            deduplicate=False,
        )
    except Exception as exc:  # trafilatura raises many kinds on broken markup; all mean "not a page"
        raise InputError(f"{where}: cannot parse the page as HTML ({type(exc).__name__})") from None
    text = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
    # On a page with no article trafilatura may still return a menu word or a button ("Home", "Sign in").
    if len(text.split()) < MIN_WORDS:
        raise EmptyInputError(f"{where}: the page has no article text (no main content found)")
    meta_date = getattr(doc, "date", None)
    page_date = _date(meta_date)
    return Article(
        id=doc_id,
        # One blank line between paragraphs: the parser then closes a headline's sentence at its end.
        text=re.sub(r"\n+", "\n\n", text) + "\n",
        title=_clean(getattr(doc, "title", None)),
        date=page_date or date,
        url=url or _clean(getattr(doc, "url", None)),
        source=source,
        author=_clean(getattr(doc, "author", None)),
        site=_clean(getattr(doc, "sitename", None)),
    )


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value[:500] or None


def read_html(path: Path, doc_id: str | None = None, data: bytes | None = None) -> Article:
    """One article from a saved HTML page."""
    if data is None:
        if path.stat().st_size > MAX_HTML_BYTES:  # refuse before reading, not after
            raise InputError(f"file '{path}' is larger than {MAX_HTML_BYTES:,} bytes; kg reads pages up to that size")
        data = path.read_bytes()
    return article_from_html(data, doc_id or path.name, where=f"file '{path}'", source=str(path))


def read_warc(path: Path) -> Iterator[Article]:
    """Every HTML response of a WARC (or gzipped WARC) file, one article each, in archive order.

    The record's target URI is the document id and URL; its capture date is the fallback date.

    Raises:
        InputError: The file is not a WARC archive, or a record is broken (named by its number).
        EmptyInputError: The archive holds no HTML response.
    """
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    count = 0
    number = 0
    try:
        with path.open("rb") as fh:
            for number, record in enumerate(ArchiveIterator(fh), 1):
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                ctype = (record.http_headers.get_header("Content-Type") or "").lower()
                if "html" not in ctype:
                    continue
                status = record.http_headers.get_statuscode()
                if status and not status.startswith("2"):
                    continue
                uri = record.rec_headers.get_header("WARC-Target-URI") or f"{path.name}#{number}"
                captured = (record.rec_headers.get_header("WARC-Date") or "")[:10]
                charset = re.search(r"charset=([\w-]+)", ctype)
                body = record.content_stream().read(MAX_HTML_BYTES + 1)
                where = f"'{path}', record {number} ({uri})"
                html = _decode(body, charset.group(1) if charset else None)
                try:
                    art = article_from_html(
                        html,
                        uri,
                        where=where,
                        source=str(path),
                        url=uri,
                        date=_date(captured),
                    )
                except EmptyInputError:
                    continue  # a page with no article (an index, a login form) is not an input error in a crawl
                count += 1
                yield art
    except ArchiveLoadFailed as exc:
        raise InputError(f"'{path}' is not a readable WARC archive (record {number + 1}: {exc.msg})") from None
    except (OSError, EOFError, ValueError) as exc:
        raise InputError(
            f"'{path}': broken WARC archive at record {number + 1} ({type(exc).__name__}: {exc})"
        ) from None
    if count == 0:
        raise EmptyInputError(f"WARC file '{path}' has no HTML response with article text")
