"""Which package ``dsaops verify`` checks, and whether its files are the ones its manifest lists.

Resolution (the first that applies):

1. ``--install-path DIR``: an OPP folder (``DIR/vendors/<vendor>/dsaops/manifest.json``; with several
   dsaops vendors, the first in ``DIR/vendors/config.ini`` load_priority) or a vendor folder itself;
2. ``--build-dir DIR``: the newest ``.run`` in DIR (the output of ``dsaops build --out DIR``), checked
   like ``dsaops install`` checks it and unpacked into a private temporary folder;
3. ``$ASCEND_CUSTOM_OPP_PATH`` (``:``-separated; each entry a vendor folder or an OPP folder);
4. ``$ASCEND_OPP_PATH/vendors/config.ini``: the first vendor of load_priority that dsaops installed;
5. the vendor folder the last ``dsaops install`` wrote (recorded in :func:`state_file`);
6. the build output ``build/dsaops`` (as 2).

:func:`check_integrity` then hashes every file and link the manifest lists: a verification only
runs on a package whose files are exactly the ones it was built with.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import PackageError, PackageTampered, UsageError

MANIFEST = "dsaops/manifest.json"
DEFAULT_BUILD_DIR = Path("build/dsaops")


@dataclass
class Package:
    """A package to verify: its vendor folder, its manifest and how it was found."""

    root: Path  # the vendor folder (holds dsaops/manifest.json)
    manifest: dict
    manifest_sha256: str
    source: str  # install-path | build-dir | ASCEND_CUSTOM_OPP_PATH | config.ini | last-install | build-output
    run_file: Path | None = None  # the .run it was unpacked from (build-dir, build-output)
    _tmp: tempfile.TemporaryDirectory | None = field(default=None, repr=False)

    @property
    def ops(self) -> dict[str, dict]:
        return {o["name"]: o for o in self.manifest.get("ops", [])}

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def state_file(env: dict | None = None) -> Path:
    """Where ``dsaops install`` records the vendor folder it wrote: ``$DSAOPS_STATE_HOME``, else
    ``$XDG_STATE_HOME/dsaops``, else ``~/.local/state/dsaops``; file ``last_install``."""
    env = os.environ if env is None else env
    if env.get("DSAOPS_STATE_HOME"):
        base = Path(env["DSAOPS_STATE_HOME"])
    elif env.get("XDG_STATE_HOME"):
        base = Path(env["XDG_STATE_HOME"]) / "dsaops"
    else:
        base = Path.home() / ".local" / "state" / "dsaops"
    return base / "last_install"


def remember_install(root: Path, env: dict | None = None) -> None:
    """Record ``root`` as the last install (best effort: an unwritable state folder is not an error)."""
    path = state_file(env)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(f"{Path(root).resolve()}\n")
        os.replace(tmp, path)
    except OSError:
        pass


def _load(root: Path, source: str, run_file: Path | None = None) -> Package:
    path = root / MANIFEST
    try:
        data = path.read_bytes()
        manifest = json.loads(data)
    except (OSError, ValueError) as exc:
        raise PackageTampered(f"{path}: the package manifest is unreadable ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict) \
            or not isinstance(manifest.get("ops"), list):
        raise PackageTampered(f"{path}: the package manifest lacks its 'files' or 'ops' table")
    return Package(root, manifest, hashlib.sha256(data).hexdigest(), source, run_file)


def _priority(vendors: Path) -> list[str]:
    cfg = vendors / "config.ini"
    if not cfg.is_file():
        return []
    for line in cfg.read_text(errors="replace").splitlines():
        if line.startswith("load_priority="):
            return [v.strip() for v in line[len("load_priority="):].split(",") if v.strip()]
    return []


def _vendor_in_opp(opp: Path, what: str) -> Path | None:
    """The dsaops vendor folder of an OPP folder (None when it holds none)."""
    vendors = opp / "vendors"
    if not vendors.is_dir():
        return None
    ours = sorted(p for p in vendors.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).is_file())
    if len(ours) <= 1:
        return ours[0] if ours else None
    for name in _priority(vendors):
        if (vendors / name / MANIFEST).is_file():
            return vendors / name
    raise UsageError(f"{what}: {vendors} holds several dsaops packages ({', '.join(p.name for p in ours)}) and "
                     f"config.ini ranks none of them; give --install-path {vendors}/<vendor>")


def _from_dir(path: Path, what: str) -> Path | None:
    if (path / MANIFEST).is_file():
        return path
    return _vendor_in_opp(path, what)


def _newest_run(folder: Path) -> Path | None:
    runs = sorted(folder.glob("*.run"), key=lambda p: p.stat().st_mtime) if folder.is_dir() else []
    return runs[-1] if runs else None


def _unpack(run: Path, source: str) -> Package:
    """Check a .run like ``dsaops install`` does, then unpack it into a private temporary folder."""
    from ..package.installer import verify_package

    try:
        parsed, members, _ = verify_package(run)
    except PackageError as exc:
        raise PackageTampered(f"{exc}") from None
    sums = run.parent / "SHA256SUMS"
    if sums.is_file():
        digest = hashlib.sha256(run.read_bytes()).hexdigest()
        for line in sums.read_text().splitlines():
            want, _, name = line.partition("  ")
            if name == run.name and want != digest:
                raise PackageTampered(f"{run}: its sha256 {digest[:16]}... differs from {sums} ({want[:16]}...)")
    tmp = tempfile.TemporaryDirectory(prefix="dsaops-verify-pkg-")
    base = Path(tmp.name)
    try:
        for m, data in members:
            dest = base / m.name
            if m.isdir():
                dest.mkdir(parents=True, exist_ok=True)
            elif m.issym():
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(m.linkname, dest)
            elif data is not None:
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(data)
        pkg = _load(base / parsed.vendor, source, run)
    except BaseException:
        tmp.cleanup()
        raise
    pkg._tmp = tmp
    return pkg


def resolve(install_path: Path | None = None, build_dir: Path | None = None, env: dict | None = None,
            cwd: Path | None = None) -> Package:
    """The package to verify (see the module docstring); ``UsageError`` when there is none."""
    env = os.environ if env is None else env
    if install_path is not None and build_dir is not None:
        raise UsageError("--install-path and --build-dir: expected at most one of them, got both")
    if install_path is not None:
        path = Path(install_path)
        root = _from_dir(path, "--install-path")
        if root is None:
            raise UsageError(f"--install-path: expected an OPP folder with vendors/<vendor>/{MANIFEST} or a "
                             f"vendor folder with {MANIFEST}, got {str(path)!r} (nothing installed there)")
        return _load(root, "install-path")
    if build_dir is not None:
        run = _newest_run(Path(build_dir))
        if run is None:
            raise UsageError(f"--build-dir: expected a folder holding a .run (dsaops build --out DIR), "
                             f"got {str(build_dir)!r} (no .run there)")
        return _unpack(run, "build-dir")
    looked = []
    for entry in [e for e in env.get("ASCEND_CUSTOM_OPP_PATH", "").split(":") if e]:
        looked.append(f"$ASCEND_CUSTOM_OPP_PATH entry {entry}")
        root = _from_dir(Path(entry), "$ASCEND_CUSTOM_OPP_PATH")
        if root is not None:
            return _load(root, "ASCEND_CUSTOM_OPP_PATH")
    if env.get("ASCEND_OPP_PATH"):
        vendors = Path(env["ASCEND_OPP_PATH"]) / "vendors"
        looked.append(f"{vendors}/config.ini")
        for name in _priority(vendors):
            if (vendors / name / MANIFEST).is_file():
                return _load(vendors / name, "config.ini")
    record = state_file(env)
    looked.append(f"the last dsaops install ({record})")
    if record.is_file():
        root = Path(record.read_text().strip())
        if (root / MANIFEST).is_file():
            return _load(root, "last-install")
    out = (Path(cwd) if cwd else Path.cwd()) / DEFAULT_BUILD_DIR
    looked.append(f"the build output {out}")
    run = _newest_run(out)
    if run is not None:
        return _unpack(run, "build-output")
    raise UsageError("nothing to verify: no installed dsaops package found; looked at " + "; ".join(looked)
                     + ". Give --install-path DIR or --build-dir DIR, or run dsaops build / install first")


def check_integrity(pkg: Package) -> int:
    """Hash every file and link the manifest lists; ``PackageTampered`` names the first that differs.
    Returns how many entries were checked."""
    files = pkg.manifest.get("files", {})
    links = pkg.manifest.get("links", {})
    bad = []
    for rel, digest in sorted(files.items()):
        path = pkg.root / rel
        try:
            if path.is_symlink():
                bad.append(f"{rel} (a link where the manifest lists a file)")
                continue
            h = hashlib.sha256()
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        except OSError:
            bad.append(f"{rel} (missing)")
            continue
        if h.hexdigest() != digest:
            bad.append(f"{rel} (sha256 {h.hexdigest()[:16]}..., manifest {digest[:16]}...)")
    for rel, target in sorted(links.items()):
        try:
            if os.readlink(pkg.root / rel) != target:
                bad.append(f"{rel} (link changed)")
        except OSError:
            bad.append(f"{rel} (link missing)")
    if bad:
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise PackageTampered(f"{pkg.root}: {len(bad)} installed file(s) differ from the package manifest: "
                              + ", ".join(bad[:5]) + more + "; reinstall the package (dsaops install --force)")
    return len(files) + len(links)


def copy_verified(pkg: Package, rel: str, dest_dir: Path) -> Path:
    """Copy one manifest file into ``dest_dir`` and check the copy's sha256 (what is loaded is what was
    checked, even if the installed file changes meanwhile)."""
    want = pkg.manifest.get("files", {}).get(rel)
    if want is None:
        raise PackageTampered(f"{pkg.root}: {rel} is not listed in the package manifest")
    data = (pkg.root / rel).read_bytes()
    if hashlib.sha256(data).hexdigest() != want:
        raise PackageTampered(f"{pkg.root}: {rel} does not match its manifest sha256")
    dest = Path(dest_dir) / Path(rel).name
    dest.write_bytes(data)
    return dest


__all__ = ["Package", "resolve", "check_integrity", "copy_verified", "remember_install", "state_file"]
