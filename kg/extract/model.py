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

import bisect
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.extract.doc import DocState, identity
from kg.nlp import MODEL_DIR

if TYPE_CHECKING:
    import numpy as np

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


def index_path(head: list[int], a: int, b: int) -> tuple[list[int], int, list[int]] | None:
    """Token indices from ``a`` up to the lowest common ancestor, that ancestor, and the indices from there
    down to ``b`` (None when they are not in one tree or the path is very long)."""
    up_a = [a]
    while head[up_a[-1]] != up_a[-1] and len(up_a) <= _MAX_PATH * 2:
        up_a.append(head[up_a[-1]])
    index = {t: n for n, t in enumerate(up_a)}
    up_b = [b]
    while up_b[-1] not in index:
        if head[up_b[-1]] == up_b[-1] or len(up_b) > _MAX_PATH * 2:
            return None
        up_b.append(head[up_b[-1]])
    lca = up_b[-1]
    return up_a[: index[lca]], lca, list(reversed(up_b[:-1]))


def token_heads(st: DocState) -> list[int]:
    """The index of every token's head (computed once per document)."""
    return _view(st).head


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


@dataclass
class _DocView:
    """Per-document arrays the features read, built once: a spaCy ``Token`` is costly to make per lookup."""

    lemma: list[str]
    lower_lemma: list[str]
    idx: list[int]
    end: list[int]
    space: list[bool]
    pos: list[str]
    ent: list[str]
    head: list[int]
    dep: list[str]
    starts_by_sentence: dict[int, list[int]]


def _view(st: DocState) -> _DocView:
    view = st.cache.get("model_view")
    if isinstance(view, _DocView):
        return view
    import numpy as np
    from spacy.attrs import DEP, ENT_TYPE, HEAD, IDX, IS_SPACE, LEMMA, LENGTH, LIKE_NUM, POS  # type: ignore[attr-defined]

    doc = st.doc
    # One array for the whole document: making a spaCy Token per attribute read costs more than the features.
    cols = doc.to_array([LEMMA, POS, ENT_TYPE, HEAD, DEP, IDX, IS_SPACE, LIKE_NUM, LENGTH])
    heads = cols[:, 3].astype(np.int64).tolist()  # relative offsets, stored as unsigned
    strings = doc.vocab.strings
    names: dict[int, str] = {0: ""}

    def name(i: int) -> str:
        if i not in names:
            names[i] = strings[i]
        return names[i]

    lemma, lower, pos, ent, head, dep, idx, end, space = [], [], [], [], [], [], [], [], []
    for i, (lem, p, e, _h, d, x, sp, num, n) in enumerate(cols.tolist()):
        h = heads[i]
        low = name(lem).lower()
        tag, label = name(p), name(e)
        lower.append(low)
        lemma.append(f"<{label}>" if label and tag == "PROPN" else "<num>" if num else low)
        pos.append(tag)
        ent.append(label)
        head.append(i + h)
        dep.append(name(d))
        idx.append(x)
        end.append(x + n)
        space.append(bool(sp))
    by_sent: dict[int, list[int]] = {}
    for m in st.mentions:
        by_sent.setdefault(m.sentence, []).append(m.start)
    view = _DocView(
        lemma=lemma,
        lower_lemma=lower,
        idx=idx,
        end=end,
        space=space,
        pos=pos,
        ent=ent,
        head=head,
        dep=dep,
        starts_by_sentence={k: sorted(v) for k, v in by_sent.items()},
    )
    st.cache["model_view"] = view
    return view


def pair_features(st: DocState, s: int, o: int, rule_hits: dict[tuple[int, int], set[str]]) -> list[str]:
    """The features of the ordered candidate pair (subject ``s``, object ``o``)."""
    v = _view(st)
    lem = v.lemma
    ms, mo = st.mentions[s], st.mentions[o]
    rs, ro = st.resolved(s), st.resolved(o)
    cs = st.mentions[rs].cls if rs is not None else ms.cls
    co = st.mentions[ro].cls if ro is not None else mo.cls
    hs, ho = st.heads[s], st.heads[o]
    order = "so" if ms.start < mo.start else "os"
    f = [
        f"cls:{cs}>{co}",
        f"cs:{cs}",
        f"co:{co}",
        f"kind:{ms.kind}>{mo.kind}",
        f"ord:{order}",
        f"dep:{hs.dep_}>{ho.dep_}",
    ]
    head, dep_of = v.head, v.dep
    sh, oh = head[hs.i], head[ho.i]
    f.append(f"sh:{lem[hs.i]}")
    f.append(f"oh:{lem[ho.i]}")
    # What governs each argument ("killed" over its object, "leader" over "of Y").
    f.append(f"sg:{dep_of[hs.i]}:{lem[sh]}")
    f.append(f"og:{dep_of[ho.i]}:{lem[oh]}")
    f.append(f"sgc:{cs}:{dep_of[hs.i]}:{lem[sh]}")
    f.append(f"ogc:{co}:{dep_of[ho.i]}:{lem[oh]}")
    f.append(f"sg2:{dep_of[hs.i]}:{dep_of[sh]}:{lem[head[sh]]}")
    f.append(f"og2:{dep_of[ho.i]}:{dep_of[oh]}:{lem[head[oh]]}")
    if ms.title:
        f.append(f"stitle:{ms.title.lower()}")
    if mo.title:
        f.append(f"otitle:{mo.title.lower()}")
    first_i, second_i = (hs.i, ho.i) if hs.i < ho.i else (ho.i, hs.i)
    left_end = min(ms.start, mo.start)
    right_start = max(ms.end, mo.end)
    span_first = ms if ms.start < mo.start else mo
    span_second = mo if ms.start < mo.start else ms
    between = [
        i for i in range(first_i, second_i + 1) if span_first.end <= v.idx[i] < span_second.start and not v.space[i]
    ]
    f.append(f"nb:{_bucket(len(between))}")
    # Other actors between the two: a relation usually links neighbours.
    starts = v.starts_by_sentence.get(ms.sentence, [])
    others = bisect.bisect_left(starts, span_second.start) - bisect.bisect_left(starts, span_first.end)
    f.append(f"mb:{_bucket(others)}")
    f.append(f"mbc:{cs}>{co}:{_bucket(others)}")
    words = [lem[i] for i in between]
    # The pair is ordered (subject, object): the same words between say different things in either order
    # ("X accused Y" against "Y accused X"), so each word feature is also conjoined with the order.
    if len(words) <= 10:  # in a long stretch the words between say little about these two
        for w in set(words):
            f.append(f"bw:{w}")
            f.append(f"bwo:{order}:{w}")
        f.extend({f"bb:{order}:{x} {y}" for x, y in itertools.pairwise(words)})
    f.extend({f"bv:{lem[i]}" for i in between if v.pos[i] in ("VERB", "NOUN") and not v.ent[i]})
    if words:
        f.append(f"bf:{words[0]}")
        f.append(f"bl:{words[-1]}")
        f.append(f"bfo:{order}:{words[0]}")
        f.append(f"blo:{order}:{words[-1]}")
    if len(words) <= 4:
        f.append(f"bws:{' '.join(words)}")
        f.append(f"bwso:{order}:{' '.join(words)}")
        f.append(f"bwsc:{cs}>{co}:{' '.join(words)}")
    n_tok = len(lem)
    before = [i for i in range(max(first_i - 3, 0), first_i + 1) if v.end[i] <= left_end and not v.space[i]]
    after = [i for i in range(second_i, min(second_i + 4, n_tok)) if v.idx[i] >= right_start and not v.space[i]]
    if before:
        f.append(f"l1:{lem[before[-1]]}")
        f.append(f"l1o:{order}:{lem[before[-1]]}")
        if len(before) > 1:
            f.append(f"l2:{lem[before[-2]]} {lem[before[-1]]}")
    if after:
        f.append(f"r1:{lem[after[0]]}")
        f.append(f"r1o:{order}:{lem[after[0]]}")
        if len(after) > 1:
            f.append(f"r2:{lem[after[0]]} {lem[after[1]]}")
    triggers = _roles(st)
    for i in between:
        for trig in triggers.get(v.lower_lemma[i], ()):
            f.append(f"tb:{trig}")
            f.append(f"tbo:{order}:{trig}")
    path = index_path(v.head, hs.i, ho.i)
    if path is None:
        f.append("path:none")
    else:
        up, lca, down = path
        dep, pos = v.dep, v.pos
        deps = [f"{dep[t]}^" for t in up] + [f"v{dep[t]}" for t in down]
        f.append(f"pd:{' '.join(deps)}")
        f.append(f"pdc:{cs}>{co}:{' '.join(deps)}")
        f.append(f"pp:{' '.join(pos[t] for t in (*up, lca, *down))}")
        f.append(f"plen:{_bucket(len(deps))}")
        inner = [*up[1:], *down[:-1]]
        full = (
            [f"{dep[t]}^" + (lem[t] if t in inner else "") for t in up]
            + [lem[lca]]
            + [f"v{dep[t]}" + (lem[t] if t in inner else "") for t in down]
        )
        if len(deps) <= _MAX_PATH:
            f.append(f"pf:{' '.join(full)}")
            f.append(f"pfc:{cs}>{co}:{' '.join(full)}")
        if lca not in (hs.i, ho.i):
            lemma = lem[lca]
            f.append(f"lca:{lemma}")
            f.append(f"lcad:{lemma}:{deps[0] if deps else ''}:{deps[-1] if deps else ''}")
            f.append(f"lcac:{cs}>{co}:{lemma}")
            for trig in triggers.get(v.lower_lemma[lca], ()):
                f.append(f"tl:{trig}")
                f.append(f"tld:{trig}:{deps[0] if deps else ''}:{deps[-1] if deps else ''}")
        for t in inner:
            f.append(f"pw:{lem[t]}")
            for trig in triggers.get(v.lower_lemma[t], ()):
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

        indptr, indices = [0], []
        for feats in features:
            indices.extend(sorted({self.vocab[x] for x in feats if x in self.vocab}))
            indptr.append(len(indices))
        n = len(indptr) - 1
        if n == 0:
            return np.zeros((0, len(self.labels)))
        # Summing weight rows by a sparse product: one matrix operation for the whole document.
        from scipy.sparse import csr_matrix  # type: ignore[import-untyped]

        x = csr_matrix((np.ones(len(indices), dtype=np.float32), indices, indptr), shape=(n, self.weights.shape[0]))
        out: np.ndarray[Any, Any] = np.asarray(x @ self.weights, dtype=np.float64) + self.bias
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
        # Row-major: scikit-learn's coefficients are saved transposed (column-major), and a sparse product with
        # a column-major matrix copies the whole matrix on every call.
        weights = np.ascontiguousarray(z["weights"], dtype=np.float32)
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
