// Host tiling shared by lightning_indexer and quant_lightning_indexer (plain C++17, no CANN types):
// from the shapes and attrs of one call and the SoC, the tiling data, block dim and workspace size.
// Tensor data (actual lengths, block table) are read by the kernel; the core split happens there.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>

#include "lightning_indexer_plan.h"

namespace IndexerTiling {

inline int Fail(DsaopsTilingResult* r, const char* op, const char* param, const char* expected, const char* got)
{
    std::snprintf(r->error, sizeof(r->error), "%s: %s expected %s, got %s", op, param, expected, got);
    return 1;
}

inline int FailInt(DsaopsTilingResult* r, const char* op, const char* param, const char* expected, int64_t got)
{
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(got));
    return Fail(r, op, param, expected, buf);
}

inline int LayoutId(const char* s, bool allowPaged)
{
    if (s == nullptr) return -1;
    if (std::strcmp(s, "BSND") == 0) return 0;
    if (std::strcmp(s, "TND") == 0) return 1;
    if (allowPaged && std::strcmp(s, "PA_BSND") == 0) return 2;
    return -1;
}

inline uint64_t CeilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

// Problem: a generated <OpType>TilingProblem; Tiling: the generated tiling struct of either op.
// cubeHeadSum: the int8 Mat-Duce path (the cube sums the heads; score slots hold one row per query).
template <class Problem, class Tiling>
int Compute(const char* op, const Problem& p, const DsaopsPlatform& plat, bool cubeHeadSum, Tiling* t,
            DsaopsTilingResult* r)
{
    using namespace IndexerPlan;
    std::memset(t, 0, sizeof(*t));
    const int lq = LayoutId(p.layout_query, false);
    const int lk = LayoutId(p.layout_key, true);
    if (lq < 0) return Fail(r, op, "layout_query", "one of BSND, TND", p.layout_query ? p.layout_query : "null");
    if (lk < 0) return Fail(r, op, "layout_key", "one of BSND, TND, PA_BSND", p.layout_key ? p.layout_key : "null");
    if (p.N1 != HEADS) return FailInt(r, op, "query N1", "64", p.N1);
    if (p.D != HEAD_DIM) return FailInt(r, op, "query D", "128", p.D);
    if (p.N2 != 1) return FailInt(r, op, "key N2", "1", p.N2);
    if (p.sparse_count < 1 || p.sparse_count > MAX_SPARSE)
        return FailInt(r, op, "sparse_count", "in [1, 2048]", p.sparse_count);
    if (p.sparse_mode != 0 && p.sparse_mode != 3) return FailInt(r, op, "sparse_mode", "0 or 3", p.sparse_mode);
    if (lk == 2 && (p.block_size < 16 || p.block_size > 1024 || p.block_size % 16 != 0))
        return FailInt(r, op, "key block_size", "a multiple of 16 in [16, 1024]", p.block_size);
    if (plat.aicNum == 0) return FailInt(r, op, "platform aicNum", ">= 1", 0);

    const uint64_t maxSeqQ = lq == 0 ? uint64_t(p.S1) : uint64_t(p.T);
    const uint64_t maxSeqK = lk == 0 ? uint64_t(p.S2) : lk == 1 ? uint64_t(p.T2) : uint64_t(p.max_blocks) * p.block_size;
    t->batch = uint32_t(p.B);
    t->maxSeqQ = uint32_t(maxSeqQ);
    t->maxSeqK = uint32_t(maxSeqK);
    t->headsQ = uint32_t(p.N1);
    t->headDim = uint32_t(p.D);
    t->blockSize = lk == 2 ? uint32_t(p.block_size) : 0;
    t->maxBlocks = lk == 2 ? uint32_t(p.max_blocks) : 0;
    t->sparseCount = uint32_t(p.sparse_count);
    t->sparseAlloc = uint32_t(CeilDiv(uint64_t(p.sparse_count), SPARSE_ALIGN) * SPARSE_ALIGN);
    t->sparseMode = uint32_t(p.sparse_mode);
    t->layoutQuery = uint32_t(lq);
    t->layoutKey = uint32_t(lk);
    t->groupRows = GROUP_ROWS;
    t->keyTile = KEY_TILE;
    t->minPartTiles = MIN_PART_TILES;
    // Upper bound of the key tiles (the kernel splits the actual ones): enough parts for every core?
    const uint64_t groups = uint64_t(p.B) * CeilDiv(maxSeqQ, GROUP_ROWS);
    const uint64_t tiles = groups * CeilDiv(maxSeqK, KEY_TILE);
    uint64_t cores = CeilDiv(tiles, MIN_PART_TILES);
    if (cores < 1) cores = 1;
    if (cores > plat.aicNum) cores = plat.aicNum;
    t->usedCoreNum = uint32_t(cores);
    t->scoreSlotBytes = GROUP_ROWS * (cubeHeadSum ? 1u : HEADS) * KEY_TILE * uint32_t(sizeof(float));
    t->partialRowBytes = t->sparseAlloc * 8;
    t->weightSlotBytes = cubeHeadSum ? GROUP_ROWS * GROUP_ROWS * HEADS * 2u : 0u;  // fp16 [rows, rows * 64]
    t->coreWorkspaceBytes =
        SCORE_SLOTS * t->scoreSlotBytes + PARTIAL_SLOTS * GROUP_ROWS * t->partialRowBytes + t->weightSlotBytes;
    r->blockDim = uint32_t(cores);
    r->tilingKey = p.variant;
    r->workspaceSize = cores * t->coreWorkspaceBytes;
    r->error[0] = '\0';
    return 0;
}

}  // namespace IndexerTiling
