"""Keep bench/RESULTS.md as one section per benchmark, each rewritten by the script that measures it."""

from __future__ import annotations

import platform
import re
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = "# Benchmark results\n\nEach section is written by the script it names; rerun the command to refresh it.\n"


def update_section(title: str, command: str, body: str) -> None:
    """Replace (or add) the section ``title`` of RESULTS.md."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    if not text.startswith("# Benchmark results"):
        text = HEADER
    machine = f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"
    section = (
        f"## {title}\n\nCommand: `{command}` (measured {time.strftime('%Y-%m-%d')} on {machine}, "
        f"2 cores)\n\n{body.strip()}\n"
    )
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(section + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")
