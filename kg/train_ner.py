"""Fine-tuning spaCy's entity recognizer on the project's data (the first half of ``kg train``).

The small English model finds actor names with about 0.72 F1 on CoNLL04 and misses many organisations in
news; every relation needs both of its ends found first. This module continues training the model's own
``ner`` component (its weights, its labels, its architecture; nothing else in the pipeline changes) on:

- CoNLL04's train split (nine tenths; the tenth the relation model holds out is left out here too):
  Peop -> PERSON, Org -> ORG, Loc -> GPE or LOC. The annotation is exhaustive for these types, so a person,
  organisation or place the stock model finds where CoNLL04 marks none is taught as no entity. A title at the
  start of a person's span is left out ("President Kennedy" -> "Kennedy"), as kg's mentions and our
  guidelines write names. "Other" spans (dates, quantities, events) are left unknown: no gradient either way.
- The train split of the Wikinews annotations (docs/ANNOTATION.md): every actor the annotators marked by a
  name (not pronouns, descriptions or common-noun collectives) is an entity of the matching label.

What the annotations do not cover keeps the stock model's own prediction (rehearsal): dates, numbers and the
other labels kg does not annotate are taught back as the model found them, so fine-tuning does not make the
recognizer forget them. The Wikinews test split and CoNLL04 dev are never read here. Training is
deterministic on CPU: fixed seeds, fixed order, fixed number of epochs.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.annotations import load
from kg.errors import InputError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.training import Example

EPOCHS = 12
BATCH = 16
DROPOUT = 0.2
SEED = 0
#: Labels for people, organisations and places: the ones CoNLL04 marks exhaustively.
_ACTOR_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"})
#: Allowed spaCy labels per gold type, the first the default; the stock model's own label is kept when allowed
#: (a region the model calls LOC stays LOC).
_CONLL_LABELS = {"Peop": ("PERSON",), "Org": ("ORG", "NORP"), "Loc": ("GPE", "LOC", "FAC")}
_WIKINEWS_LABELS = {
    "Person": ("PERSON",),
    "Country": ("GPE", "NORP"),
    "City": ("GPE",),
    "Region": ("GPE", "LOC"),
    "Organization": ("ORG", "NORP"),
    "ArmedGroup": ("ORG", "NORP"),
    "Group": ("NORP", "ORG"),
}
GoldSpan = tuple[int, int, tuple[str, ...]]


def _example(
    nlp: Language, text: str, gold: Sequence[GoldSpan], exhaustive: bool, unknown: Sequence[tuple[int, int]]
) -> Example | None:
    """One training example: the stock model's entities, overridden by the gold spans.

    ``exhaustive``: the gold marks every person, organisation and place, so the stock model's other ones are
    taught as none. ``unknown``: character spans whose tokens get no label either way."""
    from spacy.training import Example, offsets_to_biluo_tags

    from kg.nlp import prepare_text
    from kg.ontology import load_ontology

    text = prepare_text(text, load_ontology())
    ner = nlp.get_pipe("ner")
    labels = set(ner.labels)  # type: ignore[attr-defined]
    doc = nlp(text)
    stock = [(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in labels]
    by_span = {(s, e): lab for s, e, lab in stock}
    ents: list[tuple[int, int, str]] = []
    for s, e, allowed in gold:
        lab = by_span.get((s, e))
        if lab not in allowed:
            lab = next((b for (bs, be), b in by_span.items() if bs < e and s < be and b in allowed), allowed[0])
        ents.append((s, e, lab))
    for s, e, lab in stock:
        if any(s < ge and gs < e for gs, ge, _ in gold) or any(s < ue and us < e for us, ue in unknown):
            continue
        if exhaustive and lab in _ACTOR_LABELS:
            continue
        ents.append((s, e, lab))
    pred = nlp.make_doc(text)
    nlp.get_pipe("kg_acronym_norms")(pred)  # the recognizer reads norms; give it the ones a build gives
    try:
        tags = offsets_to_biluo_tags(pred, ents)  # tokens outside every span are "O"; misaligned spans "-"
    except ValueError:  # overlapping gold spans: leave the sentence out
        return None
    for us, ue in unknown:
        for tok in pred:
            if tok.idx < ue and us < tok.idx + len(tok):
                tags[tok.i] = "-"
    return Example.from_dict(pred, {"entities": tags})


def training_examples(nlp: Language, data: Path, annotations: Path) -> tuple[list[Example], dict[str, int]]:
    """The examples from CoNLL04 train (nine tenths) and the Wikinews train split, in a fixed order."""
    import warnings

    from kg.conll04 import read
    from kg.ontology import load_ontology
    from kg.train import is_heldout_conll

    titles = {t.lower() for t in load_ontology().titles}
    conll_path = data / "conll04" / "train.jsonl"
    if not conll_path.is_file():
        raise InputError(f"CoNLL04 train split not found: '{conll_path}'")
    out: list[Example] = []
    counts = {"conll04": 0, "wikinews": 0, "skipped": 0}
    with warnings.catch_warnings():
        # A gold span that does not fall on token boundaries is left out of training (W030); that is the point.
        warnings.filterwarnings("ignore", message=r".*\[W030\]")
        for row in read(conll_path):
            if is_heldout_conll(row["id"]):
                continue
            text = row["text"]
            gold: list[GoldSpan] = []
            unknown: list[tuple[int, int]] = []
            for ent in row["entities"]:
                start, end = ent["start"], ent["end"]
                if ent["type"] not in _CONLL_LABELS:
                    unknown.append((start, end))
                    continue
                words = text[start:end].split(" ")
                if ent["type"] == "Peop" and len(words) > 1 and words[0][:1].isupper() and words[0].lower() in titles:
                    start += len(words[0]) + 1
                gold.append((start, end, _CONLL_LABELS[ent["type"]]))
            ex = _example(nlp, text, gold, True, unknown)
            counts["conll04" if ex is not None else "skipped"] += 1
            if ex is not None:
                out.append(ex)
        sentences = load([annotations], splits=("train",))
        if not sentences:
            raise InputError(f"no train annotations in '{annotations}'")
        pronouns = {"he", "she", "it", "they", "i", "we", "you"}
        for sent in sentences:
            gold = [
                (m.start - sent.start, m.end - sent.start, _WIKINEWS_LABELS[m.type])
                for m in sent.mentions
                if m.text[:1].isupper() and not m.refers_to and m.text.lower() not in pronouns
            ]
            ex = _example(nlp, sent.text, gold, False, ())
            counts["wikinews" if ex is not None else "skipped"] += 1
            if ex is not None:
                out.append(ex)
    return out, counts


def train_ner(
    data: str | Path, annotations: str | Path, out_dir: str | Path, model: str | None = None
) -> dict[str, Any]:
    """Fine-tune the recognizer and write it to ``out_dir/ner`` (with ``kg-ner.json``); return a report."""
    from spacy.util import fix_random_seed, minibatch  # type: ignore[attr-defined]

    from kg.nlp import NER_META, NER_SUBDIR, load_pipeline, ner_signature

    t0 = time.perf_counter()
    fix_random_seed(SEED)
    nlp = load_pipeline(model, tuned_ner=False)
    examples, counts = training_examples(nlp, Path(data), Path(annotations))
    t1 = time.perf_counter()
    losses_by_epoch: list[float] = []
    with nlp.select_pipes(enable=["ner"]):
        optimizer = nlp.resume_training()
        for epoch in range(EPOCHS):
            random.Random(SEED + epoch).shuffle(examples)
            losses: dict[str, float] = {}
            for batch in minibatch(examples, size=BATCH):  # type: ignore[no-untyped-call]
                nlp.update(batch, sgd=optimizer, drop=DROPOUT, losses=losses)
            losses_by_epoch.append(round(float(losses.get("ner", 0.0)), 1))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / (NER_SUBDIR + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    nlp.get_pipe("ner").to_disk(tmp, exclude=["vocab"])  # type: ignore[attr-defined]
    meta = {
        "about": "kg's fine-tuned spaCy entity recognizer (kg.train_ner); loaded by kg.nlp.load_pipeline",
        "version": "1",
        "base": f"{nlp.meta.get('lang')}_{nlp.meta.get('name')}-{nlp.meta.get('version')}",
        "signature": ner_signature(nlp),
        "epochs": EPOCHS,
        "examples": counts,
    }
    (tmp / NER_META).write_text(json.dumps(meta, indent=1, sort_keys=True), encoding="utf-8")
    final = out / NER_SUBDIR
    shutil.rmtree(final, ignore_errors=True)
    tmp.replace(final)
    return {
        "examples": counts,
        "loss_by_epoch": losses_by_epoch,
        "seconds": {"examples": round(t1 - t0, 1), "fit": round(time.perf_counter() - t1, 1)},
    }
