"""Build and run an op's hand-written kernel on the CPU twin.

``build_op_library(op, build_root=...)`` renders the op's generated files (device entry, variants,
tiling problem and check, twin glue) into ``<build_root>/<op>-<key>/gen``, writes a CMakeLists.txt
from ``templates/runner/`` and compiles the entry, the kernel and its tiling with the system C++
compiler through cmake + ninja (the PyPI ``cmake`` and ``ninja`` packages) into one shared library.
Files are rewritten only when their text changes, so ninja's dependency tracking (depfiles of every
header) rebuilds exactly when a source, a kernel header or a twin header changed. A fresh build folder
first looks in the persistent compile cache (``dsaops.compile_cache``), keyed by the generated files, every
source under the kernels folder, the twin headers, the flags and the compiler: a library built once on
this machine (by any build folder, test session or ``dsaops build``) is copied instead of compiled.

``load_op_library(path)`` loads it with ctypes (:class:`OpLibrary`): ``tiling()`` runs the generated
check and the hand-written tiling, ``launch()`` runs the entry on the twin for a SoC chosen at run
time, and the twin's C API gives the work counters. ``dsaops.ops`` builds on these.
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TextIO

from . import compile_cache, resources
from .codegen.engine import Engine
from .codegen.project import has_kernel, render_project, write_project
from .codegen.views import op_view
from .errors import DsaopsError, GenerationError, NotAvailable
from .opdef import OpDef

#: Compiler flags of the twin library (the twin is header-only C++17; -O2 keeps big cases fast).
CXX_FLAGS = ("-O2", "-g0", "-Wall", "-Wno-unused-variable", "-Wno-unused-but-set-variable")


class BuildError(GenerationError):
    """The generated entry, the kernel or its tiling did not compile."""


class KernelRunError(DsaopsError):
    """A kernel failed on the twin (a broken Ascend C rule, a deadlock, a race) or its tiling refused."""

    exit_code = 1


def default_build_root() -> Path:
    """``$DSAOPS_CACHE``, else ``$XDG_CACHE_HOME/dsaops``, else ``~/.cache/dsaops``; then ``/twin``."""
    env = os.environ.get("DSAOPS_CACHE")
    if env:
        return Path(env) / "twin"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "dsaops" / "twin"


def _tool(name: str, module: str) -> str:
    """Path of the ``cmake`` / ``ninja`` binary of the PyPI package, else the one on PATH."""
    candidates = []
    try:
        mod = __import__(module)
        for attr in ("CMAKE_BIN_DIR", "BIN_DIR"):
            if getattr(mod, attr, ""):
                candidates.append(Path(getattr(mod, attr)) / name)
        # the package's scripts folder: <prefix>/bin next to <prefix>/lib/pythonX.Y/site-packages
        candidates.append(Path(mod.__file__).resolve().parents[4] / "bin" / name)
    except ImportError:
        pass
    candidates.append(Path(sysconfig.get_path("scripts")) / name)
    candidates.append(Path(sys.executable).parent / name)
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c)
    found = shutil.which(name)
    if found:
        return found
    raise NotAvailable(f"cannot find the {name} binary: install it with `python -m pip install {module}`")


def _twin_include(kernels: Path) -> Path:
    own = kernels / "twin" / "include"
    return own if (own / "kernel_operator.h").is_file() else resources.kernels_dir() / "twin" / "include"


def _write_if_changed(path: Path, text: str) -> None:
    if path.is_file() and path.read_text() == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def library_dir(op: OpDef, build_root: Path, kernels: Path) -> Path:
    """The op's build folder: one per (op, kernels folder, opdef file)."""
    key = hashlib.sha256(f"{kernels.resolve()}\n{op.location.file}".encode()).hexdigest()[:10]
    return Path(build_root) / f"{op.name}-{key}"


CACHE_KIND = "op-libraries"


def library_key(op: OpDef, gen: Path, kernels: Path, twin_include: Path, cmake_text: str,
                cxx_flags: tuple[str, ...]) -> str:
    """Compile-cache key of an op's twin library: everything the compiled bytes depend on.

    The build is reproducible across folders (``-ffile-prefix-map``), so the folders' absolute paths are
    replaced by placeholders in the CMakeLists text and the trees are hashed by relative path.
    """
    text = cmake_text
    for path, name in ((twin_include, "<twin_include>"), (gen, "<gen>"), (kernels, "<kernels>")):
        text = text.replace(path.as_posix(), name)
    h = compile_cache.Hasher("op-library").add(op.name, text, "\0".join(cxx_flags))
    cxx = compile_cache.default_cxx()
    h.add(cxx, compile_cache.compiler_id(cxx))
    h.add_tree(gen, label="gen").add_tree(kernels, label="kernels")
    try:
        twin_include.relative_to(kernels)
    except ValueError:
        h.add_tree(twin_include, label="twin_include")
    return h.hexdigest()


def build_op_library(op: OpDef, *, build_root: Path, kernels_dir: Path | None = None, jobs: int | None = None,
                     log: Callable[[str], None] | TextIO | None = None, templates_dir: Path | None = None,
                     cxx_flags: tuple[str, ...] | None = None) -> Path:
    """Compile ``op``'s entry + kernel + tiling + twin glue into one shared library; return its path.

    Cached under ``build_root``: a second call rebuilds only what changed (nothing when nothing did).
    ``log`` receives progress lines (cmake / ninja output): a callable taking one line, or a text file. Raises ``NotAvailable`` when the op has
    no kernel in ``kernels_dir`` (default: the bundled ``ascendc/``) and ``BuildError`` when it does
    not compile (the message holds the compiler output). ``cxx_flags`` replaces ``CXX_FLAGS``.
    """
    kernels = Path(kernels_dir).resolve() if kernels_dir is not None else resources.kernels_dir().resolve()
    templates = Path(templates_dir) if templates_dir is not None else resources.templates_dir()
    if not has_kernel(op, kernels):
        raise NotAvailable(f"{op.name}: no kernel yet (no C++ sources in {kernels / op.kernel.dir})")
    view = op_view(op, True)
    kernel_dir = kernels / op.kernel.dir
    for need in (view.kernel.tiling_source, view.kernel.header):
        if not (kernel_dir / need).is_file():
            raise NotAvailable(f"{op.name}: the kernel folder {kernel_dir} has no {need}")
    root = library_dir(op, Path(build_root), kernels)
    root.mkdir(parents=True, exist_ok=True)
    if log is None:
        say = lambda _line: None  # noqa: E731
    elif hasattr(log, "write"):
        say = lambda line: log.write(line + "\n")  # noqa: E731
    else:
        say = log
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        gen = root / "gen"
        write_project(render_project([op], templates, kernels=kernels), gen)
        flags = tuple(cxx_flags) if cxx_flags is not None else CXX_FLAGS
        twin_include = _twin_include(kernels)
        cmake_text = Engine(templates).render("runner/CMakeLists.txt.j2", {
            "op": view, "gen": gen.as_posix(), "kernels": kernels.as_posix(), "kernel_dir": kernel_dir.as_posix(),
            "twin_include": twin_include.as_posix(), "cxx_flags": flags,
        })
        _write_if_changed(root / "CMakeLists.txt", cmake_text)
        build = root / "build"
        lib = build / f"lib{op.name}_twin.so"
        key = library_key(op, gen, kernels, twin_include, cmake_text, flags)
        if not (build / "build.ninja").is_file():
            # A fresh folder: no ninja state to keep up to date, so a library compiled before is reused.
            cached = compile_cache.lookup(key, CACHE_KIND, lib.name)
            if cached is not None:
                if not (lib.is_file() and lib.read_bytes() == cached.read_bytes()):
                    compile_cache.copy_atomic(cached, lib)
                    say(f"{lib.name}: copied from the compile cache ({key[:16]})")
                else:
                    say(f"{lib.name}: up to date with the compile cache ({key[:16]})")
                return lib
        cmake = _tool("cmake", "cmake")
        if not (build / "build.ninja").is_file():
            _run([cmake, "-S", str(root), "-B", str(build), "-G", "Ninja",
                  f"-DCMAKE_MAKE_PROGRAM={_tool('ninja', 'ninja')}", "-DCMAKE_BUILD_TYPE=Release"], op, say)
        cmd = [cmake, "--build", str(build)]
        if jobs:
            cmd += ["-j", str(jobs)]
        _run(cmd, op, say)
        if not lib.is_file():
            raise BuildError(f"{op.name}: the build finished but {lib} is missing")
        compile_cache.store_file(key, CACHE_KIND, lib.name, lib)
    return lib


def _run(cmd: list[str], op: OpDef, say: Callable[[str], None]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    for line in (proc.stdout + proc.stderr).splitlines():
        say(line)
    if proc.returncode != 0:
        out = (proc.stdout + proc.stderr).strip()
        raise BuildError(f"{op.name}: building the twin library failed ({' '.join(Path(c).name if i == 0 else c for i, c in enumerate(cmd))}):\n{out}")


# ---- loading and calling ------------------------------------------------------------------------------


class TilingResult(ctypes.Structure):
    _fields_ = [("blockDim", ctypes.c_uint32), ("tilingKey", ctypes.c_uint64), ("workspaceSize", ctypes.c_uint64),
                ("error", ctypes.c_char * 512)]


_TILING_FORMAT = {"uint8": "B", "int8": "b", "uint16": "H", "int16": "h", "uint32": "I", "int32": "i",
                  "uint64": "Q", "int64": "q", "float": "f"}


def decode_tiling(op: OpDef, raw: bytes) -> dict[str, int | float]:
    """The tiling struct's fields by name (native alignment, as the generated header lays it out)."""
    fmt = "@" + "".join(_TILING_FORMAT[f.type] for f in op.tiling.fields)
    values = struct.unpack_from(fmt, raw)
    return {f.name: v for f, v in zip(op.tiling.fields, values)}


@dataclass(frozen=True)
class Tiling:
    raw: bytes
    fields: dict
    block_dim: int
    tiling_key: int
    workspace_size: int


_LOADED: dict[str, ctypes.CDLL] = {}


class OpLibrary:
    """An op's twin library loaded with ctypes."""

    def __init__(self, op: OpDef, path: Path):
        self.op = op
        self.path = Path(path)
        data = self.path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()[:16]
        # dlopen caches by path: a rebuilt library is loaded from a copy named by its content
        loaded = _LOADED.get(digest)
        if loaded is None:
            copy = self.path.with_name(f"{self.path.stem}.{digest}.so")
            if not copy.is_file():
                tmp = copy.with_name(copy.name + f".{os.getpid()}.tmp")
                tmp.write_bytes(data)
                os.replace(tmp, copy)
            loaded = ctypes.CDLL(str(copy))
            _LOADED[digest] = loaded
        lib = self.lib = loaded
        lib.dsaops_op_name.restype = ctypes.c_char_p
        lib.dsaops_tiling_size.restype = ctypes.c_uint32
        lib.dsaops_tiling.restype = ctypes.c_int
        lib.dsaops_tiling.argtypes = [ctypes.c_char_p, ctypes.c_uint32, ctypes.POINTER(ctypes.c_int64),
                                      ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_double),
                                      ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_uint8), ctypes.c_int,
                                      ctypes.c_void_p, ctypes.POINTER(TilingResult)]
        lib.dsaops_launch.restype = ctypes.c_int
        lib.dsaops_launch.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_uint64),
                                      ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_uint64), ctypes.c_void_p,
                                      ctypes.c_uint32, ctypes.c_uint64, ctypes.c_uint64]
        lib.twin_last_error.restype = ctypes.c_char_p
        lib.twin_counter_name.restype = ctypes.c_char_p
        lib.twin_core_counters.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_uint64), ctypes.c_int]
        lib.twin_total_counters.argtypes = [ctypes.POINTER(ctypes.c_uint64), ctypes.c_int]
        lib.twin_core_info.argtypes = [ctypes.c_int] + [ctypes.POINTER(ctypes.c_int)] * 3
        lib.twin_soc_info.argtypes = [ctypes.c_char_p] + [ctypes.POINTER(ctypes.c_int)] * 3
        name = lib.dsaops_op_name().decode()
        if name != op.name:
            raise BuildError(f"{path} runs {name!r}, not {op.name!r}")
        self.tiling_size = lib.dsaops_tiling_size()

    # -- tiling ------------------------------------------------------------------------------------------
    def tiling(self, soc: str, variant: int, dims: dict, attrs: dict, present: dict, check_only: bool = False
               ) -> Tiling:
        """Run the generated check (and unless ``check_only`` the hand-written tiling) on a problem.

        ``dims``: dim -> size (missing: not bound, 0); ``attrs``: attr -> value; ``present``: input -> bool.
        Raises ``ConstraintError`` with the generated check's message, ``KernelRunError`` when the
        hand-written tiling refuses the problem.
        """
        from .errors import ConstraintError

        op = self.op
        dim_arr = (ctypes.c_int64 * max(1, len(op.dims)))(*[int(dims.get(d, 0)) for d in op.dims])
        problem_attrs = [a for a in op.attrs if a.type in ("int", "float", "str", "bool")]
        n = max(1, len(problem_attrs))
        ints = (ctypes.c_int64 * n)()
        floats = (ctypes.c_double * n)()
        strs = (ctypes.c_char_p * n)()
        for i, a in enumerate(problem_attrs):
            v = attrs[a.name]
            if a.type == "str":
                strs[i] = str(v).encode()
            elif a.type == "float":
                floats[i] = float(v)
            else:
                ints[i] = int(v)
        has = (ctypes.c_uint8 * max(1, len(op.inputs)))(*[1 if present.get(t.name) else 0 for t in op.inputs])
        raw = ctypes.create_string_buffer(max(1, self.tiling_size))
        res = TilingResult()
        if self.lib.dsaops_tiling(soc.encode(), variant, dim_arr, ints, floats, strs, has, 1, raw, ctypes.byref(res)):
            raise ConstraintError(res.error.decode(errors="replace"))
        if check_only:
            return Tiling(b"", {}, 0, 0, 0)
        if self.lib.dsaops_tiling(soc.encode(), variant, dim_arr, ints, floats, strs, has, 0, raw, ctypes.byref(res)):
            raise KernelRunError(f"{op.name}: tiling failed: {res.error.decode(errors='replace')}")
        data = raw.raw[:self.tiling_size]
        return Tiling(data, decode_tiling(op, data), res.blockDim, res.tilingKey, res.workspaceSize)

    # -- launch ------------------------------------------------------------------------------------------
    def launch(self, soc: str, inputs: list, outputs: list, tiling: Tiling) -> None:
        """Run the entry on the twin; ``inputs`` / ``outputs``: C-contiguous numpy arrays (None: absent)."""
        def ptrs(arrays):
            p = (ctypes.c_void_p * max(1, len(arrays)))()
            sizes = (ctypes.c_uint64 * max(1, len(arrays)))()
            for i, a in enumerate(arrays):
                if a is not None:
                    p[i] = a.ctypes.data
                    sizes[i] = a.nbytes
            return p, sizes
        in_p, in_s = ptrs(inputs)
        out_p, out_s = ptrs(outputs)
        raw = ctypes.create_string_buffer(tiling.raw, max(1, len(tiling.raw)))
        rc = self.lib.dsaops_launch(soc.encode(), in_p, in_s, out_p, out_s, raw, tiling.block_dim, tiling.tiling_key,
                                    tiling.workspace_size)
        if rc != 0:
            error = self.lib.twin_last_error().decode(errors="replace")
            raise KernelRunError(f"{self.op.name} failed on the twin ({soc}): {error}")

    # -- counters ----------------------------------------------------------------------------------------
    def counter_names(self) -> list[str]:
        return [self.lib.twin_counter_name(i).decode() for i in range(self.lib.twin_counter_count())]

    def total_counters(self) -> dict[str, int]:
        names = self.counter_names()
        buf = (ctypes.c_uint64 * len(names))()
        self.lib.twin_total_counters(buf, len(names))
        return dict(zip(names, map(int, buf)))

    def core_counters(self) -> list[dict]:
        names = self.counter_names()
        cores = []
        for c in range(self.lib.twin_core_count()):
            is_aic, block, sub = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
            self.lib.twin_core_info(c, ctypes.byref(is_aic), ctypes.byref(block), ctypes.byref(sub))
            buf = (ctypes.c_uint64 * len(names))()
            self.lib.twin_core_counters(c, buf, len(names))
            cores.append({"core": c, "is_aic": bool(is_aic.value), "block_idx": block.value,
                          "sub_block_idx": sub.value, "counters": dict(zip(names, map(int, buf)))})
        return cores

    def soc_info(self, soc: str) -> dict | None:
        aic, aiv, mhz = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
        if self.lib.twin_soc_info(soc.encode(), ctypes.byref(aic), ctypes.byref(aiv), ctypes.byref(mhz)) != 0:
            return None
        return {"aic": aic.value, "aiv": aiv.value, "mhz": mhz.value}


def load_op_library(op: OpDef, path: Path) -> OpLibrary:
    return OpLibrary(op, path)
