"""The output folder holds one build or says it holds none: extras go the same way as the main files, a
kill at any point leaves the last finished build's manifest or none, and killed builds leave no temp folder."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kg.pipeline import MANIFEST, read_manifest, write_outputs
from tests.conftest import SEED


def test_manifest_names_every_file_and_extras_replace_the_last_builds(seed_result: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_outputs(seed_result, out, formats=[".nt", ".graphml"])
    manifest = read_manifest(out)
    assert manifest is not None
    assert set(manifest["files"]) == {
        "graph.ttl",
        "graph.html",
        "entities.jsonl",
        "relations.jsonl",
        "graph.nt",
        "graph.graphml",
    }
    write_outputs(seed_result, out)  # no extras this time: last build's graph.nt must not pass for this one's
    assert not (out / "graph.nt").exists() and not (out / "graph.graphml").exists()
    assert set(read_manifest(out)["files"]) == {"graph.ttl", "graph.html", "entities.jsonl", "relations.jsonl"}  # type: ignore[index]
    (out / "graph.ttl").write_text("# edited\n", encoding="utf-8")
    assert read_manifest(out) is None  # a file that does not match is not a finished build


def test_a_failure_between_two_renames_leaves_no_manifest(
    seed_result: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kg.pipeline

    out = tmp_path / "out"
    write_outputs(seed_result, out)
    real = os.replace
    calls = {"n": 0}

    def failing(src: Any, dst: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(kg.pipeline.os, "replace", failing)
    with pytest.raises(Exception, match="No space left"):
        write_outputs(seed_result, out, formats=[".nt"])
    assert read_manifest(out) is None and not (out / MANIFEST).exists()
    assert not list(out.glob(".kg-build-*"))


def test_temp_folders_of_killed_builds_are_removed(seed_result: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    stale = out / ".kg-build-999999999-abc"  # no such process
    stale.mkdir(parents=True)
    (stale / "graph.ttl").write_text("half", encoding="utf-8")
    live = out / f".kg-build-{os.getpid()}-xyz"  # a build still running (this process) is left alone
    live.mkdir()
    write_outputs(seed_result, out)
    assert not stale.exists() and live.exists()


@pytest.mark.slow
@pytest.mark.model
def test_killed_at_random_points_the_folder_is_before_after_or_unfinished(tmp_path: Path) -> None:
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "kg.cli", "build", str(SEED), "-o", str(out), "-f", "nt,graphml", "-q"]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    first = read_manifest(out)
    assert first is not None
    rng = random.Random(7)
    states = {"before": 0, "after": 0, "unfinished": 0}
    for _ in range(30):
        (tmp_path / "in.txt").write_text(SEED.read_text(encoding="utf-8") + f"\n\nRun {rng.random()}.\n", "utf-8")
        before = read_manifest(out)
        proc = subprocess.Popen([*cmd[:4], str(tmp_path / "in.txt"), *cmd[5:]], stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 6.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = read_manifest(out)
        if now is None:
            states["unfinished"] += 1
            # The manifest goes before the first rename and comes back after the last: one that is there
            # always matches the files.
            assert not (out / MANIFEST).exists(), json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        elif now == before:
            states["before"] += 1
        else:
            states["after"] += 1
    assert sum(states.values()) == 30
    write_outputs_left = list(out.glob(".kg-build-*"))
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)  # the next build cleans up after them
    assert read_manifest(out) is not None
    assert not list(out.glob(".kg-build-*")), write_outputs_left
