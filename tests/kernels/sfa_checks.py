"""Shared checks of the sparse flash attention kernels (sparse_flash_attention, its antiquant policy) on
the twin: run a catalog case through dsaops.ops, judge it with the double-benchmark rule against the
golden and its exact variant, and check the kernel's work against its design
(ascendc/sparse_flash_attention/DESIGN.md): per query row (part) with selected keys, the query goes
GM -> L1 once, each selected key row once (bf16: gathered by the cube; antiquant: dequantised by the AIVs into a
bf16 kv slot the cube loads), P once per tile of <= 64 keys; the cube computes Q.K~^T over whole tiles
and P.V~ over exactly the selected keys."""

from __future__ import annotations

import numpy as np
import yaml

from dsaops import cases, ops
from dsaops.compare import compare_outputs
from dsaops.golden import exact
from dsaops.golden import sparse_flash_attention, sparse_flash_attention_antiquant, sparse_flash_attention_quant
from dsaops.golden._common import key_rows, query_rows, visible_counts
from dsaops.golden._sparse_attention import selected_positions
from dsaops.resources import opdefs_dir

SOCS = ("ascend910b", "ascend910_93")
KEY_TILE, D, DR = 64, 512, 64
GOLDEN = {
    "sparse_flash_attention": (sparse_flash_attention, exact.sparse_flash_attention),
    "sparse_flash_attention_antiquant": (sparse_flash_attention_antiquant, exact.sparse_flash_attention_antiquant),
    "sparse_flash_attention_quant": (sparse_flash_attention_quant, exact.sparse_flash_attention_quant),
}


def as_common(op: str, inputs: dict) -> dict:
    """A seed-004 call (sparse_flash_attention_quant) seen as the sparse_flash_attention arguments the
    kernel runs (BSND query of t = b * s1 tokens, PA_BSND cache, token-wise causal indices); shapes only."""
    if op != "sparse_flash_attention_quant" or "topk_indices" not in inputs:
        return inputs
    table, ind = inputs["block_table"], inputs["topk_indices"]
    b, t, nq, bs = table.shape[0], ind.shape[0], int(inputs["nq"]), int(inputs["block_size"])
    slots = inputs["key_nope_2d"].shape[0]
    key = np.broadcast_to(np.int8(0), (slots // bs, bs, 1, D))
    return {"query": np.broadcast_to(np.int8(0), (b, t // b, nq, D)), "query_rope": np.broadcast_to(np.int8(0), (1,)),
            "key": key, "value": key, "block_table": table, "actual_seq_lengths_kv": inputs["kv_act_seqs"],
            "sparse_indices": ind[:, : int(inputs["topk"])].reshape(b, t // b, 1, -1), "sparse_block_size": 1,
            "layout_kv": "PA_BSND", "sparse_mode": 3}


def smoke_cases(op: str) -> list[dict]:
    with open(opdefs_dir() / f"{op}.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)["cases"]["smoke"]


def selected_counts(op: str, inputs: dict) -> list[int]:
    """Selected key positions of every query row (0 for rows that see nothing), by the golden's rules."""
    inputs = as_common(op, inputs)
    q = inputs["query"]
    lq, lkv = inputs.get("layout_query", "BSND"), inputs.get("layout_kv", "BSND")
    qrows = query_rows(op, lq, q.shape, inputs.get("actual_seq_lengths_query"))
    krows = key_rows(op, lkv, inputs["key"].shape, inputs.get("actual_seq_lengths_kv"), inputs.get("block_table"),
                     qrows.batch, param="actual_seq_lengths_kv", layout_param="layout_kv")
    indices = inputs["sparse_indices"].reshape(-1, inputs["sparse_indices"].shape[-1])
    counts = []
    for b in range(qrows.batch):
        vis = visible_counts(int(qrows.lengths[b]), int(krows.lengths[b]), int(inputs.get("sparse_mode", 3)))
        for i, row in enumerate(qrows.flat(b)):
            counts.append(selected_positions(indices[row], int(inputs["sparse_block_size"]), int(vis[i])).size)
    return counts


def expected_work(op: str, inputs: dict, splits: int = 1) -> tuple[int, int]:
    """(bf16 cube MACs, GM -> L1 bytes) of the kernel for these inputs, each row's tiles dealt to
    ``splits`` parts (tile t to part t % splits; a part with tiles loads the query once)."""
    inputs = as_common(op, inputs)
    n1 = inputs["query"].shape[-2]
    if op == "sparse_flash_attention":
        dr = 0 if inputs.get("query_rope") is None else DR
    else:
        dr = DR
    value_is_key = inputs["value"] is inputs["key"]
    macs = l1 = 0
    for n in selected_counts(op, inputs):
        if n == 0:
            continue
        tiles = -(-n // KEY_TILE)
        macs += tiles * n1 * KEY_TILE * (D + dr) + n1 * D * n        # C1 per tile, C2 over the selected keys
        l1 += min(splits, tiles) * n1 * (D + dr) * 2                 # query once per part with tiles
        l1 += tiles * n1 * KEY_TILE * 2                              # P per tile
        l1 += n * (D + dr) * 2 + (0 if value_is_key else n * D * 2)  # each selected row once (bf16)
    return macs, l1


def run_and_check(run_op, op: str, inputs: dict, soc: str = "ascend910_93", ident: str = ""):
    out = run_op(op, **inputs, soc=soc)
    golden, exact_fn = GOLDEN[op]
    result = compare_outputs(op, out, golden(**inputs), exact_fn(**inputs))
    assert result.passed, f"{op} {ident} on {soc}: {result.summary()}"
    report = ops.last_report()
    assert report.soc == soc and report.block_dim == report.tiling["usedCoreNum"] >= 1
    macs, l1 = expected_work(op, inputs, report.tiling["splits"])
    assert report.counters.get("cube_macs.bfloat16", 0) == macs
    assert report.counters.get("bytes.GM_L1", 0) == l1
    # workspace reads (the twin's ws_read_bytes, L2-resident by the cost model): the cube reads P per tile
    # (and the dequant policies' bf16 kv tile) from its workspace slots, never a cache row or the query
    n1 = as_common(op, inputs)["query"].shape[-2]
    tiles = sum(-(-n // KEY_TILE) for n in selected_counts(op, inputs))
    aic_ws = sum(c["counters"].get("ws_read_bytes", 0) for c in report.cores if c["is_aic"])
    selected = sum(selected_counts(op, inputs))
    common = as_common(op, inputs)
    value_is_key = common["value"] is common["key"]
    kv_tile = 0 if op == "sparse_flash_attention" else selected * ((D + DR) * 2 + (0 if value_is_key else D * 2))
    assert aic_ws == tiles * n1 * KEY_TILE * 2 + kv_tile
    assert 0 < report.counters["ws_read_bytes"] < report.counters["bytes.GM_UB"] + report.counters["bytes.GM_L1"]
    return out, report


def check_catalog_covers_the_kernel_paths(op: str) -> None:
    smoke = smoke_cases(op)
    params = [c["params"] for c in smoke]
    layouts = {(p.get("layout_query", "BSND"), p.get("layout_kv", "BSND")) for p in params}
    assert {("BSND", "BSND"), ("BSND", "PA_BSND"), ("TND", "PA_BSND")} <= layouts
    assert {p.get("sparse_block_size", 1) for p in params} >= {1, 4, 16}
    assert {p.get("sparse_mode", 3) for p in params} == {0, 3}
    assert {1, 128} <= {p["N1"] for p in params}
    # rows spanning several key tiles, and rows that select nothing (padded / causally empty)
    counts = [n for c in smoke for n in selected_counts(op, cases.generate(op, c["params"], 0))]
    assert max(counts) > 2 * KEY_TILE and 0 in counts
    # decode-like catalogs (fewer rows than cores: rows split over cores) and more rows than cores
    rows = [p["B"] * p["S1"] for p in params]
    assert min(rows) <= 2 and max(rows) > 24


def all_rows_empty_give_zeros(run_op, op: str, inputs: dict) -> None:
    name = "topk_indices" if op == "sparse_flash_attention_quant" else "sparse_indices"
    inputs = dict(inputs, **{name: np.full_like(inputs[name], -1)})
    out = run_op(op, **inputs)
    assert not np.any(np.asarray(out, np.float32))
    assert ops.last_report().counters.get("cube_macs.bfloat16", 0) == 0
