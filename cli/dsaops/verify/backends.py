"""Where ``dsaops verify`` runs the package's ops: one small interface, one class per backend.

A backend is opened on a :class:`~dsaops.verify.target.Package` and then

* ``run(op, inputs, soc) -> (outputs tuple, RunInfo)`` runs one call of ``op`` (an ``OpDef``) on numpy
  keyword arguments, the way ``torch.ops`` or ``dsaops.ops`` would call it;
* ``RunInfo`` says what the run did: wall time, launch geometry, tiling and work counters.

``twin`` loads the twin library the package carries (``dsaops/twin/lib/lib<op>_twin.so``, listed in
its manifest): the bytes are hashed against the manifest, copied to a private folder and loaded
from there, so what runs is exactly what was checked, and nothing is rebuilt from the source tree.
``npu`` (torch_npu on an Ascend device) is not available here: opening it raises
``BackendUnavailable`` (exit 15) saying why.
"""

from __future__ import annotations

import importlib.util
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BackendUnavailable, DsaopsError, UsageError
from ..opdef import OpDef
from .target import Package, copy_verified

BACKENDS = ("auto", "twin", "npu")


class CannotRun(DsaopsError):
    """One op cannot run on this backend (no library in the package, the library names another op)."""

    exit_code = 12


@dataclass(frozen=True)
class RunInfo:
    wall_s: float
    variant: str = ""
    block_dim: int = 0
    tiling_key: int = 0
    tiling: dict = field(default_factory=dict)
    counters: dict = field(default_factory=dict)  # nonzero totals
    cores: list = field(default_factory=list)  # per core: {core, is_aic, counters}


class Backend:
    name = "?"

    def run(self, op: OpDef, inputs: dict, soc: str) -> tuple[tuple, RunInfo]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class TwinBackend(Backend):
    """Runs the twin libraries of an installed (or unpacked) package on the CPU twin."""

    name = "twin"

    def __init__(self, pkg: Package):
        self.pkg = pkg
        self._dir = tempfile.TemporaryDirectory(prefix="dsaops-verify-twin-")
        self._libs: dict[str, object] = {}

    def library(self, op: OpDef):
        from ..runner import load_op_library

        if op.name in self._libs:
            return self._libs[op.name]
        entry = self.pkg.ops.get(op.name)
        if entry is None:
            raise CannotRun(f"{op.name}: the package does not hold this op")
        rel = entry.get("twin_library")
        if not rel:
            raise CannotRun(f"{op.name}: the package has no twin library for this op (built with backend "
                            f"{self.pkg.manifest.get('backend')!r}); run it with --backend npu on a device")
        if entry.get("op_type") not in (None, op.op_type):
            raise CannotRun(f"{op.name}: the package builds it as {entry.get('op_type')!r}, the opdef says "
                            f"{op.op_type!r}")
        folder = Path(self._dir.name) / op.name
        folder.mkdir(exist_ok=True)
        path = copy_verified(self.pkg, rel, folder)
        try:
            lib = load_op_library(op, path)
        except OSError as exc:
            raise CannotRun(f"{op.name}: cannot load {rel} from the package: {exc}") from None
        self._libs[op.name] = lib
        return lib

    def run(self, op: OpDef, inputs: dict, soc: str) -> tuple[tuple, RunInfo]:
        from ..ops import launch_buffers, problem_of, split_pre_converted
        from ..validate import bind

        inputs, pre_nz = split_pre_converted(inputs)
        binding = bind(op, inputs)
        lib = self.library(op)
        if lib.soc_info(soc) is None:
            raise CannotRun(f"{op.name}: the twin does not know SoC {soc!r}")
        variant, dims, attrs, present = problem_of(binding)
        tiling = lib.tiling(soc, variant, dims, attrs, present)
        args, outs = launch_buffers(binding, pre_nz)  # device formats, in-place outputs: as dsaops.ops
        t0 = time.perf_counter()
        lib.launch(soc, args, outs, tiling)
        wall = time.perf_counter() - t0
        cores = [{"core": c["core"], "is_aic": c["is_aic"], "counters": c["counters"]} for c in lib.core_counters()]
        counters = {k: v for k, v in lib.total_counters().items() if v}
        return tuple(outs), RunInfo(wall, binding.variant.id, tiling.block_dim, tiling.tiling_key, dict(tiling.fields),
                                    counters, cores)

    def close(self) -> None:
        self._dir.cleanup()


def npu_unavailable_reason() -> str:
    """Why the npu backend cannot run here (it never can in this version; the reason says what is missing)."""
    if importlib.util.find_spec("torch_npu") is None:
        return "torch_npu is not installed and no Ascend NPU is visible on this machine"
    return ("torch_npu is installed, but this dsaops version has no NPU runner yet: it verifies packages on the "
            "CPU twin (--backend twin)")


def choose(name: str) -> str:
    if name not in BACKENDS:
        raise UsageError(f"--backend: expected one of {', '.join(BACKENDS)}, got {name!r}")
    if name == "auto":
        return "twin"  # npu is never available in this version (npu_unavailable_reason)
    if name == "npu":
        raise BackendUnavailable(f"--backend npu is not available: {npu_unavailable_reason()}; "
                                 "use --backend twin (or auto)")
    return name


def open_backend(name: str, pkg: Package) -> Backend:
    chosen = choose(name)
    if chosen == "twin":
        return TwinBackend(pkg)
    raise BackendUnavailable(f"--backend {chosen} is not available")  # pragma: no cover
