"""Minting IRIs: stable, deterministic, safe for any input text."""

from __future__ import annotations

import hashlib
import unicodedata
from urllib.parse import quote

from kg.ontology import ID_BASE


def encode_segment(text: str) -> str:
    """Percent-encode ``text`` into one IRI path segment, injectively and readably.

    Spaces become ``_``; a literal ``_`` becomes ``%5F`` so that no two different texts share a segment.
    Text is NFC-normalised first so that the same name typed two ways gets one IRI.
    """
    text = unicodedata.normalize("NFC", text)
    encoded = quote(text, safe="")
    # quote() never escapes "_" so "%5F" can only come from here, and "_" only from a space.
    return encoded.replace("_", "%5F").replace("%20", "_")


def entity_iri(key: str) -> str:
    """The IRI of the entity with identity key ``key`` (``namespace/rest``)."""
    namespace, _, rest = key.partition("/")
    return f"{ID_BASE}{encode_segment(namespace)}/{encode_segment(rest)}"


def document_iri(doc_id: str) -> str:
    """The IRI of a document."""
    return f"{ID_BASE}doc/{encode_segment(doc_id)}"


def short_hash(*parts: object, length: int = 16) -> str:
    """A stable hexadecimal digest of ``parts`` (for assertion IRIs and document-local keys)."""
    h = hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8"), usedforsecurity=False)
    return h.hexdigest()[:length]
