// What the indexer kernel's scheduler and role classes share: the dtype policies (one kernel, the
// int8 op is a policy of it), the resolved parameters, the GM arguments and the per-tile RunInfo.
#pragma once

#include "kernel_operator.h"
#include "common/arch.h"
#include "common/layout.h"
#include "common/split_kv.h"
#include "common/sync_ids.h"
#include "common/topk.h"
#include "lightning_indexer_plan.h"

namespace dsa {

// bf16 / fp16 query and key: Q.K^T in fp32 with the ReLU fused into the Fixpipe; the fp32 [heads x keys]
// tile goes to the vector, which does the weighted head sum in fp32 (the golden's precision: a 16-bit
// ReLU(S) for a second matmul would move scores by ~1e-4, the top-k rule's own tolerance).
template <class QueryT, class WeightT_>
struct IndexerFloatPolicy {
    using MmadT = QueryT;
    using AccT = float;
    using WeightT = WeightT_;
    static constexpr bool QUANT = false;          // no query/key dequant scales
    static constexpr bool CUBE_HEAD_SUM = false;  // the vector does the head sum
    static constexpr uint32_t MERGE_BLOCKS = 1;   // sorted 512-key blocks per merge into the running top-k
    static constexpr QuantMode_t FIX_QUANT = QuantMode_t::NoQuant;
    static constexpr uint64_t FIX_DEQ = 0;
};

// int8 query and key ("Mat-Duce", OPS.md section 2): int32 Q.K^T, the Fixpipe applies S / 1024 -> fp16
// and ReLU into L1, and a second cube matmul sums the heads: P = W~ R with W~ = fp16(w * q_scale) as a
// block-diagonal [rows x rows*64] matrix (fp16 x fp16 products are exact in the fp32 accumulator, so
// this is the golden's fp32 sum). The vector gets P [rows x keys] and applies the key dequant scale.
struct IndexerInt8Policy {
    using MmadT = int8_t;
    using AccT = int32_t;
    using WeightT = half;
    static constexpr bool QUANT = true;
    static constexpr bool CUBE_HEAD_SUM = true;
    static constexpr uint32_t MERGE_BLOCKS = 3;  // the small score tiles leave UB for 3 pending blocks: one
                                                 // 4-way merge moves k + 1536 pairs instead of 3 x (k + 512)
    static constexpr QuantMode_t FIX_QUANT = QuantMode_t::DEQF16;
    static constexpr uint64_t FIX_DEQ = 0x3A800000ULL;  // fp32 bits of 2^-10 (exact in the Fixpipe's 10-bit scale)
};

// The tiling data of either op, resolved into one shape.
struct IndexerParams {
    uint32_t batch = 0;
    uint32_t maxSeqQ = 0;       // S1 (BSND) or T (TND)
    uint32_t maxSeqK = 0;       // S2 (BSND), T2 (TND), maxBlocks * blockSize (PA_BSND)
    uint32_t blockSize = 0;
    uint32_t maxBlocks = 0;
    uint32_t sparseCount = 0;
    uint32_t sparseAlloc = 0;   // sparseCount rounded up to SPARSE_ALIGN
    uint32_t sparseMode = 0;
    uint32_t layoutQuery = 0;
    uint32_t layoutKey = 0;
    uint32_t groupRows = 0;
    uint32_t keyTile = 0;
    uint32_t minPartTiles = 0;
    uint32_t usedCoreNum = 0;
    uint64_t scoreSlotBytes = 0;
    uint64_t partialRowBytes = 0;
    uint64_t coreWorkspaceBytes = 0;
    uint64_t weightSlotBytes = 0;  // Mat-Duce: the block-diagonal head weights of a unit (0 otherwise)
};

template <class Tiling>
__aicore__ inline IndexerParams ResolveIndexerParams(const Tiling& t)
{
    IndexerParams p;
    p.batch = t.batch;
    p.maxSeqQ = t.maxSeqQ;
    p.maxSeqK = t.maxSeqK;
    p.blockSize = t.blockSize;
    p.maxBlocks = t.maxBlocks;
    p.sparseCount = t.sparseCount;
    p.sparseAlloc = t.sparseAlloc;
    p.sparseMode = t.sparseMode;
    p.layoutQuery = t.layoutQuery;
    p.layoutKey = t.layoutKey;
    p.groupRows = t.groupRows;
    p.keyTile = t.keyTile;
    p.minPartTiles = t.minPartTiles;
    p.usedCoreNum = t.usedCoreNum;
    p.scoreSlotBytes = t.scoreSlotBytes;
    p.partialRowBytes = t.partialRowBytes;
    p.coreWorkspaceBytes = t.coreWorkspaceBytes;
    p.weightSlotBytes = t.weightSlotBytes;
    return p;
}

struct IndexerGm {
    GM_ADDR query = nullptr;       // [B,S1,64,128] / [T,64,128] of MmadT
    GM_ADDR key = nullptr;         // [B,S2,1,128] / [T2,1,128] / [blocks,blockSize,1,128] of MmadT
    GM_ADDR weights = nullptr;     // [B,S1,64] / [T,64] of WeightT
    GM_ADDR queryScale = nullptr;  // int8 only: fp16, shaped like weights; nullptr otherwise
    GM_ADDR keyScale = nullptr;    // int8 only: fp16, shaped like key without D; nullptr otherwise
    GM_ADDR actualSeqQ = nullptr;  // int32 [B] or nullptr
    GM_ADDR actualSeqK = nullptr;  // int32 [B] or nullptr
    GM_ADDR blockTable = nullptr;  // int32 [B, maxBlocks], PA_BSND only
    GM_ADDR sparseIndices = nullptr;  // int32 [B,S1,1,k] / [T,1,k]
    GM_ADDR workspace = nullptr;   // user workspace: per core, score slots, partial top-k lists, weight slot
};

// Byte offsets inside one core's workspace.
__aicore__ inline uint64_t PartialAreaOffset(const IndexerParams& p)
{
    return IndexerPlan::SCORE_SLOTS * p.scoreSlotBytes;
}
__aicore__ inline uint64_t WeightSlotOffset(const IndexerParams& p)
{
    return PartialAreaOffset(p) + uint64_t(IndexerPlan::PARTIAL_SLOTS) * IndexerPlan::GROUP_ROWS * p.partialRowBytes;
}

// One key tile of one unit part, as both roles see it.
struct TileRun {
    WorkUnit unit;
    uint32_t tile = 0;        // tile index within the unit
    uint32_t keyStart = 0;    // first key position (within the batch) of the tile
    uint32_t keys = 0;        // valid keys of the tile (<= keyTile), up to the group's widest row
    uint32_t slot = 0;        // score slot of the workspace ring
    uint32_t tileInPart = 0;  // tile index within this core's part of the unit
    uint32_t partKeyStart = 0;
    bool lastOfPart = false;
};

}  // namespace dsa
