"""Persistent, content-hashed cache of compiled twin programs and op libraries, and bounded parallel compiles.

An entry is found by a key: the SHA-256 of everything that decides the compiled bytes (every source and
header, the flags, the compiler's identity). Equal keys give equal binaries, so an entry is never stale and
never needs invalidating; a changed input is a different key. Entries live under :func:`cache_root`:
``$DSAOPS_CACHE/compiled`` if set, else ``$XDG_CACHE_HOME/dsaops/compiled``, else ``~/.cache/dsaops/compiled``
(delete the folder to reclaim the space). Writers produce a file under a unique temporary name in the
entry's folder and ``os.replace`` it into place, so concurrent processes (pytest workers, parallel
``dsaops build`` runs) never see a half-written binary; two writers of the same key write the same bytes.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Bumped when the layout of an entry or the meaning of a key changes.
CACHE_VERSION = "1"

SOURCE_SUFFIXES = (".h", ".hpp", ".hh", ".inc", ".cpp", ".cc", ".cxx")


def cache_root() -> Path:
    """``$DSAOPS_CACHE/compiled``, else ``$XDG_CACHE_HOME/dsaops/compiled``, else ``~/.cache/dsaops/compiled``."""
    env = os.environ.get("DSAOPS_CACHE")
    if env:
        return Path(env) / "compiled"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "dsaops" / "compiled"


def cpu_count() -> int:
    """CPUs this process may run on (the affinity mask, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@functools.lru_cache(maxsize=None)
def compiler_id(cxx: str) -> str:
    """The compiler's identity for cache keys: ``<cxx> --version`` and ``-dumpmachine`` output."""
    parts = []
    for flag in ("--version", "-dumpmachine"):
        try:
            proc = subprocess.run([cxx, flag], capture_output=True, text=True, timeout=60)
            parts.append(proc.stdout.strip())
        except (OSError, subprocess.SubprocessError) as exc:
            parts.append(f"unavailable: {exc}")
    return "\n".join(parts)


def default_cxx() -> str:
    """The C++ compiler cmake and the test harness use: ``$CXX``, else ``c++`` / ``g++`` on PATH."""
    env = os.environ.get("CXX")
    if env:
        return env
    return shutil.which("c++") or shutil.which("g++") or "c++"


class Hasher:
    """SHA-256 over labelled, length-prefixed parts (no two different part lists collide by concatenation)."""

    def __init__(self, kind: str):
        self._h = hashlib.sha256()
        self.add("cache", CACHE_VERSION, kind)

    def add(self, *parts: str | bytes) -> "Hasher":
        for p in parts:
            data = p.encode() if isinstance(p, str) else bytes(p)
            self._h.update(len(data).to_bytes(8, "little"))
            self._h.update(data)
        return self

    def add_tree(self, root: Path, suffixes: Sequence[str] = SOURCE_SUFFIXES, label: str | None = None) -> "Hasher":
        """Every file under ``root`` with one of ``suffixes``: its path relative to ``root`` and its bytes."""
        root = Path(root)
        self.add("tree", label if label is not None else "")
        if root.is_dir():
            for p in sorted(root.rglob("*")):
                if p.is_file() and p.suffix in suffixes and "__pycache__" not in p.parts:
                    self.add(p.relative_to(root).as_posix(), p.read_bytes())
        return self

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def entry_dir(key: str, kind: str) -> Path:
    return cache_root() / kind / key[:2] / key


def lookup(key: str, kind: str, name: str) -> Path | None:
    """The cached file ``name`` of entry ``key``, or None."""
    p = entry_dir(key, kind) / name
    return p if p.is_file() else None


def _tmp_name(dst: Path) -> Path:
    return dst.with_name(f".{dst.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def store_file(key: str, kind: str, name: str, src: Path) -> Path:
    """Copy ``src`` into entry ``key`` as ``name`` (atomically); return the cached path."""
    dst = entry_dir(key, kind) / name
    if dst.is_file():
        return dst
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(dst)
    shutil.copy2(src, tmp)
    os.replace(tmp, dst)
    return dst


def produce(key: str, kind: str, name: str, make: Callable[[Path], None]) -> Path:
    """The cached file ``name`` of entry ``key``; when missing, ``make(tmp_path)`` writes it (then renamed).

    ``make`` raises to report a failure; nothing is cached then.
    """
    dst = entry_dir(key, kind) / name
    if dst.is_file():
        return dst
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(dst)
    try:
        make(tmp)
        os.replace(tmp, dst)
    finally:
        if tmp.exists():
            tmp.unlink()
    return dst


def copy_atomic(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` through a temporary name in ``dst``'s folder (readers never see a partial file)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(dst)
    shutil.copy2(src, tmp)
    os.replace(tmp, dst)


def parallel_map(fn: Callable[[T], R], items: Iterable[T], jobs: int | None = None) -> list[R]:
    """``[fn(x) for x in items]`` on at most ``jobs`` threads (default: the CPU count); results in order.

    For functions that spend their time in a compiler subprocess. The first exception is re-raised after
    every call finished.
    """
    items = list(items)
    workers = max(1, min(len(items), jobs or cpu_count()))
    if workers == 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(fn, x) for x in items]
    return [f.result() for f in futures]
