"""Byte-reproducible tar.gz payloads.

The same entries give the same bytes on any machine and in any folder: entries sorted by name,
owner 0/0 without names, modes 0755 (folders, executables) or 0644, every mtime SOURCE_DATE_EPOCH,
ustar format (no pax timestamps), and a gzip header with mtime 0 and no file name.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import BuildError


@dataclass(frozen=True)
class Entry:
    """One file of a package: its path inside the vendor folder and its bytes."""

    path: str  # posix, relative, no '..'
    data: bytes
    executable: bool = False
    link: str | None = None  # a symlink to this relative target in the same tree (CANN's liboptiling.so)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def source_date_epoch(source_root: Path | None = None) -> int:
    """SOURCE_DATE_EPOCH if set, else the last commit time of ``source_root``, else 0."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value is not None:
        if not value.isdigit():
            raise BuildError(f"SOURCE_DATE_EPOCH: expected a non-negative integer, got {value!r}")
        return int(value)
    if source_root is not None:
        try:
            out = subprocess.run(["git", "-C", str(source_root), "log", "-1", "--format=%ct"],
                                 capture_output=True, text=True, timeout=10)
            if out.returncode == 0 and out.stdout.strip().isdigit():
                return int(out.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    return 0


def _check_path(path: str) -> None:
    p = PurePosixPath(path)
    if p.is_absolute() or not p.parts or ".." in p.parts or path != p.as_posix():
        raise BuildError(f"package entry {path!r}: expected a relative path without '..'")


def _dirs(paths: list[str], extra_dirs: tuple[str, ...]) -> list[str]:
    dirs: set[str] = set()
    for path in [*paths, *(d + "/x" for d in extra_dirs)]:
        parent = PurePosixPath(path).parent
        while str(parent) != ".":
            dirs.add(parent.as_posix())
            parent = parent.parent
    return sorted(dirs)


def tar_gz(entries: list[Entry], prefix: str, mtime: int, extra_dirs: tuple[str, ...] = ()) -> bytes:
    """The payload: every entry under ``prefix/`` plus the folders in ``extra_dirs`` (even when empty)."""
    seen: set[str] = set()
    for e in entries:
        _check_path(e.path)
        if e.link is not None:
            target = PurePosixPath(e.link)
            if target.is_absolute() or ".." in target.parts:
                raise BuildError(f"package entry {e.path!r}: a link must point inside its folder, got {e.link!r}")
        if e.path in seen:
            raise BuildError(f"package entry {e.path!r} is listed twice")
        seen.add(e.path)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        items: list[tuple[str, Entry | None]] = [(d, None) for d in _dirs(sorted(seen), extra_dirs)]
        items += [(e.path, e) for e in entries]
        for rel, entry in sorted(items, key=lambda item: item[0]):
            info = tarfile.TarInfo(f"{prefix}/{rel}")
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = mtime
            if entry is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            elif entry.link is not None:
                info.type = tarfile.SYMTYPE
                info.linkname = entry.link
                info.mode = 0o777
                tar.addfile(info)
            else:
                info.size = len(entry.data)
                info.mode = 0o755 if entry.executable else 0o644
                tar.addfile(info, io.BytesIO(entry.data))
    out = io.BytesIO()
    # filename='' and mtime=0 keep the gzip header free of host facts
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=9, mtime=0) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()
