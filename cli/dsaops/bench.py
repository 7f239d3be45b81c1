"""``dsaops bench``: run kernels on the twin and set their work against the case's minimum.

For each case: the golden's time, the twin's wall time, GM bytes read vs the minimum the case
needs (all of them, "read/min"), how many of them are workspace reads ("ws read": AIC <-> AIV hand-offs,
L2-resident by the cost model's L2 rule) and the rest vs the minimum ("HBM read/min"), cube MACs vs the
exact count, scalar accesses, and the cost model's modelled device time, roofline floor and their ratio
(``dsaops.costmodel``).

Where the minimum work of an op is stated: ``WORK[<op>]`` below, a small function of the checked
call (``dsaops.validate.Binding``) per op, written from the op's definition (OPS.md), never from
the kernel. An op without an entry gets no floor (its row prints "-"). The indexers:

* exact MACs: every query row times every key it can see (sparse_mode 0: the batch's valid keys;
  3: the right-down causal window), N1 x D each: the Q.K^T of the score; the head-weighted sum
  is vector work (or a small second matmul, not counted);
* minimum GM bytes read: each valid query row (query, weights, and for the int8 op its dequant
  scales) once, each key a batch can see (and its dequant scale) once per batch, the length and
  block-table arrays; written: the whole sparse_indices output.

Bench cases (``BENCH_CASES``) are the issue's decode (B=4, S1=2, S2=64K) and prefill (S1=4K, S2=64K)
shapes; ``--cases smoke|full`` runs an opdef catalog instead, ``--cases id,...`` picks cases by id.
A case whose exact MACs exceed ``max_macs`` is modelled from its shapes only (no twin run): the
twin executes every MAC on the CPU.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from . import costmodel
from . import ops as dsaops_ops
from .opdef import OpDef
from .validate import Binding, bind


@dataclass(frozen=True)
class Work:
    min_read_bytes: int
    min_write_bytes: int
    exact_macs: int
    mac_dtype: object  # twin dtype name of the cube operands ("bfloat16", "int8", ...), or {dtype: MACs}

    @property
    def min_gm_bytes(self) -> int:
        return self.min_read_bytes + self.min_write_bytes


def _lengths(values, total_or_max: int, batch: int, prefix: bool) -> np.ndarray:
    if values is None:
        return np.full(batch, total_or_max, dtype=np.int64)
    v = np.asarray(values, dtype=np.int64).reshape(-1)
    return np.diff(np.concatenate([[0], v])) if prefix else v


def _indexer_work(b: Binding) -> Work:
    op, d, a, t = b.op, b.dims, b.attrs, b.tensors
    quant = op.name == "quant_lightning_indexer"
    lq, lk = a["layout_query"], a["layout_key"]
    batch = d["B"]
    q_lens = _lengths(t.get("actual_seq_lengths_query"), d.get("S1", 0), batch, lq == "TND")
    if lk == "BSND":
        kv_lens = _lengths(t.get("actual_seq_lengths_key"), d["S2"], batch, False)
    else:
        kv_lens = _lengths(t.get("actual_seq_lengths_key"), 0, batch, lk == "TND")
    n1, dd, n2 = d["N1"], d["D"], d["N2"]
    visible_rows = 0
    keys_needed = 0
    for q_len, kv_len in zip(q_lens.tolist(), kv_lens.tolist()):
        if q_len <= 0 or kv_len <= 0:
            continue
        if a["sparse_mode"] == 0:
            vis = np.full(q_len, kv_len)
        else:
            vis = np.clip(kv_len - q_len + np.arange(1, q_len + 1), 0, kv_len)
        visible_rows += int(vis.sum())
        keys_needed += int(vis.max())
    es = b.variant.dtypes["query"].size
    q_row = n1 * dd * es + n1 * b.variant.dtypes["weights"].size + (n1 * 2 if quant else 0)
    k_row = n2 * (dd * b.variant.dtypes["key"].size + (2 if quant else 0))
    small = sum(np.asarray(t[n]).nbytes for n in ("actual_seq_lengths_query", "actual_seq_lengths_key", "block_table")
                if t.get(n) is not None)
    read = int(q_lens.clip(min=0).sum()) * q_row + keys_needed * k_row + small
    out = int(np.prod(b.output_shape("sparse_indices"))) * 4
    return Work(read, out, visible_rows * n1 * n2 * dd, "int8" if quant else
                {"bf16": "bfloat16", "fp16": "float16"}[b.variant.dtypes["query"].name])


def _prolog_macs(op: str, d: Mapping[str, int]) -> dict[str, int]:
    """Exact cube MACs of a prolog per operand dtype (OPS.md 6-8): its matmuls, nothing else."""
    t = d["t"]
    macs = {"int8": 0, "bfloat16": 0}
    if op in ("mla_prolog_quant", "mla_indexer_prolog_quant"):
        macs["bfloat16"] += t * d["h"] * (d["q_lora_rank"] + d["kv_rope_cols"])   # x . w_dq, x . w_dkv_kr
        macs["int8"] += t * d["q_lora_rank"] * d["q_cols"]                          # q_norm . w_uq_qr
        macs["bfloat16"] += t * d["n_q"] * d["qk_nope_head_dim"] * d["kv_lora_rank"]  # q_nope . w_uk per head
    if op in ("lightning_indexer_prolog_quant", "mla_indexer_prolog_quant"):
        n, hd = d["idx_n_heads"], d["idx_head_dim"]
        macs["int8"] += t * d["q_lora_rank"] * n * hd                   # q_norm . w_qb
        macs["bfloat16"] += t * d["h"] * (hd + n)                        # x . wk, x . w_proj
        macs["bfloat16"] += t * (n + 1) * hd * hd                        # the Hadamard products of q and k
    return macs


def _prolog_work(b: Binding) -> Work:
    """The prologs: every input read once except the caches (updated in place, not read); written: every
    output, and of each in-place cache only the t new slots. MACs: ``_prolog_macs``."""
    op = b.op
    aliased = {t.aliases for t in op.outputs if t.aliases is not None}
    read = sum(np.asarray(b.tensors[t.name]).nbytes for t in op.inputs
               if t.name not in aliased and b.tensors.get(t.name) is not None)
    t = b.dims["t"]
    write = 0
    for o in op.outputs:
        shape = b.output_shape(o.name)
        nbytes = int(np.prod(shape)) * b.output_dtype(o.name).itemsize
        if o.aliases is not None:  # [block_num, block_size, ...]: t slots of it
            nbytes = nbytes // (shape[0] * shape[1]) * t
        write += nbytes
    macs = {k: v for k, v in _prolog_macs(op.name, b.dims).items() if v}
    return Work(read, write, sum(macs.values()), macs)


def _sfa_rows(b: Binding):
    """(query rows, key rows, [rows, K] indices, sparse_block_size, sparse_mode) of one of the three sparse
    flash attention ops, resolved as the op defines them (OPS.md sections 3-5)."""
    from .golden._common import key_rows, query_rows

    op, t, a = b.op.name, b.tensors, b.attrs
    if op == "sparse_flash_attention_quant":
        nq = int(a["nq"])
        tokens = np.shape(t["query_nope"])[0] // nq
        table = np.asarray(t["block_table"])
        batch = table.shape[0]
        bs = int(a["block_size"])
        slots = np.shape(t["key_nope_2d"])[0]
        qrows = query_rows(op, "BSND", (batch, tokens // batch), None)
        krows = key_rows(op, "PA_BSND", (slots // bs, bs), t["kv_act_seqs"], table, batch,
                         param="kv_act_seqs", layout_param="the cache")
        ind = np.asarray(t["topk_indices"]).reshape(tokens, -1)[:, : int(a["topk"])]
        return qrows, krows, ind, 1, 3
    q, k = np.asarray(t["query"]), np.asarray(t["key"])
    qrows = query_rows(op, a["layout_query"], q.shape, t.get("actual_seq_lengths_query"))
    krows = key_rows(op, a["layout_kv"], k.shape, t.get("actual_seq_lengths_kv"), t.get("block_table"), qrows.batch,
                     param="actual_seq_lengths_kv", layout_param="layout_kv")
    ind = np.asarray(t["sparse_indices"]).reshape(qrows.rows, -1)
    return qrows, krows, ind, int(a["sparse_block_size"]), int(a["sparse_mode"])


def _sfa_work(b: Binding) -> Work:
    """The sparse flash attention ops: per valid query row, the key positions its indices select (up to the
    first -1, past-threshold positions dropped, blocks clipped: ``golden._sparse_attention.selected_positions``).

    * exact MACs: per selected position (duplicates included: the op attends them twice) N1 x (Dqk + Dv),
      Dqk = 512 (+ 64 rope), Dv = 512: the two matmuls over the visible selected keys only;
    * minimum GM bytes read: each distinct selected KV row once per query row as it is stored (bf16: key
      (+ key_rope) rows, plus value rows when value is another tensor; antiquant: the 656-byte packed row;
      quant: its int8 nope, bf16 rope and fp32 scales rows), the query (nope + rope) and index row of each
      valid query row, the length and block-table arrays; written: the whole attention_out.
    """
    from .golden._common import visible_counts
    from .golden._sparse_attention import selected_positions

    op, t, d = b.op.name, b.tensors, b.dims
    qrows, krows, ind, s, mode = _sfa_rows(b)
    if op == "sparse_flash_attention_quant":
        n1 = int(b.attrs["nq"])
        q_row = n1 * (np.shape(t["query_nope"])[1] * 2 + np.shape(t["query_rope"])[1] * 2)
        kv_row = (np.shape(t["key_nope_2d"])[1] + np.shape(t["key_rope_2d"])[1] * 2 + np.shape(t["k_nope_scales"])[1] * 4)
        dqk, dv = np.shape(t["query_nope"])[1] + np.shape(t["query_rope"])[1], np.shape(t["query_nope"])[1]
        small = ("block_table", "kv_act_seqs")
    else:
        q, k, v = np.asarray(t["query"]), np.asarray(t["key"]), np.asarray(t["value"])
        n1 = q.shape[-2]
        rope = t.get("query_rope")
        q_row = n1 * (q.shape[-1] * q.dtype.itemsize + (np.shape(rope)[-1] * 2 if rope is not None else 0))
        kv_row = k.shape[-1] * k.dtype.itemsize
        if t.get("key_rope") is not None:
            kv_row += np.shape(t["key_rope"])[-1] * np.asarray(t["key_rope"]).dtype.itemsize
        if not np.shares_memory(k, v):
            kv_row += v.shape[-1] * v.dtype.itemsize
        if op == "sparse_flash_attention_antiquant":
            dqk, dv = q.shape[-1], 512
        else:
            dqk, dv = q.shape[-1] + (np.shape(rope)[-1] if rope is not None else 0), v.shape[-1]
        small = ("block_table", "actual_seq_lengths_query", "actual_seq_lengths_kv")
    selected = distinct = rows = 0
    for batch in range(qrows.batch):
        vis = visible_counts(int(qrows.lengths[batch]), int(krows.lengths[batch]), mode)
        for i, row in enumerate(qrows.flat(batch)):
            pos = selected_positions(ind[row], s, int(vis[i]))
            rows += 1
            selected += pos.size
            distinct += np.unique(pos).size
    small_bytes = sum(np.asarray(t[n]).nbytes for n in small if t.get(n) is not None)
    read = rows * (q_row + ind.shape[1] * 4) + distinct * kv_row + small_bytes
    out = int(np.prod(b.output_shape("attention_out"))) * 2
    return Work(read, out, selected * n1 * (dqk + dv), "bfloat16")


WORK: dict[str, Callable[[Binding], Work]] = {
    "lightning_indexer": _indexer_work,
    "quant_lightning_indexer": _indexer_work,
    "mla_prolog_quant": _prolog_work,
    "lightning_indexer_prolog_quant": _prolog_work,
    "mla_indexer_prolog_quant": _prolog_work,
    "sparse_flash_attention": _sfa_work,
    "sparse_flash_attention_antiquant": _sfa_work,
    "sparse_flash_attention_quant": _sfa_work,
}


def register_work(op: str, fn: Callable[[Binding], Work]) -> None:
    """State the minimum work of an op that is not bundled (e.g. a test fixture)."""
    WORK[op] = fn


@dataclass(frozen=True)
class BenchCase:
    op: str
    id: str
    params: Mapping[str, object]
    published: tuple[float, str] | None = None  # (seconds, source) of a published device time of this shape

    @property
    def ident(self) -> str:
        return f"{self.op}/{self.id}"


_DECODE = {"B": 4, "S1": 2, "S2": 65536, "layout_query": "BSND", "layout_key": "PA_BSND", "sparse_count": 2048}
_PREFILL = {"B": 1, "S1": 4096, "S2": 65536, "layout_query": "BSND", "layout_key": "PA_BSND", "sparse_count": 2048}
#: sparse flash attention (issue #10): decode B=4, S1=2, K=2048, N1=128 over a 64K paged cache; prefill
#: S1=4K (the quant interface: 1K, its limit), K=2048 (modelled from its shapes: over 1e11 MACs)
_SFA_DECODE = {"B": 4, "S1": 2, "S2": 65536, "N1": 128, "layout_query": "BSND", "layout_kv": "PA_BSND",
               "sparse_count": 2048}
_SFA_PREFILL = {"B": 1, "S1": 4096, "S2": 65536, "N1": 128, "layout_query": "BSND", "layout_kv": "PA_BSND",
                "sparse_count": 2048}
_SFAQ_DECODE = {"B": 4, "S1": 2, "S2": 65536, "nq": 128, "topk": 2048}
_SFAQ_PREFILL = {"B": 1, "S1": 1024, "S2": 65536, "nq": 128, "topk": 2048}  # the op's prefill limit: s1 <= 1024
BENCH_CASES: tuple[BenchCase, ...] = tuple(
    BenchCase(op, cid, params)
    for op in ("lightning_indexer", "quant_lightning_indexer")
    for cid, params in (("decode_b4_s1_2_s2_64k", _DECODE), ("prefill_s1_4k_s2_64k", _PREFILL))
) + (
    # the prologs at t = 8 tokens (decode b = 4, s1 = 2); the indexer prolog with the published PyPTO time
    BenchCase("lightning_indexer_prolog_quant", "decode_b4_s1_2_s2_64k",
              {"B": 4, "S1": 2, "S2": 65536, "variable_lengths": False},
              (49e-6, "PyPTO quant indexer prolog, Atlas A3 (OPS.md)")),
    BenchCase("mla_prolog_quant", "decode_b4_s1_2_s2_4k", {"B": 4, "S1": 2, "S2": 4096, "variable_lengths": False}),
    BenchCase("mla_indexer_prolog_quant", "decode_b4_s1_2_s2_4k",
              {"B": 4, "S1": 2, "S2": 4096, "variable_lengths": False}),
) + tuple(
    BenchCase(op, cid, params)
    for op, decode, prefill in (("sparse_flash_attention", _SFA_DECODE, _SFA_PREFILL),
                                ("sparse_flash_attention_antiquant", _SFA_DECODE, _SFA_PREFILL),
                                ("sparse_flash_attention_quant", _SFAQ_DECODE, _SFAQ_PREFILL))
    for cid, params in (("decode_b4_s1_2_k2048_s2_64k", decode),
                        (f"prefill_s1_{prefill['S1'] // 1024}k_k2048_s2_64k", prefill))
)
#: printed under the table for the prologs' rows (issue 14), never asserted
PROLOG_TARGETS = {"read/min": 1.05, "modelled/floor": 1.3, "soc": "ascend910_93", "t": 8}

#: beyond this many exact MACs a case is modelled from its shapes only (about a minute of twin time)
DEFAULT_MAX_MACS = 2 * 10**10


@dataclass
class BenchRow:
    ident: str
    soc: str
    work: Work | None
    published: tuple[float, str] | None = None
    golden_s: float | None = None
    twin_s: float | None = None
    gm_read: int | None = None
    ws_read: int | None = None  # of gm_read: workspace bytes (L2-resident by the cost model's L2 rule)
    cube_macs: int | None = None
    scalar: int | None = None
    cost: costmodel.Cost | None = None
    floor_s: float | None = None
    check: str = "-"
    note: str = ""
    counters: dict = field(default_factory=dict)


def bench_inputs(op: OpDef, ident: str, inputs: dict, *, soc: str = dsaops_ops.DEFAULT_SOC,
                 kernels: Path | None = None, build_root: Path | None = None, golden: Callable | None = None,
                 compare: Callable | None = None, max_macs: int = DEFAULT_MAX_MACS) -> BenchRow:
    """One bench row for ``op`` on ``inputs`` (keyword arguments of the op)."""
    binding = bind(op, inputs)
    work = WORK[op.name](binding) if op.name in WORK else None
    row = BenchRow(ident, soc, work)
    s = costmodel.soc(soc)
    if work is not None:
        row.floor_s, _ = costmodel.floor_seconds(work.min_gm_bytes, work.exact_macs, work.mac_dtype, s)
    if work is not None and work.exact_macs > max_macs:
        row.note = f"modelled from shapes only: {work.exact_macs:.3g} MACs > --max-macs {max_macs:.3g}"
        return row
    actual = dsaops_ops.call(op, dict(inputs), soc=soc, kernels=kernels, build_root=build_root)
    report = dsaops_ops.last_report()
    row.twin_s = report.wall_s
    row.counters = report.counters
    row.gm_read = report.counters.get("bytes.GM_UB", 0) + report.counters.get("bytes.GM_L1", 0)
    row.ws_read = report.counters.get("ws_read_bytes", 0)
    row.cube_macs = sum(v for k, v in report.counters.items() if k.startswith("cube_macs."))
    row.scalar = report.counters.get("scalar_reads", 0) + report.counters.get("scalar_writes", 0)
    row.cost = costmodel.model(report.cores, soc, min_gm_bytes=work.min_gm_bytes if work else None,
                               exact_macs=work.exact_macs if work else 0, mac_dtype=work.mac_dtype if work else None)
    if golden is not None:
        t0 = time.perf_counter()
        want = golden(**inputs)
        row.golden_s = time.perf_counter() - t0
        if compare is not None:
            row.check = "pass" if compare(actual, want) else "FAIL"
    return row


def _f(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f}s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f}ms"
    return f"{seconds * 1e6:.1f}us"


def _ratio(a, b) -> str:
    return f"{a / b:.3f}x" if a is not None and b else "-"


def _big(n: int | None) -> str:
    if n is None:
        return "-"
    for unit, div in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= div:
            return f"{n / div:.2f}{unit}"
    return str(n)


HEADER = ("case", "soc", "golden", "twin wall", "GM read", "min read", "read/min", "ws read", "HBM read/min",
          "cube MACs", "exact MACs", "MACs/exact", "scalar", "modelled", "floor", "ratio", "bound", "check")


def table_rows(rows: list[BenchRow]) -> list[tuple[str, ...]]:
    out = []
    for r in rows:
        w = r.work
        modelled = r.cost.modelled_s if r.cost else None
        hbm_read = r.gm_read - (r.ws_read or 0) if r.gm_read is not None else None
        out.append((r.ident, r.soc, _f(r.golden_s), _f(r.twin_s), _big(r.gm_read), _big(w.min_read_bytes if w else None),
                    _ratio(r.gm_read, w.min_read_bytes if w else None), _big(r.ws_read),
                    _ratio(hbm_read, w.min_read_bytes if w else None), _big(r.cube_macs),
                    _big(w.exact_macs if w else None), _ratio(r.cube_macs, w.exact_macs if w else None),
                    _big(r.scalar), _f(modelled), _f(r.floor_s), _ratio(modelled, r.floor_s),
                    r.cost.bound if r.cost else "-", r.check if not r.note else r.note))
    return out


def format_table(rows: list[BenchRow], markdown: bool = False) -> str:
    body = table_rows(rows)
    if markdown:
        lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        lines += ["| " + " | ".join(r) + " |" for r in body]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(HEADER)]
    fmt = lambda cells: "  ".join(c.ljust(w) if i in (0, 1, 16, 17) else c.rjust(w)  # noqa: E731
                                  for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return "\n".join([fmt(HEADER)] + [fmt(r) for r in body])


def format_notes(rows: list[BenchRow]) -> str:
    """Lines under the table: published device times beside the modelled ones, and the prologs' targets
    (weight bytes read <= 1.05x the minimum, modelled <= 1.3x the floor at t = 8 on ascend910_93)."""
    lines = []
    for r in rows:
        if r.published is not None:
            seconds, source = r.published
            modelled = r.cost.modelled_s if r.cost else None
            lines.append(f"{r.ident} ({r.soc}): modelled {_f(modelled)} beside published {_f(seconds)} ({source})"
                         + (f": {modelled / seconds:.2f}x" if modelled else ""))
        op = r.ident.split("/")[0]
        if op in _PROLOG_OPS and r.work is not None and r.cost is not None:
            tg = PROLOG_TARGETS
            read = r.gm_read / r.work.min_read_bytes
            ratio = r.cost.modelled_s / r.floor_s if r.floor_s else float("nan")
            lines.append(f"{r.ident} ({r.soc}): GM read / minimum {read:.3f}x (target <= {tg['read/min']}x), "
                         f"modelled / floor {ratio:.3f}x (target <= {tg['modelled/floor']}x at t = {tg['t']} on "
                         f"{tg['soc']})")
    return "\n".join(lines)


_PROLOG_OPS = ("mla_prolog_quant", "lightning_indexer_prolog_quant", "mla_indexer_prolog_quant")


def format_pipes(row: BenchRow) -> str:
    """Per-pipe times of the slowest AIC and the slowest AIV of a row (the model's per-core view)."""
    if row.cost is None:
        return f"{row.ident}: not run on the twin"
    c = row.cost
    lines = [f"{row.ident}: modelled {_f(c.modelled_s)} ({c.bound}); GM traffic {_big(c.gm_bytes)}B, of which "
             f"workspace {_big(c.ws_bytes)}B (L2 rule); the rest over HBM {_f(c.hbm_seconds)} (all of it: "
             f"{_f(c.gm_bytes / costmodel.soc(c.soc).hbm_bytes_per_s)})"]
    for is_aic, kind in ((True, "AIC"), (False, "AIV")):
        cores = [c for c in row.cost.cores if c.is_aic == is_aic]
        if not cores:
            continue
        c = max(cores, key=lambda c: c.seconds)
        pipes = "  ".join(f"{p} {_f(t)}" for p, t in c.pipes.items() if t)
        lines.append(f"  slowest {kind} (core {c.core} of {len(cores)}): {pipes or 'idle'}")
    return "\n".join(lines)


def compare_outputs(op: OpDef, actual, inputs: dict, want=None):
    """Judge a kernel's outputs with the op's rules (``dsaops.compare.compare_outputs``): the top-k rule
    with the golden's scores for index outputs, the double benchmark against
    ``dsaops.golden.exact.<op>`` for float outputs. Returns the ``OpComparison`` (truthy when all pass)."""
    from . import compare, golden
    from .golden import exact

    if want is None:
        want = getattr(golden, op.golden)(**inputs)
    scores = None
    module = __import__(f"dsaops.golden.{op.golden}", fromlist=["_"])
    if hasattr(module, f"{op.golden}_scores"):
        scores = getattr(module, f"{op.golden}_scores")(**inputs)
    exact_out = getattr(exact, op.golden)(**inputs) if op.golden in exact.OPS else None
    return compare.compare_outputs(op.name, actual, want, exact_out, scores=scores, inputs=inputs)


def select_cases(op: OpDef, selection: str) -> list[BenchCase]:
    """``bench`` (BENCH_CASES), ``smoke`` / ``full`` (the opdef catalogs) or comma-separated case ids."""
    catalog = [c for c in BENCH_CASES if c.op == op.name]
    opdef_cases = [BenchCase(op.name, c.id, c.params) for c in op.all_cases()]
    if selection == "bench":
        return catalog
    if selection in ("smoke", "full"):
        return [BenchCase(op.name, c.id, c.params) for c in op.cases.get(selection, ())]
    ids = [i.strip() for i in selection.split(",") if i.strip()]
    return [c for c in catalog + opdef_cases if c.id in ids]


def run_bench_case(op: OpDef, case: BenchCase, *, soc: str, kernels: Path | None = None,
                   build_root: Path | None = None, max_macs: int = DEFAULT_MAX_MACS) -> BenchRow:
    """Generate a case's inputs (dsaops.cases, seeded by its id like dsaops golden) and bench it."""
    import zlib

    from . import cases as case_inputs
    from . import golden

    inputs = case_inputs.generate(op.name, case.params, zlib.crc32(case.ident.encode()))
    fn = getattr(golden, op.golden) if op.golden else None
    check = (lambda actual, want: bool(compare_outputs(op, actual, inputs, want)))
    row = bench_inputs(op, case.ident, inputs, soc=soc, kernels=kernels, build_root=build_root, golden=fn,
                       compare=check if fn else None, max_macs=max_macs)
    row.published = case.published
    return row
