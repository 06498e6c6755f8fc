"""The one error hierarchy of kg.

Every error a user can cause is a :class:`KGError` whose message names the bad value and, where there is a
closed set, the valid ones. The CLI prints ``str(error)`` on one line and exits non-zero; it never shows a
traceback for these.
"""

from __future__ import annotations


class KGError(Exception):
    """Base class of every error kg raises on purpose."""

    code = "E000"

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(f"[{self.code}] {message}")

    def __reduce__(self) -> tuple[type[KGError], tuple[str]]:
        # Errors raised in worker processes are pickled back; rebuild from the bare message.
        return (type(self), (self.message,))


class InputError(KGError):
    """An input path or document that kg cannot read."""

    code = "E100"


class UnknownFormatError(InputError):
    """A file whose extension kg does not read."""

    code = "E101"


class EmptyInputError(InputError):
    """An empty file, or a folder with nothing kg reads."""

    code = "E102"


class BinaryInputError(InputError):
    """A file that is not text."""

    code = "E103"


class EncodingError(InputError):
    """A text file that is not valid UTF-8."""

    code = "E104"


class JSONLError(InputError):
    """A malformed line in a JSONL file."""

    code = "E105"


class ModelError(KGError):
    """A spaCy model that cannot be loaded."""

    code = "E200"


class OntologyError(KGError):
    """An ontology file that is missing or inconsistent."""

    code = "E300"


class OutputError(KGError):
    """An output location kg cannot write to."""

    code = "E400"


class SettingsError(KGError):
    """A setting out of its valid range."""

    code = "E500"


class AnnotationError(KGError):
    """An annotation file that breaks docs/ANNOTATION.md."""

    code = "E600"


class ClusterError(KGError):
    """A build on a cluster (``--engine dask``) that the cluster could not finish: workers kept dying on a
    partition, or the scheduler went away."""

    code = "E900"


class KGWarning(UserWarning):
    """Something kg skipped or repaired in the input and went on (a date that is not a calendar date).

    The library issues these through :mod:`warnings`; the CLI prints each as one ``kg: warning:`` line."""
