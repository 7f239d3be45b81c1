"""`dsaops doctor`: the toolchain this machine offers and what each command would do with it."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..opdef.build import KNOWN_SOCS
from .builder import detect_cann
from .installer import installed, resolve_target
from .layout import host_arch
from ..errors import PackageError


@dataclass(frozen=True)
class Tool:
    name: str
    found: bool
    detail: str


def _version_of(cmd: list[str]) -> str | None:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    text = (r.stdout or r.stderr).strip().splitlines()
    return text[0] if r.returncode == 0 and text else None


def cmake_exe() -> str | None:
    try:
        import cmake

        path = Path(cmake.CMAKE_BIN_DIR) / "cmake"
        if path.is_file():
            return str(path)
    except (ImportError, AttributeError):
        pass
    return shutil.which("cmake")


def ninja_exe() -> str | None:
    try:
        import ninja

        if ninja.BIN_DIR and (Path(ninja.BIN_DIR) / "ninja").is_file():
            return str(Path(ninja.BIN_DIR) / "ninja")
    except (ImportError, AttributeError):
        pass
    for candidate in (Path(sys.base_prefix) / "bin" / "ninja", Path(sys.prefix) / "bin" / "ninja"):
        if candidate.is_file():
            return str(candidate)
    return shutil.which("ninja")


def tools(env: dict | None = None) -> list[Tool]:
    env = os.environ if env is None else env
    out = [Tool("python", True, f"{platform.python_version()} ({sys.executable})"),
           Tool("arch", True, host_arch())]
    cxx = env.get("CXX") or shutil.which("g++") or shutil.which("c++")
    cxx_v = _version_of([cxx, "--version"]) if cxx else None
    out.append(Tool("c++ compiler", cxx_v is not None, f"{cxx}: {cxx_v}" if cxx_v else "none (set CXX or install g++)"))
    for name, exe in (("cmake", cmake_exe()), ("ninja", ninja_exe())):
        v = _version_of([exe, "--version"]) if exe else None
        out.append(Tool(name, v is not None, f"{exe}: {v}" if v else f"none (pip install {name})"))
    for name in ("sh", "tar", "gzip", "sha256sum"):
        exe = shutil.which(name)
        out.append(Tool(name, exe is not None, exe or "none"))
    cann = detect_cann(env)
    if cann:
        out.append(Tool("CANN", True, f"{cann.version or 'version unknown'} at {cann.path} (${cann.source})"))
    else:
        out.append(Tool("CANN", False, "none (ASCEND_CANN_PACKAGE_PATH / ASCEND_HOME_PATH unset)"))
    out.append(Tool("SoCs", True, ", ".join(KNOWN_SOCS)))
    return out


def report(env: dict | None = None, install_path: str | None = None) -> tuple[list[Tool], list[str]]:
    """The tools and one line per command saying what it would do here."""
    env = os.environ if env is None else env
    ts = tools(env)
    found = {t.name: t.found for t in ts}
    cann = detect_cann(env)
    twin_ok = found.get("c++ compiler") and found.get("cmake") and found.get("ninja")
    lines = []
    if cann:
        lines.append(f"build:     backend auto = cann (CANN {cann.version or '?'}), SoCs {', '.join(KNOWN_SOCS)}")
    elif twin_ok:
        lines.append(f"build:     backend auto = twin (no CANN toolkit), SoCs {', '.join(KNOWN_SOCS)}")
    else:
        lines.append("build:     cannot build: needs a C++ compiler, cmake and ninja (pip install cmake ninja)")
    try:
        target = resolve_target(install_path, env)
        where = f"{target.vendors}/<vendor> ({'bin/set_env.bash' if target.kind == 'custom' else 'config.ini load_priority'})"
        lines.append(f"install:   into {where}")
        for inst in installed(target.opp):
            ops = ", ".join(o["name"] for o in inst.get("ops", []))
            lines.append(f"installed: {inst['root']}: {inst.get('version')} {inst.get('backend')} [{ops}]")
    except PackageError as exc:
        lines.append(f"install:   needs a target: {exc}")
    lines.append("verify:    runs on the " + ("device (CANN)" if cann else "CPU twin"))
    return ts, lines
