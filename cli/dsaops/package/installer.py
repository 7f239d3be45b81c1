"""`dsaops install` / `dsaops uninstall`: the .run's protocol (see sh/common.sh), in Python.

Install: verify the package (header, size, sha256, architecture, every member) and the target
before writing anything; take the OPP's lock; recover what an interrupted run left; extract into
``vendors/.<vendor>.staging.<pid>/``; check every extracted file against the package manifest;
swap it with the installed tree in one ``renameat2(RENAME_EXCHANGE)`` (two renames where the
kernel lacks it, which recovery completes or undoes); then edit ``vendors/config.ini``.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import io
import json
import os
import shutil
import stat
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable

from ..errors import PackageError
from .layout import INSTALL_RECORD, MANIFEST_IN_PACKAGE, host_arch
from .runfile import RunFile, read_run

LOCK_NAME = ".dsaops.lock"
Checkpoint = Callable[[str], None]


@dataclass(frozen=True)
class Target:
    opp: Path
    kind: str  # custom (--install-path: set_env.bash) | default (config.ini load_priority)

    @property
    def vendors(self) -> Path:
        return self.opp / "vendors"


@dataclass(frozen=True)
class InstallResult:
    root: Path
    kind: str
    action: str  # installed | upgraded | unchanged
    manifest: dict


def check_install_path(value: str, what: str = "--install-path") -> Path:
    if ":" in value:
        raise PackageError(f"{what}: expected a path without ':' (it separates ASCEND_CUSTOM_OPP_PATH entries), "
                           f"got {value!r}")
    if not os.path.isabs(value):
        raise PackageError(f"{what}: expected an absolute path, got {value!r}")
    if any(c in value for c in "'\"\\\n"):
        raise PackageError(f"{what}: expected a path without quotes, backslashes or newlines, got {value!r}")
    return Path(os.path.normpath(value))


def resolve_target(install_path: str | os.PathLike | None, env: dict | None = None) -> Target:
    env = os.environ if env is None else env
    if install_path is not None:
        return Target(check_install_path(os.fspath(install_path)), "custom")
    for name in ("ASCEND_CUSTOM_OPP_PATH", "ASCEND_OPP_PATH"):
        if env.get(name):
            return Target(check_install_path(env[name], f"${name}"), "default")
    raise PackageError("no install target: give --install-path ABS_DIR or set ASCEND_OPP_PATH "
                       "(source CANN's set_env.sh)")


# ---- package checks --------------------------------------------------------------------------

def _members(run: RunFile) -> list[tuple[tarfile.TarInfo, bytes | None]]:
    """Every member with its data, after refusing anything unsafe."""
    vendor = run.vendor
    try:
        tar = tarfile.open(fileobj=io.BytesIO(run.payload), mode="r:gz")
        members = tar.getmembers()
        out = []
        for m in members:
            data = tar.extractfile(m).read() if m.isfile() else None
            out.append((m, data))
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise PackageError(f"{run.path}: the package payload is corrupt ({exc})") from None
    for m, _ in out:
        p = PurePosixPath(m.name)
        if m.name.startswith("/") or p.is_absolute():
            raise PackageError(f"{run.path}: refused: member {m.name!r} has an absolute path")
        if ".." in p.parts:
            raise PackageError(f"{run.path}: refused: member {m.name!r} contains '..'")
        if not p.parts or p.parts[0] != vendor:
            raise PackageError(f"{run.path}: refused: member {m.name!r} is outside {vendor}/")
        if m.issym() or m.islnk():
            link = PurePosixPath(m.linkname)
            resolved = link if m.islnk() else p.parent / link
            parts: list[str] = []
            for part in resolved.parts:
                if part == "..":
                    if not parts:
                        parts = ["<outside>"]
                        break
                    parts.pop()
                elif part not in (".", ""):
                    parts.append(part)
            if link.is_absolute() or not parts or parts[0] != vendor:
                raise PackageError(f"{run.path}: refused: member {m.name!r} links to {m.linkname!r}, "
                                   f"outside {vendor}/")
        elif not (m.isfile() or m.isdir()):
            raise PackageError(f"{run.path}: refused: member {m.name!r} is a device, fifo or other special file")
    return out


def _package_manifest(run: RunFile, members) -> tuple[dict, bytes]:
    name = f"{run.vendor}/{MANIFEST_IN_PACKAGE}"
    for m, data in members:
        if m.name == name and data is not None:
            try:
                return json.loads(data), data
            except ValueError:
                break
    raise PackageError(f"{run.path}: the package has no readable {MANIFEST_IN_PACKAGE}")


def verify_package(path: Path) -> tuple[RunFile, list, dict]:
    """All checks that need no target: header, size, sha256, architecture, members, manifest."""
    run = read_run(path)
    arch = host_arch()
    if run.arch != arch:
        raise PackageError(f"{path}: refused: the package is for {run.arch}, this machine is {arch}")
    members = _members(run)
    manifest, _ = _package_manifest(run, members)
    listed = {f"{run.vendor}/{rel}" for rel in [*manifest.get("files", {}), *manifest.get("links", {})]}
    present = {m.name for m, data in members if data is not None or m.issym()} \
        - {f"{run.vendor}/{MANIFEST_IN_PACKAGE}"}
    if listed != present:
        diff = sorted(listed ^ present)[:5]
        raise PackageError(f"{path}: the package manifest does not match its files (e.g. {', '.join(diff)})")
    for m, data in members:
        rel = m.name[len(run.vendor) + 1:]
        if m.issym() and manifest.get("links", {}).get(rel) != m.linkname:
            raise PackageError(f"{path}: the package is corrupt: link {rel} does not match its manifest")
        if data is not None and rel in manifest["files"]:
            if hashlib.sha256(data).hexdigest() != manifest["files"][rel]:
                raise PackageError(f"{path}: the package is corrupt: {rel} does not match its manifest sha256")
    return run, members, manifest


# ---- lock and recovery -----------------------------------------------------------------------

def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class OppLock:
    """The mkdir lock shared with the .run's shell installer."""

    def __init__(self, vendors: Path, timeout: float = 600.0):
        self.path = vendors / LOCK_NAME
        self.timeout = timeout

    def __enter__(self):
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                os.mkdir(self.path)
                break
            except FileExistsError:
                pass
            try:
                owner = int((self.path / "pid").read_text().strip() or "0")
            except (OSError, ValueError):
                owner = 0
            try:
                age = time.time() - self.path.stat().st_mtime
            except OSError:
                continue  # released meanwhile
            # a dead owner, or none written after 30 s (killed between mkdir and writing its pid)
            if (owner and not _alive(owner)) or (not owner and age > 30):
                stale = self.path.with_name(f"{LOCK_NAME}.stale.{os.getpid()}")
                try:
                    os.rename(self.path, stale)
                except OSError:
                    continue
                try:
                    now = int((stale / "pid").read_text().strip() or "0")
                except (OSError, ValueError):
                    now = 0
                if now != owner and now and _alive(now):
                    # another breaker took the lock between our look and our rename: give it back
                    try:
                        os.rename(stale, self.path)
                        continue
                    except OSError:
                        pass
                shutil.rmtree(stale, ignore_errors=True)
                continue
            if time.monotonic() > deadline:
                raise PackageError(f"another install holds {self.path} (pid {owner or 'unknown'}); "
                                   f"remove that folder if no install is running")
            time.sleep(0.05)
        (self.path / "pid").write_text(f"{os.getpid()}\n")
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


def recover(vendors: Path, vendor: str) -> list[str]:
    """Complete or undo what an interrupted install or uninstall left (call under the lock)."""
    notes = []
    root = vendors / vendor
    for old in sorted(vendors.glob(f".{vendor}.old.*")):
        if not root.exists():
            os.rename(old, root)
            notes.append(f"restored the previous install from {old.name}")
        else:
            shutil.rmtree(old, ignore_errors=True)
    for left in sorted([*vendors.glob(f".{vendor}.staging.*"), *vendors.glob(f".{vendor}.removing.*")]):
        shutil.rmtree(left, ignore_errors=True)
        notes.append(f"removed {left.name}")
    for tmp in vendors.glob(".config.ini.*"):
        tmp.unlink(missing_ok=True)
    return notes


# ---- config.ini ------------------------------------------------------------------------------

def _read_record(root: Path) -> dict[str, str]:
    record = {"target": "default", "config_ini_existed": "yes"}
    path = root / INSTALL_RECORD
    if path.is_file():
        for line in path.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep:
                record[key] = value
    return record


def set_priority(vendors: Path, vendor: str, add: bool, config_existed: bool = True) -> None:
    """Edit load_priority in vendors/config.ini exactly as sh/common.sh does."""
    cfg = vendors / "config.ini"
    lines = cfg.read_text().splitlines() if cfg.is_file() else []
    current = next((ln[len("load_priority="):] for ln in lines if ln.startswith("load_priority=")), "")
    others = [v for v in current.split(",") if v and v != vendor]
    new = [vendor, *others] if add else others
    line = f"load_priority={','.join(new)}" if new else ""
    out, done = [], False
    for ln in lines:
        if ln.startswith("load_priority="):
            if not done and line:
                out.append(line)
            done = True
        else:
            out.append(ln)
    if not done and line:
        out.append(line)
    text = "".join(f"{ln}\n" for ln in out) if cfg.is_file() else f"{line}\n"
    if not add and not config_existed and not text.strip():
        cfg.unlink(missing_ok=True)
        return
    tmp = vendors / f".config.ini.{os.getpid()}"
    tmp.write_text(text)
    if cfg.is_file():
        st = cfg.stat()
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
    else:
        os.chmod(tmp, 0o640)
    os.replace(tmp, cfg)


# ---- install / uninstall ---------------------------------------------------------------------

_libc = None


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(None, use_errno=True)
        fn = _libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise PackageError(f"cannot swap {a} and {b}: {os.strerror(err)}")


def _installed_intact(root: Path, manifest_bytes: bytes, manifest: dict) -> bool:
    try:
        if (root / MANIFEST_IN_PACKAGE).read_bytes() != manifest_bytes:
            return False
        for rel, digest in manifest["files"].items():
            if hashlib.sha256((root / rel).read_bytes()).hexdigest() != digest:
                return False
        for rel, target in manifest.get("links", {}).items():
            if os.readlink(root / rel) != target:
                return False
    except OSError:
        return False
    return True


def set_env_text(root: Path, kind: str) -> str:
    lines = ["#!/bin/bash", f"# Environment for the {root.name} ops installed in {root}"]
    if kind == "custom":
        lines.append(f"export ASCEND_CUSTOM_OPP_PATH='{root}'${{ASCEND_CUSTOM_OPP_PATH:+:$ASCEND_CUSTOM_OPP_PATH}}")
    lines.append(f"export LD_LIBRARY_PATH='{root}/op_api/lib':'{root}/dsaops/twin/lib'"
                 "${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
    return "\n".join(lines) + "\n"


def install(package: Path, install_path: str | os.PathLike | None = None, *, force: bool = False,
            env: dict | None = None, checkpoint: Checkpoint | None = None, lock_timeout: float = 600.0,
            atomic_exchange: bool = True) -> InstallResult:
    cp = checkpoint or (lambda stage: None)
    package = Path(package)
    run, members, manifest = verify_package(package)
    target = resolve_target(install_path, env)
    vendor = run.vendor
    vendors = target.vendors
    root = vendors / vendor
    _, manifest_bytes = _package_manifest(run, members)

    def unchanged() -> bool:
        return not force and _installed_intact(root, manifest_bytes, manifest) \
            and _read_record(root).get("target") == target.kind \
            and (target.kind == "custom" or _priority(vendors)[:1] == [vendor])

    leftovers = vendors.is_dir() and any(p.name.startswith((LOCK_NAME, f".{vendor}.")) for p in vendors.iterdir())
    if not leftovers and unchanged():
        return InstallResult(root, target.kind, "unchanged", manifest)
    vendors.mkdir(parents=True, exist_ok=True)
    with OppLock(vendors, lock_timeout):
        cp("locked")
        recover(vendors, vendor)
        if unchanged():
            return InstallResult(root, target.kind, "unchanged", manifest)
        stage = vendors / f".{vendor}.staging.{os.getpid()}"
        stage.mkdir()
        try:
            new = _stage(package, stage, members, manifest, root, vendors, target, cp)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
        action = "upgraded" if root.exists() else "installed"
        if root.exists():
            if atomic_exchange and _exchange(new, root):
                cp("swapped")
            else:
                old = vendors / f".{vendor}.old.{os.getpid()}"
                os.rename(root, old)
                cp("moved-aside")
                os.rename(new, root)
                cp("swapped")
        else:
            os.rename(new, root)
            cp("swapped")
        shutil.rmtree(stage, ignore_errors=True)
        for old in vendors.glob(f".{vendor}.old.{os.getpid()}"):
            shutil.rmtree(old, ignore_errors=True)
        cp("cleaned")
        if target.kind == "default":
            set_priority(vendors, vendor, add=True)
        cp("configured")
    return InstallResult(root, target.kind, action, manifest)


def _priority(vendors: Path) -> list[str]:
    cfg = vendors / "config.ini"
    lines = cfg.read_text().splitlines() if cfg.is_file() else []
    current = next((ln[len("load_priority="):] for ln in lines if ln.startswith("load_priority=")), "")
    return [v for v in current.split(",") if v]


def _stage(package: Path, stage: Path, members, manifest: dict, root: Path, vendors: Path, target: Target,
           cp: Checkpoint) -> Path:
    """Extract into ``stage``, check every file, add the install record and set_env.bash."""
    for m, data in sorted(members, key=lambda md: md[0].name):
        dest = stage / m.name
        if m.isdir():
            dest.mkdir(parents=True, exist_ok=True)
            os.chmod(dest, 0o755)
        elif m.issym():
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(m.linkname, dest)
        elif m.islnk():
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.link(stage / m.linkname, dest)
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            os.chmod(dest, 0o755 if m.mode & 0o111 else 0o644)
    cp("extracted")
    new = stage / root.name
    for rel, digest in manifest["files"].items():
        if hashlib.sha256((new / rel).read_bytes()).hexdigest() != digest:
            raise PackageError(f"{package}: {rel} changed during extraction (disk error?)")
    old_record = _read_record(root) if root.is_dir() else None
    record_path = new / INSTALL_RECORD
    if old_record is not None and (root / INSTALL_RECORD).is_file() and old_record["target"] == target.kind:
        shutil.copyfile(root / INSTALL_RECORD, record_path)
    else:
        existed = "yes" if (vendors / "config.ini").is_file() else "no"
        record_path.write_text(f"target={target.kind}\nconfig_ini_existed={existed}\n")
    os.chmod(record_path, 0o644)
    (new / "bin").mkdir(exist_ok=True)
    set_env = new / "bin" / "set_env.bash"
    set_env.write_text(set_env_text(root, target.kind))
    os.chmod(set_env, 0o755)
    cp("staged")
    return new


def uninstall(vendor: str, install_path: str | os.PathLike | None = None, *, env: dict | None = None,
              checkpoint: Checkpoint | None = None, lock_timeout: float = 600.0) -> Path | None:
    """Remove one vendor and restore config.ini; None when nothing was installed (idempotent)."""
    from .layout import validate_vendor

    cp = checkpoint or (lambda stage: None)
    validate_vendor(vendor)
    target = resolve_target(install_path, env)
    vendors = target.vendors
    if not vendors.is_dir():
        return None
    with OppLock(vendors, lock_timeout):
        recover(vendors, vendor)
        root = vendors / vendor
        if not root.is_dir():
            return None
        if not (root / MANIFEST_IN_PACKAGE).is_file():
            raise PackageError(f"{root} was not installed by dsaops (no {MANIFEST_IN_PACKAGE}); "
                               f"use its own scripts/uninstall.sh")
        record = _read_record(root)
        # config.ini first: a run killed after it leaves an installed vendor that the next run removes
        if record.get("target") == "default":
            set_priority(vendors, vendor, add=False, config_existed=record.get("config_ini_existed") != "no")
        cp("configured")
        gone = vendors / f".{vendor}.removing.{os.getpid()}"
        os.rename(root, gone)
        cp("moved-aside")
        shutil.rmtree(gone, ignore_errors=True)
    return root


def installed(opp: Path) -> list[dict]:
    """The dsaops vendors installed under ``opp``: their manifests (for doctor and the CLI)."""
    out = []
    vendors = opp / "vendors"
    if not vendors.is_dir():
        return out
    for root in sorted(p for p in vendors.iterdir() if p.is_dir() and not p.name.startswith(".")):
        path = root / MANIFEST_IN_PACKAGE
        if path.is_file():
            try:
                out.append({"root": str(root), **json.loads(path.read_text())})
            except ValueError:
                continue
    return out
