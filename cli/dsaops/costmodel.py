"""A cost model of a kernel run on an Ascend SoC, from the CPU twin's work counters.

The twin counts, per simulated core, the bytes each copy path moved, cube MACs per dtype, vector
repeats / elements per instruction class and scalar accesses (``dsaops.ops.last_report()``). This
module turns them into time with steady-state throughputs:

* per core, the time each pipe needs: MTE2 (GM->UB on an AIV, GM->L1 on an AIC), MTE3 (UB->GM,
  UB->L1), MTE1 (L1->L0A/L0B, L1->UB), FIX (L0C->GM, L0C->L1), M (cube), V (vector), S (scalar);
* the core's time = its slowest pipe (the pipes of a core run concurrently; a well pipelined kernel
  approaches this, so the model is optimistic about synchronisation stalls);
* the op's modelled time = max(slowest core, HBM traffic / HBM bandwidth), and its bounding
  pipe (or ``HBM``);
* **L2 rule** (the same for every kernel): GM traffic to and from the kernel's workspace (the twin's
  ``ws_read_bytes`` / ``ws_write_bytes``: the per-core slots through which the AIC and AIV hand each
  other tiles, and split-row partials) is L2-resident. It costs its copy pipes (MTE2, MTE3, FIX) like
  any GM copy but not HBM bandwidth: HBM traffic = all GM traffic - workspace traffic. Why: on A2/A3
  the cube's results leave L0C only to GM or L1 and the vector's only UB -> GM path to the cube is GM
  (no L0C -> UB, no UB -> L1 data path), so AIC <-> AIV hand-offs are GM writes read back at once by
  the partner core; the workspaces of all cores (a few MB) fit the 192 MB L2 many times over, so those
  lines are written and read there and reach HBM at most on eviction. The workspace bytes are never
  hidden: ``Cost.gm_bytes`` / ``gm_read_bytes`` keep all GM traffic and ``ws_bytes`` / ``ws_read_bytes``
  say how much of it is workspace (``dsaops bench`` prints both);
* the roofline floor of the case = max(minimum GM bytes / HBM bandwidth, exact MACs / peak MACs of
  all cube cores), and the ratio modelled / floor.

Figures and their sources (ASCENDC.md, "Hardware constants", which collects them):

* cores and clock per SoC: CANN platform configs (``SOCS`` below; the twin's ``soc.h`` holds the
  same table and ``tests/kernels`` checks they agree);
* HBM 1.6 TB/s per device: Huawei's Atlas A2 documentation (no separate A3-die figure exists; an
  A3 die is configured like a 910B1);
* cube 4096 fp16/bf16 MACs per cycle per AIC (16x16x16), 8192 int8 (=> 363.7 TFLOPS bf16 on a
  910B1); fp32 (hf32) at 1024 is our assumption (no kernel here uses it);
* vector (msKPP steady state): binary ops 2 cycles per 256-byte repeat, unary / scalar-operand /
  Cast / Duplicate 1, Exp/Ln ~4, reductions 3 (WholeReduceSum) to 7 (WholeReduceMax; we use 7),
  compare/select 2 (assumed like binary), GatherMask 14, Sort32 and MrgSort ~16 bytes per cycle
  (8 bytes per (score, index) element);
* copies (msKPP single-core saturation): GM->L1 270 GiB/s, GM->UB 190 GiB/s, UB->GM 110 GiB/s,
  L0C->GM 200 GiB/s; L1->L0A 256 B/cycle, L1->L0B 128 B/cycle (theoretical); L0C->L1, L1->UB,
  UB->L1 and UB->UB at 128 B/cycle are assumptions;
* scalar: 20 cycles per GetValue / SetValue (an assumption: a UB access costs a few cycles, a GM
  access hundreds; kernels here avoid both on tensor data).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

GIB = 1 << 30


@dataclass(frozen=True)
class Soc:
    name: str
    aic: int
    aiv: int
    mhz: int
    hbm_bytes_per_s: float = 1.6e12

    @property
    def hz(self) -> float:
        return self.mhz * 1e6


_ROWS = (("ascend910b", 24, 48, 1850), ("ascend910b1", 24, 48, 1850), ("ascend910b2", 24, 48, 1800),
         ("ascend910b3", 20, 40, 1800), ("ascend910b4", 20, 40, 1500), ("ascend910_93", 24, 48, 1850),
         ("ascend910_9391", 24, 48, 1850), ("ascend910_9392", 24, 48, 1850), ("ascend910_9381", 24, 48, 1800),
         ("ascend910_9382", 24, 48, 1800), ("ascend910_9372", 20, 40, 1800), ("ascend910_9362", 20, 40, 1500))
SOCS: dict[str, Soc] = {name: Soc(name, aic, aiv, mhz) for name, aic, aiv, mhz in _ROWS}

#: cube MACs per cycle per AIC, by the twin's A-operand dtype name (counter ``cube_macs.<dtype>``)
CUBE_MACS_PER_CYCLE = {"float16": 4096, "bfloat16": 4096, "int8": 8192, "float32": 1024}
#: vector cycles per 256-byte repeat, by the twin's instruction class (counter ``vec_repeats.<class>``)
VEC_CYCLES_PER_REPEAT = {"BINARY": 2, "UNARY": 1, "SCALAR_OPERAND": 1, "TRANSCENDENTAL": 4, "CAST": 1, "REDUCE": 7,
                         "COMPARE_SELECT": 2, "GATHER": 14, "DUPLICATE": 1, "OTHER": 1}
#: sort classes are costed by elements (counter ``vec_elems.<class>``): 8 bytes each at 16 bytes per cycle
SORT_BYTES_PER_ELEM = 8
SORT_BYTES_PER_CYCLE = 16
#: copy paths: (pipe, bytes per second per core) or (pipe, bytes per cycle) for on-chip paths
COPY_PATHS = {
    "GM_UB": ("MTE2", 190 * GIB, None), "GM_L1": ("MTE2", 270 * GIB, None), "UB_GM": ("MTE3", 110 * GIB, None),
    "L0C_GM": ("FIX", 200 * GIB, None), "L0C_L1": ("FIX", None, 128), "L1_L0A": ("MTE1", None, 256),
    "L1_L0B": ("MTE1", None, 128), "L1_UB": ("MTE1", None, 128), "UB_L1": ("MTE3", None, 128),
    "UB_UB": ("V", None, 128),
}
SCALAR_CYCLES = 20
PIPES = ("MTE2", "MTE3", "MTE1", "FIX", "M", "V", "S")
#: GM traffic counted against the HBM bandwidth (reads and writes)
GM_PATHS = ("GM_UB", "GM_L1", "UB_GM", "L0C_GM")


def soc(name: str) -> Soc:
    try:
        return SOCS[name.lower()]
    except KeyError:
        raise ValueError(f"soc must be one of {sorted(SOCS)}, got {name!r}") from None


def pipe_times(counters: dict, s: Soc) -> dict[str, float]:
    """Seconds each pipe of one core needs for the work in ``counters`` (twin counter names)."""
    t = dict.fromkeys(PIPES, 0.0)
    for path, (pipe, bw, per_cycle) in COPY_PATHS.items():
        n = counters.get(f"bytes.{path}", 0)
        if n:
            t[pipe] += n / bw if bw else n / per_cycle / s.hz
    for dtype, rate in CUBE_MACS_PER_CYCLE.items():
        t["M"] += counters.get(f"cube_macs.{dtype}", 0) / rate / s.hz
    for cls, cycles in VEC_CYCLES_PER_REPEAT.items():
        t["V"] += counters.get(f"vec_repeats.{cls}", 0) * cycles / s.hz
    for cls in ("SORT", "MRGSORT"):
        t["V"] += counters.get(f"vec_elems.{cls}", 0) * SORT_BYTES_PER_ELEM / SORT_BYTES_PER_CYCLE / s.hz
    t["S"] += (counters.get("scalar_reads", 0) + counters.get("scalar_writes", 0)) * SCALAR_CYCLES / s.hz
    return t


@dataclass(frozen=True)
class CoreCost:
    core: int
    is_aic: bool
    pipes: dict  # pipe -> seconds
    seconds: float
    bound: str


@dataclass(frozen=True)
class Cost:
    soc: str
    cores: tuple[CoreCost, ...]
    gm_bytes: int  # all GM traffic of the run (reads + writes)
    gm_read_bytes: int
    ws_bytes: int  # of gm_bytes: workspace traffic (L2 rule: not counted against HBM)
    ws_read_bytes: int
    hbm_seconds: float  # (gm_bytes - ws_bytes) / HBM bandwidth
    modelled_s: float
    bound: str  # pipe of the slowest core, or HBM
    floor_s: float | None
    floor_bound: str | None  # "HBM" or "cube"

    @property
    def ratio(self) -> float | None:
        return self.modelled_s / self.floor_s if self.floor_s else None


def floor_seconds(min_gm_bytes: int, exact_macs: int, mac_dtype, s: Soc) -> tuple[float, str]:
    """Roofline floor: max(minimum GM bytes / HBM, exact MACs / peak of every AIC) and which bounds it.

    ``mac_dtype`` is the cube operands' dtype name, or a mapping {dtype name: MACs} for an op whose
    matmuls mix dtypes (the prologs: int8 and bf16); then the cube time is the sum over the dtypes
    and ``exact_macs`` (their total) is not used.
    """
    mem = min_gm_bytes / s.hbm_bytes_per_s
    if isinstance(mac_dtype, Mapping):
        cube = sum(n / (CUBE_MACS_PER_CYCLE[d] * s.aic * s.hz) for d, n in mac_dtype.items())
    else:
        cube = exact_macs / (CUBE_MACS_PER_CYCLE[mac_dtype] * s.aic * s.hz) if exact_macs and mac_dtype else 0.0
    return (cube, "cube") if cube > mem else (mem, "HBM")


def model(cores: list[dict], soc_name: str, *, min_gm_bytes: int | None = None, exact_macs: int = 0,
          mac_dtype: str | None = None) -> Cost:
    """The cost of a run from its per-core counters (``RunReport.cores``) on ``soc_name``."""
    s = soc(soc_name)
    costs = []
    total: dict[str, int] = {}
    for c in cores:
        counters = c["counters"]
        for k, v in counters.items():
            total[k] = total.get(k, 0) + v
        pipes = pipe_times(counters, s)
        bound = max(pipes, key=pipes.get)
        costs.append(CoreCost(c["core"], c["is_aic"], pipes, pipes[bound], bound))
    gm_read = sum(total.get(f"bytes.{p}", 0) for p in ("GM_UB", "GM_L1"))
    gm = sum(total.get(f"bytes.{p}", 0) for p in GM_PATHS)
    ws_read, ws_write = total.get("ws_read_bytes", 0), total.get("ws_write_bytes", 0)
    hbm = (gm - ws_read - ws_write) / s.hbm_bytes_per_s
    slowest = max(costs, key=lambda c: c.seconds) if costs else None
    if slowest is None or hbm >= slowest.seconds:
        modelled, bound = hbm, "HBM"
    else:
        modelled, bound = slowest.seconds, f"{slowest.bound} ({'AIC' if slowest.is_aic else 'AIV'} {slowest.core})"
    floor, floor_bound = (None, None)
    if min_gm_bytes is not None:
        floor, floor_bound = floor_seconds(min_gm_bytes, exact_macs, mac_dtype, s)
    return Cost(s.name, tuple(costs), gm, gm_read, ws_read + ws_write, ws_read, hbm, modelled, bound, floor,
                floor_bound)
