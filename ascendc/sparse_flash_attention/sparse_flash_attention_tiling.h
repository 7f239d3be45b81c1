// Host tiling shared by the sparse flash attention ops (plain C++17, no CANN types): from the shapes and
// attrs of one call and the SoC, the tiling data, block dim and workspace size. Query rows go round-robin
// to the cores (the kernel reads the actual lengths); every core gets a workspace of P::CORE_WORKSPACE.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>

#include "sparse_flash_attention_plan.h"

namespace SfaTiling {

inline int Fail(DsaopsTilingResult* r, const char* op, const char* param, const char* expected, const char* got)
{
    std::snprintf(r->error, sizeof(r->error), "%s: %s expected %s, got %s", op, param, expected, got ? got : "null");
    return 1;
}

inline int FailInt(DsaopsTilingResult* r, const char* op, const char* param, const char* expected, int64_t got)
{
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(got));
    return Fail(r, op, param, expected, buf);
}

inline int LayoutId(const char* s)
{
    if (s == nullptr) return -1;
    if (std::strcmp(s, "BSND") == 0) return 0;
    if (std::strcmp(s, "TND") == 0) return 1;
    if (std::strcmp(s, "PA_BSND") == 0) return 2;
    return -1;
}

// Problem: a generated <OpType>TilingProblem; Tiling: the op's tiling struct (the common fields).
// nopeDim / ropeDim: the query's nope and rope dims as the op binds them (ropeDim 0: no rope).
template <class Problem, class Tiling>
int Compute(const char* op, const Problem& p, const DsaopsPlatform& plat, int64_t nopeDim, int64_t ropeDim,
            uint64_t coreWorkspace, Tiling* t, DsaopsTilingResult* r)
{
    std::memset(t, 0, sizeof(*t));
    const int lq = LayoutId(p.layout_query);
    const int lkv = LayoutId(p.layout_kv);
    if (lq < 0 || lq == 2) return Fail(r, op, "layout_query", "one of BSND, TND", p.layout_query);
    if (lkv < 0) return Fail(r, op, "layout_kv", "one of BSND, TND, PA_BSND", p.layout_kv);
    if (p.N1 < 1 || p.N1 > SfaPlan::MAX_HEADS) return FailInt(r, op, "query N1", "in [1, 128]", p.N1);
    if (nopeDim != SfaPlan::HEAD_DIM) return FailInt(r, op, "query nope D", "512", nopeDim);
    if (ropeDim != 0 && ropeDim != SfaPlan::ROPE_DIM) return FailInt(r, op, "query rope Dr", "64", ropeDim);
    if (p.K < 1) return FailInt(r, op, "sparse_indices K", ">= 1", p.K);
    if (p.sparse_block_size < 1 || p.sparse_block_size > 128)
        return FailInt(r, op, "sparse_block_size", "in [1, 128]", p.sparse_block_size);
    if (!(p.scale_value > 0.0)) return Fail(r, op, "scale_value", "a finite number > 0", "a non-positive value");
    if (plat.aicNum == 0) return FailInt(r, op, "platform aicNum", ">= 1", 0);

    const uint64_t maxSeqQ = lq == 0 ? uint64_t(p.S1) : uint64_t(p.T);
    const uint64_t maxSeqKv = lkv == 0 ? uint64_t(p.S2) : lkv == 1 ? uint64_t(p.T2) : uint64_t(p.max_blocks) * p.block_size;
    const uint64_t rows = lq == 0 ? uint64_t(p.B) * p.S1 : uint64_t(p.T);
    // Fewer rows than cores (decode): split each row's key tiles into parts, no more than it has tiles.
    uint64_t splits = 1;
    if (rows > 0 && rows < plat.aicNum) {
        const uint64_t maxTiles = (uint64_t(p.K) * uint64_t(p.sparse_block_size) + SfaPlan::KEY_TILE - 1) / SfaPlan::KEY_TILE;
        splits = plat.aicNum / rows;
        if (splits > maxTiles) splits = maxTiles;
        if (splits > SfaPlan::MAX_SPLITS) splits = SfaPlan::MAX_SPLITS;
        if (splits < 1) splits = 1;
    }
    uint64_t cores = rows * splits < 1 ? 1 : rows * splits;
    if (cores > plat.aicNum) cores = plat.aicNum;
    const uint64_t partialBytes = uint64_t(p.N1) * SfaPlan::HEAD_DIM * 4 + 2 * SfaPlan::PARTIAL_STAT_BYTES;

    t->batch = uint32_t(p.B);
    t->maxSeqQ = uint32_t(maxSeqQ);
    t->maxSeqKv = uint32_t(maxSeqKv);
    t->headsQ = uint32_t(p.N1);
    t->ropeDim = uint32_t(ropeDim);
    t->sparseSize = uint32_t(p.K);
    t->sparseBlockSize = uint32_t(p.sparse_block_size);
    t->blockSize = lkv == 2 ? uint32_t(p.block_size) : 0u;
    t->maxBlocks = lkv == 2 ? uint32_t(p.max_blocks) : 0u;
    t->scaleValue = float(p.scale_value);
    t->sparseMode = uint32_t(p.sparse_mode);
    t->layoutQuery = uint32_t(lq);
    t->layoutKv = uint32_t(lkv);
    t->usedCoreNum = uint32_t(cores);
    t->splits = uint32_t(splits);
    r->blockDim = uint32_t(cores);
    r->tilingKey = p.variant;
    r->workspaceSize = cores * SfaPlan::CoreWorkspaceBytes(coreWorkspace, uint64_t(p.K)) +
                       (splits > 1 ? rows * splits * partialBytes : 0);
    r->error[0] = '\0';
    return 0;
}

}  // namespace SfaTiling
