"""Run the ops' hand-written Ascend C kernels from Python: numpy in, numpy out.

    >>> import dsaops.ops
    >>> idx = dsaops.ops.lightning_indexer(query, key, weights, sparse_count=512)   # on the CPU twin
    >>> dsaops.ops.last_report().counters["bytes.GM_UB"]

Every bundled op whose kernel folder exists (``ascendc/<op>/``) is a function here with its seed
signature plus ``backend='twin'`` and ``soc='ascend910_93'``. A call

1. checks the arguments against the opdef (``dsaops.validate.bind``: the same errors as the goldens,
   ``ConstraintError``);
2. builds (once, cached; see ``dsaops.runner``) and loads the op's twin library;
3. converts every input the opdef declares ``FRACTAL_NZ`` from ND (``dsaops.formats.nd_to_nz``; an
   argument given as ``dsaops.formats.nz_weight(nz_array, nd_shape)`` is passed as it is); an in-place
   output (opdef ``aliases``: the prologs' paged caches) is a copy of its input bound to both
   parameters, as on the device (the caller's array is left as it was; ``launch_buffers``);
4. runs the generated tiling check and the hand-written tiling on the shapes and attrs, launches the
   kernel on the twin on the requested SoC, and returns the output (a tuple for several outputs).

``backend='npu'`` needs an Ascend NPU with CANN and raises ``NotAvailable`` on this machine.
``run(op, *args, opdefs=..., kernels=..., **kwargs)`` does the same for an op of any opdef folder
and kernels folder (e.g. a test fixture). ``last_report()`` describes the last run: the twin's
work counters (totals and per core, under the twin's own names such as ``bytes.GM_UB``,
``cube_macs.int8``, ``scalar_reads``), wall time, and the tiling used.

Where the libraries are built: ``build_root`` argument, else ``$DSAOPS_CACHE`` / ``$XDG_CACHE_HOME``
(``dsaops.runner.default_build_root``).
"""

from __future__ import annotations

import functools
import inspect
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import formats, resources
from .errors import ConstraintError, NotAvailable, UsageError
from .opdef import REQUIRED, OpDef, load_opdefs
from .runner import OpLibrary, build_op_library, default_build_root, load_op_library
from .validate import Binding, bind

BACKENDS = ("twin", "npu")
DEFAULT_SOC = "ascend910_93"


@dataclass(frozen=True)
class RunReport:
    """What the last ``dsaops.ops`` call did on the twin."""

    op: str
    soc: str
    backend: str
    variant: str  # dtype row id
    counters: dict  # twin counter name -> total over all cores
    cores: list  # per simulated core: {core, is_aic, block_idx, sub_block_idx, counters}
    wall_s: float  # wall time of the launch (twin simulation, not a device time)
    tiling: dict  # tiling struct fields
    block_dim: int
    tiling_key: int
    workspace_size: int
    tiling_s: float = 0.0
    dims: dict = field(default_factory=dict)
    attrs: dict = field(default_factory=dict)

    def nonzero(self) -> dict:
        return {k: v for k, v in self.counters.items() if v}


_last: list[RunReport] = []


def last_report() -> RunReport:
    """The report of the last successful run in this process (``UsageError`` before any)."""
    if not _last:
        raise UsageError("no op has run yet: call a dsaops.ops function first")
    return _last[-1]


_LIBRARIES: dict[tuple, OpLibrary] = {}


def library(op: OpDef, *, kernels: Path | None = None, build_root: Path | None = None,
            cxx_flags: tuple[str, ...] | None = None) -> OpLibrary:
    """The op's loaded twin library (built on the first call of a process, then reused; cached on disk)."""
    kernels = (Path(kernels) if kernels is not None else resources.kernels_dir()).resolve()
    root = (Path(build_root) if build_root is not None else default_build_root()).resolve()
    key = (op.name, str(op.location.file), str(kernels), str(root))
    if key not in _LIBRARIES:
        path = build_op_library(op, build_root=root, kernels_dir=kernels, cxx_flags=cxx_flags)
        _LIBRARIES[key] = load_op_library(op, path)
    return _LIBRARIES[key]


def problem_of(binding: Binding) -> tuple[int, dict, dict, dict]:
    """(variant index, dims, attrs, presence) of a checked call: what the tiling sees."""
    op = binding.op
    variant = [v.id for v in op.variants].index(binding.variant.id)
    present = {t.name: binding.tensors.get(t.name) is not None for t in op.inputs}
    return variant, dict(binding.dims), dict(binding.attrs), present


def launch_buffers(binding: Binding, pre_converted: dict | None = None) -> tuple[list, list[np.ndarray]]:
    """(inputs, outputs) of a launch, in opdef order.

    Inputs are in their declared device format (FRACTAL_NZ ones converted from ND by
    ``dsaops.formats``; ``pre_converted`` maps names to ``NzWeight``s passed as they are; None for an
    absent optional input). Outputs are poisoned with 0xA5 bytes, except an in-place output (opdef
    ``aliases: <input>``, the prologs' paged caches): a copy of its input's device bytes, bound to both
    parameters as on the device (the caller's array is left as it was).
    """
    pre_converted = pre_converted or {}
    op = binding.op
    inputs = []
    for t in op.inputs:
        value = binding.tensors.get(t.name)
        if value is None:
            inputs.append(None)
        else:
            value = pre_converted.get(t.name, value)
            inputs.append(formats.to_device_format(value, t.format, binding.variant.dtypes[t.name].numpy))
    names = [t.name for t in op.inputs]
    outputs = []
    for t in op.outputs:
        if t.aliases is not None:
            out = np.array(inputs[names.index(t.aliases)], copy=True)
            inputs[names.index(t.aliases)] = out  # one buffer for the input and its in-place output
        else:
            out = np.empty(binding.output_shape(t.name), dtype=binding.output_dtype(t.name))
            out.view(np.uint8).reshape(-1)[:] = 0xA5  # poison: an element the kernel never writes shows
        outputs.append(out)
    return inputs, outputs


def split_pre_converted(args: dict) -> tuple[dict, dict]:
    """(args with ND views for the checks, the ``NzWeight`` arguments to launch as they are)."""
    pre_nz = {n: v for n, v in args.items() if isinstance(v, formats.NzWeight)}
    if pre_nz:
        args = {**args, **{n: v.to_nd() for n, v in pre_nz.items()}}
    return args, pre_nz


def call(op: OpDef, args: dict, *, backend: str = "twin", soc: str = DEFAULT_SOC, kernels: Path | None = None,
         build_root: Path | None = None):
    """Run ``op`` on named arguments ``args`` (parameter name -> value); see the module docstring."""
    if backend not in BACKENDS:
        raise ConstraintError(f"{op.name}: backend must be one of {list(BACKENDS)}, got {backend!r}")
    args, pre_nz = split_pre_converted(args)  # the checks read ND values; NZ bytes are launched as given
    binding = bind(op, args)
    if backend == "npu":
        raise NotAvailable(f"{op.name}: backend 'npu' is not available on this machine (it needs an Ascend NPU "
                           "with CANN and the installed dsaops package); use backend='twin'")
    lib = library(op, kernels=kernels, build_root=build_root)
    if lib.soc_info(soc) is None:
        raise ConstraintError(f"{op.name}: soc must be a SoC the twin knows (e.g. ascend910b, ascend910_93), "
                              f"got {soc!r}")
    variant, dims, attrs, present = problem_of(binding)
    t0 = time.perf_counter()
    tiling = lib.tiling(soc, variant, dims, attrs, present)
    tiling_s = time.perf_counter() - t0
    inputs, outputs = launch_buffers(binding, pre_nz)
    t0 = time.perf_counter()
    lib.launch(soc, inputs, outputs, tiling)
    wall = time.perf_counter() - t0
    _last[:] = [RunReport(op.name, soc, backend, binding.variant.id, lib.total_counters(), lib.core_counters(), wall,
                          tiling.fields, tiling.block_dim, tiling.tiling_key, tiling.workspace_size, tiling_s,
                          dims, attrs)]
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


def check_tiling(op: OpDef, args: dict, *, kernels: Path | None = None, build_root: Path | None = None,
                 soc: str = DEFAULT_SOC, skip_python: bool = False, cxx_flags: tuple[str, ...] | None = None) -> None:
    """Run only the generated C++ check (``<OpType>CheckProblem``) on a call's shapes and attrs.

    The problem is derived by ``bind`` unless ``skip_python``: then the dims come from the shapes
    alone, so a call the Python checks refuse still reaches the C++ check.
    """
    lib = library(op, kernels=kernels, build_root=build_root, cxx_flags=cxx_flags)
    if skip_python:
        variant, dims, attrs, present = _unchecked_problem(op, args)
    else:
        variant, dims, attrs, present = problem_of(bind(op, args))
    lib.tiling(soc, variant, dims, attrs, present, check_only=True)


def _unchecked_problem(op: OpDef, args: dict):
    """The tiling problem of a call without the Python checks (first input binding a dim wins)."""
    attrs = {a.name: args.get(a.name, a.default) for a in op.attrs}
    attrs = {k: v for k, v in attrs.items() if v is not REQUIRED}
    dims: dict[str, int] = {}
    present = {}
    variant = 0
    for t in op.inputs:
        value = args.get(t.name)
        present[t.name] = value is not None
        if value is None:
            continue
        layout = attrs.get(t.layout_attr) if t.layout_attr else None
        shape = t.shapes.get(layout if t.layout_attr else None)
        if shape is None or len(shape) != np.ndim(value):
            continue
        for d, size in zip(shape, np.shape(value)):
            if isinstance(d, str) and d not in dims and d in op.dims:
                dims[d] = int(size)
    for i, v in enumerate(op.variants):
        if all(args.get(n) is None or np.asarray(args[n]).dtype == v.dtypes[n].numpy
               for n in (t.name for t in op.inputs)):
            variant = i
            break
    return variant, dims, attrs, present


def _signature(op: OpDef) -> inspect.Signature:
    params = []
    for p in op.signature:
        kind = inspect.Parameter.KEYWORD_ONLY if p.keyword_only else inspect.Parameter.POSITIONAL_OR_KEYWORD
        default = inspect.Parameter.empty if p.default is REQUIRED else p.default
        params.append(inspect.Parameter(p.name, kind, default=default))
    params.append(inspect.Parameter("backend", inspect.Parameter.KEYWORD_ONLY, default="twin"))
    params.append(inspect.Parameter("soc", inspect.Parameter.KEYWORD_ONLY, default=DEFAULT_SOC))
    return inspect.Signature(params)


def make_function(op: OpDef, *, kernels: Path | None = None, build_root: Path | None = None):
    """A Python function with ``op``'s seed signature (+ backend, soc) that runs its kernel."""
    sig = _signature(op)

    def fn(*args, **kwargs):
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError as exc:
            raise ConstraintError(f"{op.name}: {exc}") from None
        bound.apply_defaults()
        values = dict(bound.arguments)
        backend, soc = values.pop("backend"), values.pop("soc")
        return call(op, values, backend=backend, soc=soc, kernels=kernels, build_root=build_root)

    fn.__name__ = fn.__qualname__ = op.name
    fn.__signature__ = sig
    fn.__doc__ = f"{op.summary}\n\nRuns the {op.op_type} Ascend C kernel (torch.ops.{op.torch}); see dsaops.ops."
    return fn


def run(op: str | OpDef, *args, opdefs: Path | None = None, kernels: Path | None = None,
        build_root: Path | None = None, **kwargs):
    """Run an op of any opdef folder (``opdefs``) with its kernel from ``kernels``."""
    if isinstance(op, str):
        op = load_opdefs(opdefs)[op]
    return make_function(op, kernels=kernels, build_root=build_root)(*args, **kwargs)


@functools.lru_cache(maxsize=1)
def _kernel_ops() -> dict[str, OpDef]:
    from .codegen.project import has_kernel

    kernels = resources.kernels_dir()
    return {name: op for name, op in load_opdefs().items() if has_kernel(op, kernels)}


def available() -> list[str]:
    """Names of the bundled ops with a kernel (each is a function of this module)."""
    return sorted(_kernel_ops())


def __getattr__(name: str):
    ops = _kernel_ops()
    if name in ops:
        fn = make_function(ops[name])
        globals()[name] = fn
        return fn
    if not name.startswith("_"):
        known = load_opdefs()
        if name in known:
            raise AttributeError(f"dsaops.ops.{name}: op {name!r} has no kernel yet "
                                 f"(ascendc/{known[name].kernel.dir}/ does not exist)")
    raise AttributeError(f"module 'dsaops.ops' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + available())
