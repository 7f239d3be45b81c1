"""Shared checks of the two indexer kernels (lightning_indexer, quant_lightning_indexer) on the twin.

``run_and_check`` runs one catalog case through ``dsaops.ops`` and checks, beyond the golden's top-k
rule, the kernel's work against what its design promises (ascendc/lightning_indexer/DESIGN.md):
the cube computes exactly the tiles of each unit (rows of a batch sharing a key tile), and each key
byte goes GM -> L1 once per unit, plus each unit part's query rows (and int8 head weights) once.
"""

from __future__ import annotations

import numpy as np

from dsaops import cases, ops
from dsaops.golden_export import case_seed
from dsaops.compare import compare_topk
from dsaops.golden import _indexer
from dsaops.golden.lightning_indexer import lightning_indexer, lightning_indexer_scores
from dsaops.golden.quant_lightning_indexer import quant_lightning_indexer, quant_lightning_indexer_scores
from dsaops.golden._common import visible_counts

from .harness import run_case_on_twin

SOCS = ("ascend910_93", "ascend910b")
GROUP_ROWS, KEY_TILE, MIN_PART_TILES, HEADS, HEAD_DIM = 4, 128, 4, 64, 128
GOLDEN = {
    "lightning_indexer": (lightning_indexer, lightning_indexer_scores),
    "quant_lightning_indexer": (quant_lightning_indexer, quant_lightning_indexer_scores),
}


def expected_work(op: str, inputs: dict, block_dim: int) -> tuple[int, int, int]:
    """(Q.K^T cube MACs, head-sum cube MACs, GM -> L1 bytes) of the kernel's work split for these inputs
    on block_dim cores. The int8 kernel sums the heads on the cube (Mat-Duce: an fp16 [rows x rows*64]
    weight matrix times R [rows*64 x 128] per tile, the weights loaded once per unit part)."""
    args = dict(inputs)
    names = ("query", "key", "weights", "actual_seq_lengths_query", "actual_seq_lengths_key", "block_table",
             "layout_query", "layout_key", "sparse_count", "sparse_mode")
    p = _indexer.resolve(op, *(args.get(n, d) for n, d in zip(
        names, (None, None, None, None, None, None, "BSND", "BSND", 2048, 3))))
    elem = np.dtype(np.asarray(inputs["query"]).dtype).itemsize
    units = []
    for b in range(p.qrows.batch):
        s1, s2 = int(p.qrows.lengths[b]), int(p.krows.lengths[b])
        if s1 == 0:
            continue
        vis = visible_counts(s1, s2, p.sparse_mode)
        for r0 in range(0, s1, GROUP_ROWS):
            rows = min(GROUP_ROWS, s1 - r0)
            widest = int(vis[r0 + rows - 1])
            units.append((rows, widest, -(-widest // KEY_TILE)))
    total = sum(t for _, _, t in units)
    quota = max(-(-total // block_dim), MIN_PART_TILES)
    matduce = op == "quant_lightning_indexer"
    macs = sum_macs = l1 = begin = 0
    for rows, widest, tiles in units:
        if tiles:
            parts = (begin + tiles - 1) // quota - begin // quota + 1
            macs += rows * HEADS * KEY_TILE * HEAD_DIM * tiles
            l1 += widest * HEAD_DIM * elem + parts * rows * HEADS * HEAD_DIM * elem
            if matduce:
                sum_macs += rows * KEY_TILE * rows * HEADS * tiles
                l1 += parts * rows * rows * HEADS * 2
        begin += tiles
    return macs, sum_macs, l1


def check_work(op: str, inputs: dict, report) -> None:
    """The run's cube MACs and GM -> L1 bytes equal what the kernel's work split promises."""
    macs, sum_macs, l1 = expected_work(op, inputs, report.block_dim)
    dtype = {1: "int8", 2: "bfloat16" if str(inputs["query"].dtype) == "bfloat16" else "float16"}[
        inputs["query"].dtype.itemsize]
    assert report.block_dim == report.tiling["usedCoreNum"]
    assert report.counters.get(f"cube_macs.{dtype}", 0) == macs
    if op == "quant_lightning_indexer":
        assert report.counters.get("cube_macs.float16", 0) == sum_macs
    assert report.counters.get("bytes.GM_L1", 0) == l1


def run_smoke_case(op, case, soc: str, build_root) -> None:
    """One catalog case through dsaops.ops on the twin: the golden's rule, then the work counters."""
    outcome = run_case_on_twin(op, case, soc=soc, build_root=build_root)
    assert outcome.passed, f"{outcome.ident} on {soc}: {outcome.summary()}"
    assert outcome.report.soc == soc
    check_work(op.name, cases.generate(op.name, case.params, case_seed(case)), outcome.report)


def run_params(run_op, op: str, params: dict, soc: str = "ascend910_93") -> dict:
    """Inputs from case knobs, run on the twin, top-k rule against the golden, work counters; the counters."""
    inputs = cases.generate(op, params, 0)
    out = run_op(op, **inputs, soc=soc)
    golden, scores = GOLDEN[op]
    result = compare_topk(out, golden(**inputs), scores(**inputs))
    assert result.passed, f"{op} {params} on {soc}: {result}"
    report = ops.last_report()
    check_work(op, inputs, report)
    return report.counters
