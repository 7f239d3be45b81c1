"""Compile and run C++ programs against the Ascend C CPU twin.

`TwinBuilder.run(source)` compiles ``source`` with
``g++ -std=c++17 -O1 -pthread -I ascendc/twin/include`` (from the repository root, so
``__FILE__`` and the twin's error messages name the source by its repository-relative path),
caches the binary by a hash of the source, the flags and every twin header, and runs it.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
TWIN_INCLUDE = REPO / "ascendc" / "twin" / "include"
CXX = os.environ.get("CXX", "g++")
BASE_FLAGS = ("-std=c++17", "-O1", "-pthread")
# Environment variables the twin reads at run time. Programs run with none of them inherited: a test
# that depends on one passes it in ``env`` (so a TWIN_SOC in the developer's shell cannot change results).
TWIN_RUNTIME_VARS = ("TWIN_SOC", "TWIN_PRINT_COUNTERS")


def twin_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """os.environ without the twin's run-time variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in TWIN_RUNTIME_VARS}
    if extra:
        env.update(extra)
    return env


class TwinCompileError(AssertionError):
    """g++ rejected a twin program; the message holds the command and compiler output."""


@dataclass(frozen=True)
class RunResult:
    stdout: str
    stderr: str
    returncode: int
    binary: Path

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass(frozen=True)
class CompileResult:
    ok: bool
    binary: Path
    output: str


@dataclass(frozen=True)
class SyntaxCheck:
    """Result of ``TwinBuilder.syntax_check``: ``error_lines`` are the lines of the checked source that g++
    reported an error at, or that an error inside a twin header was "required from"."""

    ok: bool
    error_lines: frozenset[int]
    output: str


def _headers_digest() -> str:
    h = hashlib.sha256()
    for p in sorted(TWIN_INCLUDE.rglob("*.h")):
        h.update(str(p.relative_to(TWIN_INCLUDE)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


class TwinBuilder:
    def __init__(self, cache_dir: Path):
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self._headers = _headers_digest()

    def _source_path(self, source: str | Path) -> tuple[str, bytes]:
        """(path to pass to g++, relative to REPO when possible; content)."""
        if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and source.endswith(".cpp")):
            p = Path(source)
            if not p.is_absolute():
                p = REPO / p
            try:
                arg = str(p.relative_to(REPO))
            except ValueError:
                arg = str(p)
            return arg, p.read_bytes()
        data = source.encode()
        digest = hashlib.sha256(data).hexdigest()[:16]
        p = self.cache_dir / f"inline_{digest}.cpp"
        if not p.exists():
            p.write_bytes(data)
        return str(p), data

    def compile(self, source: str | Path, extra_flags: tuple[str, ...] = ()) -> CompileResult:
        """Compile (or reuse the cached binary); never raises on a compiler error."""
        arg, data = self._source_path(source)
        flags = BASE_FLAGS + tuple(extra_flags)
        key = hashlib.sha256(data + self._headers.encode() + " ".join(flags).encode() + arg.encode()).hexdigest()[:24]
        binary = self.cache_dir / f"prog_{key}"
        if binary.exists():
            return CompileResult(True, binary, "")
        cmd = [CXX, *flags, "-I", str(TWIN_INCLUDE.relative_to(REPO)), arg, "-o", str(binary) + ".tmp"]
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
        if proc.returncode != 0:
            return CompileResult(False, binary, f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
        os.replace(str(binary) + ".tmp", binary)
        return CompileResult(True, binary, proc.stderr)

    def build(self, source: str | Path, extra_flags: tuple[str, ...] = ()) -> Path:
        res = self.compile(source, extra_flags)
        if not res.ok:
            raise TwinCompileError(res.output)
        return res.binary

    def run(
        self,
        source: str | Path,
        args: tuple[str, ...] | list[str] = (),
        env: dict[str, str] | None = None,
        timeout: float = 120,
        extra_flags: tuple[str, ...] = (),
        stdin: str | None = None,
    ) -> RunResult:
        binary = self.build(source, extra_flags)
        full_env = twin_env(env)
        proc = subprocess.run(
            [str(binary), *map(str, args)],
            cwd=REPO,
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
            input=stdin,
        )
        return RunResult(proc.stdout, proc.stderr, proc.returncode, binary)

    @staticmethod
    def env(extra: dict[str, str] | None = None) -> dict[str, str]:
        """The environment programs run in (see ``twin_env``); for tests that start binaries themselves."""
        return twin_env(extra)

    def syntax_check(self, source: str | Path) -> SyntaxCheck:
        """Compile-fail runner: ``g++ -fsyntax-only`` on ``source`` (never cached, never raises).

        A snippet the real v8.5.0 headers reject must be rejected here too: put each snippet in its own
        function of one file and assert that its line is in ``error_lines`` (one compile checks them all;
        g++ reports every failing function).
        """
        arg, _ = self._source_path(source)
        cmd = [CXX, *BASE_FLAGS, "-fsyntax-only", "-fmax-errors=0", "-I", str(TWIN_INCLUDE.relative_to(REPO)), arg]
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
        out = proc.stdout + proc.stderr
        name = re.escape(Path(arg).name)
        lines = set()
        for m in re.finditer(rf"(?:^|/){name}:(\d+):\d+:\s+(error|required from here)", out, re.MULTILINE):
            lines.add(int(m.group(1)))
        return SyntaxCheck(proc.returncode == 0, frozenset(lines), f"$ {' '.join(cmd)}\n{out}")

