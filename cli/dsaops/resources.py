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


def has_kernel(op, kernels: Path | None = None) -> bool:
    """Whether ``op`` (an OpDef) has a hand-written kernel: its ``kernel.dir`` folder under ``kernels``
    (default: the bundled ascendc/) holds Ascend C sources."""
    folder = (kernels or kernels_dir()) / op.kernel.dir
    return folder.is_dir() and any(p.suffix in (".h", ".cpp") for p in folder.rglob("*"))
