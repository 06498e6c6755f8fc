"""The ingest stage: read input paths into :class:`~kg.records.Article` records.

Reads ``.txt`` files (one article each), ``.jsonl`` files (one ``{"id", "text" or "html", "title"?,
"date"?, "url"?}`` object per line), saved web pages (``.html``, ``.htm``) and web archives (``.warc``,
``.warc.gz``: every HTML response is one article), given one by one or as folders (searched recursively).
Pages go through :mod:`kg.web`. Every input is checked before anything is parsed, so a bad file stops the
build before any output is written.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import re
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

from kg.errors import (
    BinaryInputError,
    EmptyInputError,
    EncodingError,
    InputError,
    JSONLError,
    KGWarning,
    UnknownFormatError,
)
from kg.records import MANIFEST, Article

FORMATS = (".txt", ".jsonl", ".html", ".htm", ".warc", ".warc.gz")
_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_CHARS = 1_000_000  # spaCy's default limit; a longer "article" is almost surely not one
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2}([T ][0-9:.+\-Z]*)?)?)?$")


def valid_date(value: str) -> bool:
    """Whether an ISO 8601 date, year-month or year (a time after the date is not checked) is on the calendar."""
    parts = value[:10].split("-")
    try:
        if len(parts) == 3:
            datetime.date(int(parts[0]), int(parts[1]), int(parts[2]))
        elif len(parts) == 2:
            datetime.date(int(parts[0]), int(parts[1]), 1)
        else:
            datetime.date(int(parts[0]), 1, 1)
    except ValueError:
        return False
    return True


def find_files(sources: Iterable[str | Path]) -> list[tuple[Path, str]]:
    """Expand folders into the ``.txt`` and ``.jsonl`` files under them, in a stable order.

    Returns (path, name) pairs; the name (path relative to the folder given, or the file name) is the
    document id of a ``.txt`` file.

    Raises:
        InputError: A path does not exist.
        UnknownFormatError: A file named directly is not ``.txt`` or ``.jsonl``.
        EmptyInputError: A folder holds no file kg reads.
    """
    files: list[tuple[Path, str]] = []
    for src in sources:
        path = Path(src)
        try:
            exists = path.exists()
        except OSError as exc:  # a name over 255 bytes, a path over 4,096
            raise InputError(f"cannot read '{str(path)[:80]}...': {exc.strerror or exc}") from None
        if not exists:
            raise InputError(f"input path not found: '{path}'")
        if path.is_dir():
            found = sorted(_walk(path))
            if not found:
                raise EmptyInputError(f"folder '{path}' has no {' or '.join(FORMATS)} files")
            files.extend((p, p.relative_to(path).as_posix()) for p in found)
        elif _readable(path):
            files.append((path, path.name))
        else:
            raise UnknownFormatError(
                f"cannot read '{path}': unknown format '{path.suffix or '(no extension)'}'; "
                f"kg reads {', '.join(FORMATS)}"
            )
    return files


def looks_english(text: str) -> bool:
    """A cheap check on the first 5,000 characters: most letters Latin, and English function words (spaCy's
    English stop words) at least a fifth of the words, as in any English prose. Short texts (under 30 words)
    always pass: a headline or a list has too few words to tell."""
    from spacy.lang.en.stop_words import STOP_WORDS

    head = text[:5000]
    letters = [c for c in head if c.isalpha()]
    if len(letters) < 100:
        return True
    latin = sum(1 for c in letters if c < "\u0250")
    if latin / len(letters) < 0.6:
        return False
    words = re.findall(r"[a-z]+", head.lower())
    if len(words) < 30:
        return True
    return sum(1 for w in words if w in STOP_WORDS) / len(words) >= 0.2


def _walk(top: Path) -> Iterator[Path]:
    """The input files under ``top``, saying (as a warning) what is skipped and why: hidden files and folders
    quietly (".git"), but an unreadable folder, a linked folder (not followed: links can loop) and a kg output
    folder (its .jsonl files are outputs, not articles) each with a warning."""

    def unreadable(exc: OSError) -> None:
        warnings.warn(f"skipping folder '{exc.filename}': {exc.strerror or exc}", KGWarning, stacklevel=4)

    for root, dirs, files in os.walk(top, onerror=unreadable):
        here = Path(root)
        for d in list(dirs):
            sub = here / d
            if d.startswith("."):
                dirs.remove(d)
            elif sub.is_symlink():
                dirs.remove(d)
                warnings.warn(f"skipping '{sub}': a link to a folder is not followed", KGWarning, stacklevel=4)
            elif _is_output_folder(sub):
                dirs.remove(d)
                warnings.warn(f"skipping '{sub}': it holds the output of a kg build", KGWarning, stacklevel=4)
        for f in files:
            p = here / f
            if not f.startswith(".") and _readable(p) and p.is_file():
                yield p


def _is_output_folder(path: Path) -> bool:
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and "kg_version" in manifest and "files" in manifest


def _readable(path: Path) -> bool:
    return path.name.lower().endswith(FORMATS)


def _regular(path: Path, max_bytes: int | None = None) -> int:
    """The size of ``path``, checked before a byte is read: a device, a pipe or a socket never ends (a link
    to /dev/zero would fill memory), and a file over ``max_bytes`` cannot hold a text kg accepts."""
    import stat

    try:
        st = path.stat()
    except OSError as exc:
        raise InputError(f"cannot read '{path}': {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"cannot read '{path}': not a regular file (a device, pipe or socket)")
    if max_bytes is not None and st.st_size > max_bytes:
        raise InputError(
            f"file '{path}' is {st.st_size:,} bytes; a text file holds one article of at most "
            f"{MAX_CHARS:,} characters (split it, or give a .jsonl file with one article per line)"
        )
    return st.st_size


def _read_text(path: Path, max_bytes: int | None = None) -> str:
    _regular(path, max_bytes)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read '{path}': {exc.strerror or exc}") from None
    if not data.strip():
        raise EmptyInputError(f"file '{path}' is empty")
    if b"\x00" in data[:8192]:
        raise BinaryInputError(f"file '{path}' is binary, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EncodingError(
            f"file '{path}' is not valid UTF-8 (bad byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "convert it to UTF-8 first"
        ) from None
    if not text.strip():
        raise EmptyInputError(f"file '{path}' is empty")
    head = text[:8192]
    controls = sum(1 for c in head if ord(c) < 32 and c not in "\n\r\t\f")
    if controls > max(2, len(head) // 20):
        raise BinaryInputError(f"file '{path}' is binary, not text ({controls} control characters in its start)")
    return text


def _check_length(text: str, where: str) -> None:
    if len(text) > MAX_CHARS:
        raise InputError(f"{where}: text has {len(text):,} characters; kg reads articles of at most {MAX_CHARS:,}")


def read_txt(path: Path, doc_id: str | None = None) -> Article:
    """One article from a text file; its title is the first non-empty line."""
    text = _read_text(path, 4 * MAX_CHARS)  # UTF-8 takes at most 4 bytes a character
    _check_length(text, str(path))
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return Article(id=doc_id or path.name, text=text, title=first[:200] or None, source=str(path))


def read_jsonl(path: Path) -> Iterator[Article]:
    """Articles from a JSON Lines file, one object per line; blank lines are skipped.

    Raises:
        JSONLError: A line that is not a JSON object with a non-empty string ``text`` (names the line).
    """
    text = _read_text(path)
    count = 0
    # Lines end at \n only: str.splitlines would also cut at U+2028 or U+0085 inside a JSON string.
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        where = f"{path}, line {lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise JSONLError(f"{where}: invalid JSON ({exc.msg} at column {exc.colno})") from None
        except RecursionError:
            raise JSONLError(f"{where}: JSON nested too deeply to be an article") from None
        except ValueError as exc:  # an integer of more than 4,300 digits
            raise JSONLError(f"{where}: invalid JSON ({exc})") from None
        if not isinstance(obj, dict):
            raise JSONLError(f"{where}: expected a JSON object, got {type(obj).__name__}")
        body = obj.get("text")
        html = obj.get("html")
        if body is None and html is not None:
            if not isinstance(html, str) or not html.strip():
                raise JSONLError(f"{where}: field 'html' must be a non-empty string")
        elif not isinstance(body, str) or not body.strip():
            raise JSONLError(f"{where}: field 'text' (or 'html') must be a non-empty string")
        else:
            _check_length(body, where)
        for name in ("text", "html", "id", "title", "date", "url"):
            value = obj.get(name)
            bad = _SURROGATE.search(value) if isinstance(value, str) else None
            if bad is not None:
                raise JSONLError(
                    f"{where}: field '{name}' holds a lone surrogate (\\u{ord(bad.group()):04x}) at character "
                    f"{bad.start()}, which is no character; the file was written by a broken encoder"
                )
        doc_id = obj.get("id", f"{path.name}:{lineno}")
        if not isinstance(doc_id, (str, int)) or str(doc_id).strip() == "":
            raise JSONLError(f"{where}: field 'id' must be a non-empty string")
        fields: dict[str, str | None] = {}
        for name in ("title", "date", "url"):
            value = obj.get(name)
            if value is not None and not isinstance(value, str):
                raise JSONLError(f"{where}: field '{name}' must be a string, got {type(value).__name__}")
            fields[name] = value or None
        if fields["date"] and not _DATE.match(fields["date"]):
            raise JSONLError(f"{where}: field 'date' must be an ISO 8601 date (YYYY-MM-DD), got '{fields['date']}'")
        if fields["date"] and not valid_date(fields["date"]):
            warnings.warn(
                f"{where}: field 'date' {fields['date']!r} is not a calendar date; the document is read without one",
                KGWarning,
                stacklevel=2,
            )
            fields["date"] = None
        count += 1
        if body is None:
            from kg.web import article_from_html

            page = article_from_html(str(html), str(doc_id), where=where, source=str(path), url=fields["url"])
            # Fields the line gives win over what the page says of itself.
            yield dataclasses.replace(
                page,
                title=fields["title"] or page.title,
                date=fields["date"] or page.date,
                url=fields["url"] or page.url,
            )
        else:
            yield Article(id=str(doc_id), text=body, source=str(path), **fields)
    if count == 0:
        raise EmptyInputError(f"file '{path}' has no articles")


def read_file(path: Path, name: str | None = None) -> Iterator[Article]:
    """The articles of one input file, by its format."""
    from kg import web

    if path.suffix.lower() == ".jsonl":
        yield from read_jsonl(path)
    elif web.is_warc(path):
        _check_file(path)
        yield from web.read_warc(path)
    elif web.is_html(path):
        _check_file(path)
        yield web.read_html(path, name)
    else:
        yield read_txt(path, name)


def _check_file(path: Path) -> None:
    size = _regular(path)
    if size == 0:
        raise EmptyInputError(f"file '{path}' is empty")


def load_articles(sources: Iterable[str | Path]) -> list[Article]:
    """Read and check every input; ids must be unique across the whole build.

    Raises:
        InputError: (or a subclass) for the first bad input, naming it.
    """
    files = find_files(sources)
    articles: list[Article] = []
    seen: dict[str, str] = {}
    for path, name in files:
        batch = list(read_file(path, name))
        for a in batch:
            if a.id in seen:
                raise InputError(f"duplicate document id '{a.id}' in '{path}' (first seen in '{seen[a.id]}')")
            seen[a.id] = str(path)
            articles.append(a)
    return articles


def article_from_text(text: str, doc_id: str) -> Article:
    """An article from a string (for the library API)."""
    if not text.strip():
        raise EmptyInputError(f"text '{doc_id}' is empty")
    _check_length(text, doc_id)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return Article(id=doc_id, text=text, title=first[:200] or None)
