"""Extraction: mentions, rule and model candidates, and the one place that combines them (:mod:`.combine`)."""

from kg.extract.combine import extract_document

__all__ = ["extract_document"]
