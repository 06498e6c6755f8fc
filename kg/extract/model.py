"""The trained relation model: features of a pair of actor mentions, and the scorer that reads shipped weights.

Every ordered pair of actor mentions in one sentence is a candidate. Its features come from the parse and
the ontology: the two mentions' classes and kinds, the dependency path between their heads (labels, the
words on it, the lowest common ancestor), the words between them and around them, titles, trigger words the
ontology lists for each relation, and which rules fired on the pair. A multinomial logistic regression
(trained by :mod:`kg.train` with scikit-learn) gives each pair a probability for every relation of the
ontology and for "none"; direction is the order of the pair.

Scoring needs only numpy: the weights ship in ``kg/models/relations.npz`` with their feature vocabulary
in ``relations.json`` (a few MB), and are loaded once per process.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.extract.doc import DocState, identity

if TYPE_CHECKING:
    import numpy as np
    from spacy.tokens import Token

#: The shipped weights; ``$KG_MODEL_DIR`` points elsewhere (an empty folder gives the rules alone).
MODEL_DIR = Path(os.environ.get("KG_MODEL_DIR") or Path(__file__).resolve().parent.parent / "models")
WEIGHTS = "relations.npz"
META = "relations.json"
NONE = "none"
#: Mentions that can take part in a relation: names and collectives, and pronouns and descriptions that
#: were linked to one.
_KINDS = ("name", "collective", "pronoun", "description")
_MAX_PATH = 8


def _bucket(n: int) -> str:
    for limit, name in ((0, "0"), (1, "1"), (2, "2"), (4, "3-4"), (7, "5-7"), (12, "8-12")):
        if n <= limit:
            return name
    return "13+"


def _lemma(t: Token) -> str:
    if t.ent_type_ and t.pos_ == "PROPN":
        return f"<{t.ent_type_}>"
    if t.like_num:
        return "<num>"
    return t.lemma_.lower()


def dependency_path(a: Token, b: Token) -> tuple[list[Token], Token | None, list[Token]] | None:
    """Tokens from ``a`` up to the lowest common ancestor, and from there down to ``b``."""
    up_a = [a]
    while up_a[-1].head is not up_a[-1] and len(up_a) <= _MAX_PATH * 2:
        up_a.append(up_a[-1].head)
    index = {t.i: n for n, t in enumerate(up_a)}
    up_b = [b]
    while up_b[-1].i not in index:
        if up_b[-1].head is up_b[-1] or len(up_b) > _MAX_PATH * 2:
            return None
        up_b.append(up_b[-1].head)
    lca = up_b[-1]
    return up_a[: index[lca.i]], lca, list(reversed(up_b[:-1]))


def candidate_pairs(st: DocState) -> Iterator[tuple[int, int]]:
    """Every ordered pair of actor mentions of one sentence that may be related."""
    by_sent: dict[int, list[int]] = {}
    for m in st.mentions:
        if m.kind not in _KINDS or (m.kind in ("pronoun", "description") and st.resolved(m.index) is None):
            continue
        by_sent.setdefault(m.sentence, []).append(m.index)
    for idxs in by_sent.values():
        for s in idxs:
            for o in idxs:
                if s == o:
                    continue
                ms, mo = st.mentions[s], st.mentions[o]
                rs, ro = st.resolved(s), st.resolved(o)
                if rs is not None and ro is not None and identity(st.mentions[rs]) == identity(st.mentions[ro]):
                    continue
                if ms.start < mo.end and mo.start < ms.end:
                    continue
                yield s, o


def _roles(st: DocState) -> dict[str, set[str]]:
    """Trigger word -> the relations it signals, from the ontology (cached on the ontology object)."""
    cached: dict[str, set[str]] | None = getattr(st.onto, "_model_triggers", None)
    if cached is not None:
        return cached
    out: dict[str, set[str]] = {}
    for rel in st.onto.relations.values():
        for kind, words in (("v", rel.verbs), ("n", rel.nouns), ("r", rel.roles)):
            for w in words:
                out.setdefault(w.split()[0], set()).add(f"{rel.name}:{kind}")
    object.__setattr__(st.onto, "_model_triggers", out)
    return out


def pair_features(st: DocState, s: int, o: int, rule_hits: dict[tuple[int, int], set[str]]) -> list[str]:
    """The features of the ordered candidate pair (subject ``s``, object ``o``)."""
    ms, mo = st.mentions[s], st.mentions[o]
    rs, ro = st.resolved(s), st.resolved(o)
    cs = st.mentions[rs].cls if rs is not None else ms.cls
    co = st.mentions[ro].cls if ro is not None else mo.cls
    hs, ho = st.heads[s], st.heads[o]
    doc = st.doc
    f = [
        f"cls:{cs}>{co}",
        f"cs:{cs}",
        f"co:{co}",
        f"kind:{ms.kind}>{mo.kind}",
        f"ord:{'so' if ms.start < mo.start else 'os'}",
        f"dep:{hs.dep_}>{ho.dep_}",
    ]
    if ms.title:
        f.append(f"stitle:{ms.title.lower()}")
    if mo.title:
        f.append(f"otitle:{mo.title.lower()}")
    first, second = (hs, ho) if hs.i < ho.i else (ho, hs)
    left_end = min(st.mentions[s].start, st.mentions[o].start)
    right_start = max(st.mentions[s].end, st.mentions[o].end)
    span_first = st.mentions[s] if ms.start < mo.start else st.mentions[o]
    span_second = st.mentions[o] if ms.start < mo.start else st.mentions[s]
    between = [t for t in doc[first.i : second.i + 1] if span_first.end <= t.idx < span_second.start and not t.is_space]
    f.append(f"nb:{_bucket(len(between))}")
    # Other actors between the two: a relation usually links neighbours.
    others = sum(1 for m in st.mentions if m.sentence == ms.sentence and span_first.end <= m.start < span_second.start)
    f.append(f"mb:{_bucket(others)}")
    f.append(f"mbc:{cs}>{co}:{_bucket(others)}")
    words = [_lemma(t) for t in between]
    f.extend(f"bw:{w}" for w in set(words))
    if words:
        f.append(f"bf:{words[0]}")
        f.append(f"bl:{words[-1]}")
    if len(words) <= 4:
        f.append(f"bws:{' '.join(words)}")
        f.append(f"bwsc:{cs}>{co}:{' '.join(words)}")
    before = [t for t in doc[max(first.i - 3, 0) : first.i + 1] if t.idx + len(t.text) <= left_end and not t.is_space]
    after = [t for t in doc[second.i : second.i + 4] if t.idx >= right_start and not t.is_space]
    if before:
        f.append(f"l1:{_lemma(before[-1])}")
    if after:
        f.append(f"r1:{_lemma(after[0])}")
    triggers = _roles(st)
    for t in between:
        for trig in triggers.get(t.lemma_.lower(), ()):
            f.append(f"tb:{trig}")
    path = dependency_path(hs, ho)
    if path is None:
        f.append("path:none")
    else:
        up, lca, down = path
        deps = [f"{t.dep_}^" for t in up] + [f"v{t.dep_}" for t in down]
        f.append(f"pd:{' '.join(deps)}")
        f.append(f"plen:{_bucket(len(deps))}")
        inner = [t for t in (*up[1:], *down[:-1])]
        full = (
            [f"{t.dep_}^" + (_lemma(t) if t in inner else "") for t in up]
            + [_lemma(lca) if lca is not None else ""]
            + [f"v{t.dep_}" + (_lemma(t) if t in inner else "") for t in down]
        )
        if len(deps) <= _MAX_PATH:
            f.append(f"pf:{' '.join(full)}")
            f.append(f"pfc:{cs}>{co}:{' '.join(full)}")
        if lca is not None and lca.i not in (hs.i, ho.i):
            lemma = _lemma(lca)
            f.append(f"lca:{lemma}")
            f.append(f"lcad:{lemma}:{deps[0] if deps else ''}:{deps[-1] if deps else ''}")
            f.append(f"lcac:{cs}>{co}:{lemma}")
            for trig in triggers.get(lca.lemma_.lower(), ()):
                f.append(f"tl:{trig}")
                f.append(f"tld:{trig}:{deps[0] if deps else ''}:{deps[-1] if deps else ''}")
        for t in inner:
            f.append(f"pw:{_lemma(t)}")
            for trig in triggers.get(t.lemma_.lower(), ()):
                f.append(f"tp:{trig}")
    for hit in rule_hits.get((s, o), ()):
        f.append(f"rule:{hit}")
        f.append(f"rulep:{hit.split(':')[0]}")
    for hit in rule_hits.get((o, s), ()):
        f.append(f"rrule:{hit.split(':')[0]}")
    return f


@dataclass(frozen=True)
class RelationModel:
    """Shipped weights: a feature vocabulary, one weight row per label, per-label thresholds."""

    labels: tuple[str, ...]
    vocab: dict[str, int]
    weights: np.ndarray[Any, Any]  # (features, labels)
    bias: np.ndarray[Any, Any]  # (labels,)
    thresholds: dict[str, float]
    meta: dict[str, Any]

    def probabilities(self, features: Iterable[list[str]]) -> np.ndarray[Any, Any]:
        """One row of label probabilities per candidate."""
        import numpy as np

        rows = list(features)
        out = np.zeros((len(rows), len(self.labels)), dtype=np.float64)
        for n, feats in enumerate(rows):
            idx = sorted({self.vocab[x] for x in feats if x in self.vocab})
            out[n] = self.bias + (self.weights[idx].sum(axis=0) if idx else 0.0)
        out -= out.max(axis=1, keepdims=True)
        np.exp(out, out=out)
        out /= out.sum(axis=1, keepdims=True)
        return out


@lru_cache(maxsize=2)
def load_model(directory: Path | None = None) -> RelationModel | None:
    """The shipped relation model (None when no weights are installed: extraction then uses rules only)."""
    import numpy as np

    d = directory or MODEL_DIR
    if not (d / WEIGHTS).is_file() or not (d / META).is_file():
        return None
    meta = json.loads((d / META).read_text(encoding="utf-8"))
    with np.load(d / WEIGHTS) as z:
        weights = z["weights"].astype(np.float32)
        bias = z["bias"].astype(np.float64)
    vocab = {name: i for i, name in enumerate(meta["features"])}
    return RelationModel(
        labels=tuple(meta["labels"]),
        vocab=vocab,
        weights=weights,
        bias=bias,
        thresholds={k: float(v) for k, v in meta["thresholds"].items()},
        meta={k: v for k, v in meta.items() if k != "features"},
    )
