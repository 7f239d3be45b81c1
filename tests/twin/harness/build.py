"""Compile and run C++ programs against the Ascend C CPU twin.

`TwinBuilder.run(source)` compiles ``source`` with
``g++ -std=c++17 -O1 -pthread -I ascendc/twin/include`` (from the repository root, so
``__FILE__`` and the twin's error messages name the source by its repository-relative path) and runs it.
Binaries live in the persistent compile cache (``dsaops.compile_cache``: ``$DSAOPS_CACHE/compiled`` or
``~/.cache/dsaops/compiled``), keyed by the source, its path, the flags, every twin header and the compiler's
identity; a warm cache compiles nothing. ``prebuild`` compiles many programs in the background on at most
CPU-count threads; ``build`` waits for a program being prebuilt.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from dsaops import compile_cache

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


CACHE_KIND = "twin-programs"


def _headers_digest() -> str:
    return compile_cache.Hasher("twin-headers").add_tree(TWIN_INCLUDE).hexdigest()


class TwinBuilder:
    def __init__(self, jobs: int | None = None):
        self.jobs = jobs or compile_cache.cpu_count()
        self._headers = _headers_digest()
        self._compiler = compile_cache.compiler_id(CXX)
        self._lock = threading.Lock()
        self._pending: dict[str, Future] = {}
        self._pool: ThreadPoolExecutor | None = None

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
        digest = compile_cache.Hasher("twin-inline").add(data).hexdigest()[:24]
        p = compile_cache.cache_root() / "twin-inline" / f"inline_{digest}.cpp"
        if not p.is_file():
            p.parent.mkdir(parents=True, exist_ok=True)
            tmp = p.with_name(f".{p.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, p)
        return str(p), data

    def _key(self, arg: str, data: bytes, flags: tuple[str, ...]) -> str:
        return (compile_cache.Hasher("twin-program").add(self._compiler, CXX, "\0".join(flags), arg, data, self._headers)
                .hexdigest())

    def _compile(self, key: str, arg: str, flags: tuple[str, ...]) -> CompileResult:
        binary = compile_cache.entry_dir(key, CACHE_KIND) / "prog"
        if binary.is_file():
            return CompileResult(True, binary, "")
        binary.parent.mkdir(parents=True, exist_ok=True)
        tmp = binary.with_name(f".prog.{os.getpid()}.{threading.get_ident()}.tmp")
        cmd = [CXX, *flags, "-I", str(TWIN_INCLUDE.relative_to(REPO)), arg, "-o", str(tmp)]
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
        if proc.returncode != 0:
            tmp.unlink(missing_ok=True)
            return CompileResult(False, binary, f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
        os.replace(tmp, binary)  # atomic: a concurrent worker sees no binary or the whole one
        return CompileResult(True, binary, proc.stderr)

    def compile(self, source: str | Path, extra_flags: tuple[str, ...] = ()) -> CompileResult:
        """Compile (or reuse the cached binary, or wait for its prebuild); never raises on a compiler error."""
        arg, data = self._source_path(source)
        flags = BASE_FLAGS + tuple(extra_flags)
        key = self._key(arg, data, flags)
        with self._lock:
            pending = self._pending.get(key)
        if pending is not None:
            return pending.result()
        return self._compile(key, arg, flags)

    def prebuild(self, programs) -> int:
        """Start compiling ``programs`` (sources, or ``(source, extra_flags)`` pairs) in the background on at
        most ``jobs`` threads; return how many were not cached yet. Errors surface when a test builds one."""
        started = 0
        for prog in programs:
            source, extra = (prog, ()) if isinstance(prog, (str, Path)) else (prog[0], tuple(prog[1]))
            arg, data = self._source_path(source)
            flags = BASE_FLAGS + extra
            key = self._key(arg, data, flags)
            with self._lock:
                if key in self._pending or (compile_cache.entry_dir(key, CACHE_KIND) / "prog").is_file():
                    continue
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="twin-compile")
                self._pending[key] = self._pool.submit(self._compile, key, arg, flags)
                started += 1
        return started

    def close(self) -> None:
        """Stop prebuilding: queued compiles are dropped, running ones finish."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

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

