"""Temporary folders named by the process that made them, so that the next run can remove what a killed one
left behind (a build's output staging, kg serve's temporary store) without touching a live one."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def make(prefix: str, parent: Path | None = None) -> Path:
    """A new temporary folder ``PREFIX<pid>-<random>`` in ``parent`` (default: the system's temp folder)."""
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent))


def remove_dead(prefix: str, parent: Path | None = None) -> None:
    """Remove the folders :func:`make` made whose process is gone."""
    for tmp in Path(parent or tempfile.gettempdir()).glob(f"{prefix}*"):
        pid = tmp.name[len(prefix) :].split("-", 1)[0]
        if tmp.is_dir() and not tmp.is_symlink() and not (pid.isdigit() and _alive(int(pid))):
            shutil.rmtree(tmp, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
