"""Where the bundled opdefs, templates and kernels are.

In a wheel they sit inside the package (``dsaops/_data/<name>``); in a source
checkout (editable install or tests) they are the repository's top-level folders.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled_dir(name: str) -> Path:
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parents[1] / name


def opdefs_dir() -> Path:
    return bundled_dir("opdefs")


def templates_dir() -> Path:
    return bundled_dir("templates")


def kernels_dir() -> Path:
    return bundled_dir("ascendc")
