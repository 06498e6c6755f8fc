"""The relation model: shipped weights, scoring without scikit-learn, threshold choice, and that `kg train`
reproduces the shipped model from the data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kg.extract.model import META, MODEL_DIR, WEIGHTS, RelationModel, load_model
from kg.nlp import NER_META, NER_SUBDIR
from kg.train import MIN_PRECISION, _tune, conll_annotations
from tests.conftest import SHARED, TEST_DATA


def test_shipped_model_loads_and_knows_the_ontology(ontology: object) -> None:
    model = load_model()
    assert model is not None, "kg/models/relations.npz is shipped with the package"
    assert model.labels[0] == "none"
    assert set(model.labels[1:]) <= set(ontology.relations)  # type: ignore[attr-defined]
    assert all(0 < t < 1 for t in model.thresholds.values())
    size = (MODEL_DIR / WEIGHTS).stat().st_size + (MODEL_DIR / META).stat().st_size
    assert size < 8_000_000, f"the shipped model is {size:,} bytes"


def test_shipped_recognizer_is_used_and_named_in_provenance(nlp: object) -> None:
    from kg.nlp import model_name

    assert (MODEL_DIR / NER_SUBDIR / NER_META).is_file(), "kg/models/ner is shipped with the package"
    assert "+kg-ner-" in model_name(nlp)  # type: ignore[arg-type]


def test_a_recognizer_trained_for_another_pipeline_is_left_alone(tmp_path: Path) -> None:
    import shutil

    from kg.nlp import load_pipeline, model_name

    shutil.copytree(MODEL_DIR / NER_SUBDIR, tmp_path / NER_SUBDIR)
    meta = json.loads((tmp_path / NER_SUBDIR / NER_META).read_text(encoding="utf-8"))
    meta["signature"]["spacy"] = "0.1"
    (tmp_path / NER_SUBDIR / NER_META).write_text(json.dumps(meta), encoding="utf-8")
    nlp = load_pipeline(tuned_ner=tmp_path)
    assert "+kg-ner" not in model_name(nlp)
    assert "+kg-ner" not in model_name(load_pipeline(tuned_ner=False))


def test_probabilities_are_a_distribution_per_candidate() -> None:
    model = RelationModel(
        labels=("none", "killed"),
        vocab={"a": 0, "b": 1},
        weights=np.array([[0.0, 2.0], [1.0, -1.0]], dtype=np.float32),
        bias=np.array([0.5, -0.5]),
        thresholds={"killed": 0.5},
        meta={},
    )
    p = model.probabilities([["a"], ["b", "unknown"], []])
    assert np.allclose(p.sum(axis=1), 1.0)
    assert p[0, 1] > 0.5 > p[1, 1]  # "a" pulls towards killed, "b" away
    assert np.isclose(p[2, 1], 1 / (1 + np.exp(1.0)))  # bias only


def test_thresholds_favour_precision() -> None:
    labels = ["none", "killed"]
    gold = ["killed"] * 10 + ["none"] * 10
    # killed pairs score 0.6-0.9; a few "none" pairs score high as well
    probs = np.array([[0.0, 0.6 + 0.03 * i] for i in range(10)] + [[0.0, 0.5]] * 7 + [[0.0, 0.65]] * 3)
    t = _tune(probs, gold, labels)["killed"]
    kept = [g for g, p in zip(gold, probs[:, 1], strict=True) if p >= t]
    assert kept.count("killed") / len(kept) >= MIN_PRECISION
    assert t > 0.5  # the seven "none" pairs at 0.5 stay out


def test_conll_work_for_becomes_leader_or_member(tmp_path: Path) -> None:
    rows = [
        {
            "id": "c1",
            "text": "Lee Iacocca , chairman of Chrysler , said .",
            "entities": [{"start": 0, "end": 11, "type": "Peop"}, {"start": 25, "end": 33, "type": "Org"}],
            "relations": [{"head": 0, "tail": 1, "type": "Work_For"}],
        },
        {
            "id": "c2",
            "text": "John Smith , an engineer at Boeing , said .",
            "entities": [{"start": 0, "end": 10, "type": "Peop"}, {"start": 28, "end": 34, "type": "Org"}],
            "relations": [{"head": 0, "tail": 1, "type": "Work_For"}],
        },
    ]
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    _, sents = conll_annotations(path, frozenset({"chairman", "president"}))
    assert [s.relations[0].predicate for s in sents] == ["leaderOf", "memberOf"]


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED / "conll04" / "train.jsonl").is_file(), reason="needs ../shared/data")
def test_kg_train_reproduces_the_shipped_model(tmp_path: Path) -> None:
    from kg.train import train

    report = train(SHARED, TEST_DATA / "annotations" / "wikinews", tmp_path)
    assert report["train_pairs"] > 10_000
    shipped = json.loads((MODEL_DIR / META).read_text(encoding="utf-8"))
    rebuilt = json.loads((tmp_path / META).read_text(encoding="utf-8"))
    assert rebuilt["features"] == shipped["features"]
    assert rebuilt["labels"] == shipped["labels"]
    assert rebuilt["thresholds"] == shipped["thresholds"]
    with np.load(MODEL_DIR / WEIGHTS) as a, np.load(tmp_path / WEIGHTS) as b:
        assert np.allclose(a["weights"], b["weights"], atol=1e-4)
        assert np.allclose(a["bias"], b["bias"], atol=1e-4)
    for part in ("cfg", "moves", "model"):  # the fine-tuned recognizer, byte for byte
        assert (tmp_path / NER_SUBDIR / part).read_bytes() == (MODEL_DIR / NER_SUBDIR / part).read_bytes(), part
