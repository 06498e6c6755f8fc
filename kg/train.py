"""Training the relation model (``kg train``): data from annotations, fitting, thresholds, the weights file.

Training data: the train split of the project's Wikinews annotations (``tests/data/annotations/wikinews``,
docs/ANNOTATION.md) and CoNLL04's train split (``../shared/data/conll04/train.jsonl``), whose relations map
onto ours (Kill -> killed, Work_For -> memberOf or leaderOf, Live_In -> livesIn, OrgBased_In and Located_In
-> locatedIn). Every document is parsed and its mentions found exactly as a build does; each ordered pair of
actor mentions in a sentence is an example, labelled with the annotated relation between the gold mentions
it overlaps, or "none".

The entity recognizer is fine-tuned first (kg.train_ner), and the pairs come from the mentions it finds.

Thresholds (one per relation) are chosen on held-out data only: the Wikinews dev split and one tenth of
CoNLL04 train (chosen by a hash of the sentence id). The Wikinews test split and CoNLL04 dev are never read
here. Fitting is scikit-learn's logistic regression with a fixed solver, so the same data gives the same
weights.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.annotations import SYMMETRIC, AnnotatedSentence, GoldMention, GoldRelation, load
from kg.errors import InputError
from kg.records import Article

#: Which label an ordered pair gets when the annotations give it several.
_PRIORITY = (
    "killed",
    "attacked",
    "leaderOf",
    "partOf",
    "memberOf",
    "supports",
    "alliedWith",
    "opposes",
    "locatedIn",
    "livesIn",
)
_CONLL = {
    "Kill": "killed",
    "Work_For": "memberOf",
    "Live_In": "livesIn",
    "OrgBased_In": "locatedIn",
    "Located_In": "locatedIn",
}
_CONLL_TYPES = {"Peop": "Person", "Org": "Organization", "Loc": "Country", "Other": "Group"}
MIN_FEATURE_COUNT = 2
C_GRID = (0.3, 1.0, 3.0)
K_FOLDS = 5
#: Precision floor for each relation's threshold on cross-validated pairs. 0.8 was measured to cost a tenth of
#: recall for two points of precision end to end (Wikinews dev P 0.779 R 0.371 at 0.8, P 0.756 R 0.413 at 0.7).
MIN_PRECISION = 0.7


@dataclass(frozen=True, slots=True)
class Example:
    features: list[str]
    label: str
    source: str  # "wikinews" or "conll04"
    doc: str


def is_heldout_conll(row_id: str) -> bool:
    """The tenth of CoNLL04 train held out for choosing thresholds (and left out of the recognizer's training)."""
    return int(hashlib.sha1(row_id.encode()).hexdigest(), 16) % 10 == 0


def wikinews_articles(path: str | Path) -> dict[str, Article]:
    """The Wikinews articles the annotations refer to, by id."""
    from kg.ingest import read_jsonl

    p = Path(path)
    if not p.is_file():
        raise InputError(f"Wikinews corpus not found: '{p}'")
    return {a.id: a for a in read_jsonl(p)}


def conll_annotations(path: str | Path, role_words: frozenset[str]) -> tuple[list[Article], list[AnnotatedSentence]]:
    """CoNLL04 sentences as articles with sentence annotations in our ontology.

    Work_For becomes leaderOf when a leader's role word ("president", "chairman") stands just before the
    person or between the two ("X, chairman of Y"), memberOf otherwise.
    """
    from kg.conll04 import read

    articles: list[Article] = []
    sentences: list[AnnotatedSentence] = []
    for row in read(path):
        text = row["text"]
        articles.append(Article(id=row["id"], text=text))
        ents = row["entities"]
        mentions = tuple(
            GoldMention(
                f"e{i}", e["start"], e["end"], text[e["start"] : e["end"]], _CONLL_TYPES.get(e["type"], "Group")
            )
            for i, e in enumerate(ents)
        )
        rels = []
        for r in row["relations"]:
            pred = _CONLL[r["type"]]
            h, t = ents[r["head"]], ents[r["tail"]]
            if pred == "memberOf":
                lo, hi = min(h["end"], t["end"]), max(h["start"], t["start"])
                window = text[max(h["start"] - 40, 0) : h["start"]] + " " + text[lo:hi]
                if any(w in role_words for w in window.lower().replace(",", " ").split()):
                    pred = "leaderOf"
            rels.append(GoldRelation(f"e{r['head']}", pred, f"e{r['tail']}"))
        split = "dev" if is_heldout_conll(row["id"]) else "train"
        sentences.append(AnnotatedSentence(row["id"], split, 0, 0, text, mentions, tuple(rels), row["id"]))
    return articles, sentences


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def _labels(st: Any, pairs: list[tuple[int, int]], gold: Sequence[AnnotatedSentence]) -> list[str]:
    """The gold label of each ordered mention pair of one document."""
    gmentions = [(sent, m) for sent in gold for m in sent.mentions]

    def align(idx: int) -> tuple[str, str] | None:
        m = st.mentions[idx]
        best, score = None, 0
        for sent, g in gmentions:
            ov = _overlap(m.start, m.end, g.start, g.end)
            if ov > score:
                best, score = (f"{sent.doc}#{sent.sent}", g.id), ov
        return best

    rel: dict[tuple[tuple[str, str], tuple[str, str]], set[str]] = {}
    for sent in gold:
        key = f"{sent.doc}#{sent.sent}"
        for r in sent.relations:
            rel.setdefault(((key, r.subject), (key, r.object)), set()).add(r.predicate)
            if r.predicate in SYMMETRIC:
                rel.setdefault(((key, r.object), (key, r.subject)), set()).add(r.predicate)
    aligned = {i: align(i) for p in pairs for i in p}
    out = []
    for s, o in pairs:
        a, b = aligned[s], aligned[o]
        preds = rel.get((a, b), set()) if a is not None and b is not None else set()
        out.append(next((p for p in _PRIORITY if p in preds), "none"))
    return out


def examples(
    articles: Iterable[Article],
    gold_by_doc: dict[str, list[AnnotatedSentence]],
    source: str,
    nlp: Any,
    onto: Any,
    clean_pages: bool = True,
) -> Iterator[Example]:
    """Parse each article as a build does and yield one example per ordered pair of actor mentions.

    ``clean_pages``: run the cleaning stage first (news articles; not benchmark sentences)."""
    from kg.clean import clean, load_furniture
    from kg.extract.combine import mentions_and_rules, rule_hits
    from kg.extract.model import candidate_pairs, pair_features
    from kg.nlp import parse

    arts = list(articles)
    furniture = load_furniture()
    blanks = {a.id: tuple(clean(a, furniture)) for a in arts} if clean_pages else {}
    for doc, article in parse(nlp, arts, onto, batch_size=32, blanks=blanks):
        st, candidates = mentions_and_rules(doc, article, onto)
        pairs = list(candidate_pairs(st))
        hits = rule_hits(candidates)
        labels = _labels(st, pairs, gold_by_doc.get(article.id, []))
        for (s, o), label in zip(pairs, labels, strict=True):
            yield Example(pair_features(st, s, o, hits), label, source, article.id)


def _matrix(rows: Sequence[Example], vocab: dict[str, int]) -> Any:
    import numpy as np
    from scipy.sparse import csr_matrix  # type: ignore[import-untyped]

    indptr, indices = [0], []
    for ex in rows:
        idx = sorted({vocab[f] for f in ex.features if f in vocab})
        indices.extend(idx)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float64)
    return csr_matrix((data, indices, indptr), shape=(len(rows), len(vocab)))


def _tune(probs: Any, gold: Sequence[str], labels: Sequence[str]) -> dict[str, float]:
    """Per relation, the probability threshold with the best F1 among those whose precision on held-out pairs
    reaches :data:`MIN_PRECISION` (the best F1 of all when none reaches it; 0.5 where too few are seen).

    A wrong edge costs an analyst more than a missed one, so precision comes first."""
    grid = [round(0.2 + 0.05 * i, 2) for i in range(16)]
    out: dict[str, float] = {}
    for j, label in enumerate(labels):
        if label == "none":
            continue
        positives = sum(1 for g in gold if g == label)
        if positives < 3:
            out[label] = 0.5
            continue
        best: tuple[bool, float, float] = (False, -1.0, 0.95)
        for t in grid:
            tp = sum(1 for n, g in enumerate(gold) if g == label and probs[n, j] >= t)
            fp = sum(1 for n, g in enumerate(gold) if g != label and probs[n, j] >= t)
            precise = tp + fp > 0 and tp / (tp + fp) >= MIN_PRECISION
            f1 = 2 * tp / (2 * tp + fp + (positives - tp)) if tp else 0.0
            if (precise, f1) > best[:2]:
                best = (precise, f1, t)
        out[label] = best[2]
    return out


def collect(
    data: str | Path, annotations: str | Path, model: str | None = None, tuned_ner: bool | Path = True
) -> tuple[list[Example], list[Example]]:
    """Training and held-out examples: (Wikinews train + nine tenths of CoNLL04 train, Wikinews dev + the
    other tenth). Parses every document: this is where the time goes."""
    from kg.nlp import load_pipeline
    from kg.ontology import load_ontology

    data = Path(data)
    onto = load_ontology()
    nlp = load_pipeline(model, tuned_ner=tuned_ner)
    role_words = frozenset(w for w in onto.relations["leaderOf"].roles if " " not in w)
    annotated = load([annotations], splits=("train", "dev"))
    if not annotated:
        raise InputError(f"no train or dev annotations in '{annotations}'")
    wiki = wikinews_articles(data / "wikinews" / "articles.jsonl")
    by_doc: dict[str, list[AnnotatedSentence]] = {}
    for sent in annotated:
        by_doc.setdefault(sent.doc, []).append(sent)
    missing = sorted(d for d in by_doc if d not in wiki)
    if missing:
        raise InputError(f"annotations name {len(missing)} documents not in the Wikinews corpus, e.g. {missing[0]!r}")
    split_of = {d: ss[0].split for d, ss in by_doc.items()}
    conll_path = data / "conll04" / "train.jsonl"
    if not conll_path.is_file():
        raise InputError(f"CoNLL04 train split not found: '{conll_path}'")
    conll_articles, conll_gold = conll_annotations(conll_path, role_words)
    conll_by_doc = {sent.doc: [sent] for sent in conll_gold}
    conll_split = {sent.doc: sent.split for sent in conll_gold}
    train_rows: list[Example] = []
    dev_rows: list[Example] = []
    for ex_ in examples([wiki[d] for d in sorted(by_doc)], by_doc, "wikinews", nlp, onto):
        (dev_rows if split_of[ex_.doc] == "dev" else train_rows).append(ex_)
    for ex_ in examples(conll_articles, conll_by_doc, "conll04", nlp, onto, clean_pages=False):
        (dev_rows if conll_split[ex_.doc] == "dev" else train_rows).append(ex_)
    return train_rows, dev_rows


def _fold(doc: str, k: int) -> int:
    return int(hashlib.sha1(doc.encode()).hexdigest(), 16) % k


def fit(train_rows: Sequence[Example], dev_rows: Sequence[Example], out_dir: str | Path) -> dict[str, Any]:
    """Choose the regularisation and the thresholds by cross-validation over training documents, fit on
    all of them, write the weights; report pair-level scores on the held-out rows."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from kg.extract.model import META, WEIGHTS

    counts: Counter[str] = Counter(f for ex_ in train_rows for f in set(ex_.features))
    features = sorted(f for f, c in counts.items() if c >= MIN_FEATURE_COUNT)
    vocab = {f: i for i, f in enumerate(features)}
    labels = ["none", *sorted({ex_.label for ex_ in train_rows} - {"none"})]
    x = _matrix(train_rows, vocab)
    y = np.array([labels.index(ex_.label) for ex_ in train_rows])
    folds = np.array([_fold(ex_.doc, K_FOLDS) for ex_ in train_rows])
    gold = [ex_.label for ex_ in train_rows]
    cv: dict[float, tuple[float, dict[str, float]]] = {}
    for c in C_GRID:
        oof = np.zeros((len(train_rows), len(labels)))
        for k in range(K_FOLDS):
            fold_clf = LogisticRegression(C=c, max_iter=3000, solver="lbfgs")
            fold_clf.fit(x[folds != k], y[folds != k])
            order = [list(fold_clf.classes_).index(i) if i in fold_clf.classes_ else -1 for i in range(len(labels))]
            p = fold_clf.predict_proba(x[folds == k])
            oof[folds == k] = np.stack([p[:, j] if j >= 0 else np.zeros(len(p)) for j in order], axis=1)
        thresholds = _tune(oof, gold, labels)
        cv[c] = (_micro_f1(oof, gold, labels, thresholds), thresholds)
    best_c = max(C_GRID, key=lambda c: (cv[c][0], -c))
    thresholds = cv[best_c][1]
    clf = LogisticRegression(C=best_c, max_iter=3000, solver="lbfgs")
    clf.fit(x, y)
    order = [list(clf.classes_).index(i) for i in range(len(labels))]
    weights = clf.coef_[order].T.astype(np.float32)
    bias = clf.intercept_[order].astype(np.float64)
    dev_probs = clf.predict_proba(_matrix(dev_rows, vocab))[:, order] if dev_rows else np.zeros((0, len(labels)))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta = {
        "about": "kg relation model: multinomial logistic regression over mention-pair features (kg.extract.model)",
        "labels": labels,
        "thresholds": thresholds,
        "C": best_c,
        "cross_validation": {str(c): round(v[0], 4) for c, v in sorted(cv.items())},
        "trained_on": {
            "wikinews_pairs": sum(1 for e in train_rows if e.source == "wikinews"),
            "conll04_pairs": sum(1 for e in train_rows if e.source == "conll04"),
            "positive_pairs": dict(sorted(Counter(e.label for e in train_rows if e.label != "none").items())),
        },
        "min_feature_count": MIN_FEATURE_COUNT,
        "features": features,
    }
    tmp_w, tmp_m = out / (WEIGHTS + ".tmp.npz"), out / (META + ".tmp")
    np.savez_compressed(tmp_w, weights=weights, bias=bias)
    tmp_m.write_text(json.dumps(meta, ensure_ascii=False, indent=0, sort_keys=True), encoding="utf-8")
    tmp_w.replace(out / WEIGHTS)
    tmp_m.replace(out / META)
    dev_gold = [e.label for e in dev_rows]
    return {
        "features": len(features),
        "C": best_c,
        "cross_validation_pair_f1": meta["cross_validation"],
        "thresholds": thresholds,
        "train_pairs": len(train_rows),
        "heldout_pairs": len(dev_rows),
        "heldout_pair_f1": round(_micro_f1(dev_probs, dev_gold, labels, thresholds), 4) if dev_rows else None,
    }


def _micro_f1(probs: Any, gold: Sequence[str], labels: Sequence[str], thresholds: dict[str, float]) -> float:
    tp = fp = fn = 0
    for n, g in enumerate(gold):
        for j, label in enumerate(labels):
            if label == "none":
                continue
            hit = probs[n, j] >= thresholds.get(label, 0.5)
            tp += hit and g == label
            fp += hit and g != label
            fn += (not hit) and g == label
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def train(
    data: str | Path, annotations: str | Path, out_dir: str | Path, model: str | None = None, ner: bool = True
) -> dict[str, Any]:
    """Rebuild the entity recognizer and the relation model from the data, write them to ``out_dir``; return a
    report. The relation model is trained on the mentions the new recognizer finds, as builds will see them.

    Args:
        data: The folder holding ``wikinews/articles.jsonl`` and ``conll04/train.jsonl`` (``../shared/data``).
        annotations: The Wikinews annotation folder (``tests/data/annotations/wikinews``).
        out_dir: Where ``relations.npz`` and ``relations.json`` go (``kg/models`` ships them).
        model: The spaCy pipeline to parse with (the one builds will use).
        ner: Fine-tune the entity recognizer first (``False``: keep the one in ``out_dir``, or the stock one).
    """
    from kg.train_ner import train_ner

    ner_report = train_ner(data, annotations, out_dir, model) if ner else None
    t0 = time.perf_counter()
    train_rows, dev_rows = collect(data, annotations, model, tuned_ner=Path(out_dir))
    t1 = time.perf_counter()
    report = fit(train_rows, dev_rows, out_dir)
    report["seconds"] = {"parse_and_features": round(t1 - t0, 1), "fit": round(time.perf_counter() - t1, 1)}
    if ner_report is not None:
        report["recognizer"] = ner_report
    return report
