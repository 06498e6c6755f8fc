"""The command line: clear one-line errors, non-zero exits, no partial outputs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATA

KG = [sys.executable, "-m", "kg.cli"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([*KG, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def assert_clean_failure(proc: subprocess.CompletedProcess[str], out: Path, *needles: str) -> None:
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr  # one line, no traceback
    assert lines[0].startswith("kg: error: [E")
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0]
    assert not out.exists() or not any(out.iterdir()), list(out.iterdir())


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


def test_missing_path(tmp_path: Path, out: Path) -> None:
    proc = run("build", str(tmp_path / "nope.txt"), "-o", str(out))
    assert_clean_failure(proc, out, "not found", "nope.txt")


def test_empty_file(tmp_path: Path, out: Path) -> None:
    f = tmp_path / "empty.txt"
    f.write_text("  \n", encoding="utf-8")
    assert_clean_failure(run("build", str(f), "-o", str(out)), out, "empty", "empty.txt")


def test_binary_file(tmp_path: Path, out: Path) -> None:
    f = tmp_path / "blob.txt"
    f.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert_clean_failure(run("build", str(f), "-o", str(out)), out, "binary")


def test_invalid_utf8(tmp_path: Path, out: Path) -> None:
    f = tmp_path / "latin1.txt"
    f.write_bytes("Le président a visité Paris.".encode("latin-1"))
    assert_clean_failure(run("build", str(f), "-o", str(out)), out, "UTF-8", "offset")


def test_malformed_jsonl_names_the_line(tmp_path: Path, out: Path) -> None:
    f = tmp_path / "a.jsonl"
    f.write_text('{"id": "1", "text": "Iran condemned Israel."}\n{"id": "2", "text": \n', encoding="utf-8")
    assert_clean_failure(run("build", str(f), "-o", str(out)), out, "line 2", "invalid JSON")


def test_jsonl_without_text_names_the_line(tmp_path: Path, out: Path) -> None:
    f = tmp_path / "a.jsonl"
    f.write_text('{"id": "1", "text": "Iran condemned Israel."}\n\n{"id": "3", "title": "x"}\n', encoding="utf-8")
    assert_clean_failure(run("build", str(f), "-o", str(out)), out, "line 3", "'text'")


def test_unknown_format(tmp_path: Path, out: Path) -> None:
    f = tmp_path / "a.pdf"
    f.write_bytes(b"%PDF-1.4")
    assert_clean_failure(run("build", str(f), "-o", str(out)), out, "unknown format", ".txt, .jsonl")


def test_unknown_model(out: Path) -> None:
    proc = run("build", str(DATA), "-o", str(out), "--model", "xx_no_such_model")
    assert_clean_failure(proc, out, "xx_no_such_model", "Installed spaCy models")


def test_unknown_model_with_two_processes(tmp_path: Path, out: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(f'{{"id": "{i}", "text": "Iran condemned Israel."}}\n' for i in range(80)), "utf-8")
    proc = run("build", str(corpus), "-o", str(out), "--model", "xx_no_such_model", "-n", "2")
    assert_clean_failure(proc, out, "xx_no_such_model")
    assert proc.stderr.count("[E200]") == 1


def test_errors_survive_pickling() -> None:
    import pickle

    from kg.errors import ModelError

    err = pickle.loads(pickle.dumps(ModelError("no model 'x'")))
    assert str(err) == "[E200] no model 'x'" and isinstance(err, ModelError)


def test_bad_n_process(out: Path) -> None:
    proc = run("build", str(DATA), "-o", str(out), "--n-process", "0")
    assert proc.returncode != 0
    assert not out.exists()


def test_build_writes_all_outputs_and_summary(out: Path) -> None:
    proc = run("build", str(DATA), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "1 documents" in proc.stdout and "entities" in proc.stdout and "relations" in proc.stdout
    names = sorted(p.name for p in out.iterdir())
    assert names == ["build.json", "entities.jsonl", "graph.html", "graph.ttl", "relations.jsonl"]


def test_help_is_fast_and_lists_build() -> None:
    proc = run("--help")
    assert proc.returncode == 0
    assert "build" in proc.stdout
