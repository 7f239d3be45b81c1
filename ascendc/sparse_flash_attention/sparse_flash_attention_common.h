// What the sparse flash attention scheduler and its role classes share: the dtype policy, the resolved
// parameters, the GM arguments, the per-row RunInfo and the row walk that splits query rows over cores.
#pragma once

#include "kernel_operator.h"
#include "common/arch.h"
#include "common/gather_kv.h"
#include "common/layout.h"
#include "common/online_softmax.h"
#include "common/quant.h"
#include "common/sync_ids.h"
#include "sparse_flash_attention_plan.h"

namespace dsa {

// bf16 query and KV (sparse_flash_attention): the cube gathers K~ = [key | key_rope] and V~ = value rows
// straight from GM into L1; the query rope is its own tensor.
template <class QueryT_, class KvT_>
struct SfaBf16Policy {
    using QueryT = QueryT_;
    using KvT = KvT_;   // the cube's K~ / V~ operand type
    using OutT = QueryT_;
    static constexpr bool KV_DEQUANT = false;      // KV rows gathered by the cube as they are
    static constexpr bool KV_SPLIT = false;        // (KV_DEQUANT) nope / rope / scales in three tensors
    static constexpr bool QUERY_PACKED = false;    // query [.., 512] and query_rope [.., 64] apart
    static constexpr uint64_t CORE_WORKSPACE = SfaPlan::CORE_WORKSPACE_BYTES;
};

// Packed int8 KV rows (sparse_flash_attention_antiquant, 656 bytes: int8 nope, bf16 rope, 4 fp32 scales):
// the AIVs gather and dequantise the tile's rows (common/quant.h) into a bf16 kv slot in GM, which the
// cube then loads like a dense tile; the query is [.., 576] with its rope packed after the nope dims.
struct SfaAntiquantPolicy {
    using QueryT = bfloat16_t;
    using KvT = bfloat16_t;
    using OutT = bfloat16_t;
    static constexpr bool KV_DEQUANT = true;
    static constexpr bool KV_SPLIT = false;
    static constexpr bool QUERY_PACKED = true;
    static constexpr uint64_t CORE_WORKSPACE = SfaPlan::CORE_WORKSPACE_BYTES_DEQUANT;
};

// sparse_flash_attention_quant (seed 004): the antiquant maths with the paged cache as three tensors
// (key_nope_2d int8, key_rope_2d bf16, k_nope_scales fp32, one row per slot); query nope and rope apart.
struct SfaQuantPolicy {
    using QueryT = bfloat16_t;
    using KvT = bfloat16_t;
    using OutT = bfloat16_t;
    static constexpr bool KV_DEQUANT = true;
    static constexpr bool KV_SPLIT = true;
    static constexpr bool QUERY_PACKED = false;
    static constexpr uint64_t CORE_WORKSPACE = SfaPlan::CORE_WORKSPACE_BYTES_DEQUANT;
};

// Byte offsets inside one core's workspace.
constexpr uint64_t SFA_PROBS_OFFSET = SfaPlan::LOGITS_SLOT_BYTES;
constexpr uint64_t SFA_OUT_OFFSET = SFA_PROBS_OFFSET + SfaPlan::PROBS_SLOT_BYTES;
constexpr uint64_t SFA_KV_OFFSET = SFA_OUT_OFFSET + SfaPlan::OUT_SLOT_BYTES;
constexpr uint64_t SFA_V_OFFSET = SFA_KV_OFFSET + SfaPlan::KV_SLOT_BYTES;
static_assert(IndexCompactor::HEADER == SfaPlan::INDEX_LIST_HEADER, "index list header");

struct SfaParams {
    uint32_t batch = 0;
    uint32_t maxSeqQ = 0;      // S1 (BSND) or T (TND)
    uint32_t maxSeqKv = 0;     // S2 (BSND), T2 (TND), maxBlocks * blockSize (PA_BSND)
    uint32_t heads = 0;        // N1
    uint32_t ropeDim = 0;      // 0 or 64
    uint32_t sparseSize = 0;   // K
    uint32_t sparseBlockSize = 1;
    uint32_t blockSize = 0;
    uint32_t maxBlocks = 0;
    float scale = 1.0f;
    uint32_t sparseMode = 3;
    uint32_t layoutQuery = 0;
    uint32_t layoutKv = 0;
    uint32_t usedCoreNum = 1;
    uint32_t splits = 1;       // parts per row (tile t of a row goes to part t % splits)
};

template <class Tiling>
__aicore__ inline SfaParams ResolveSfaParams(const Tiling& t)
{
    SfaParams p;
    p.batch = t.batch;
    p.maxSeqQ = t.maxSeqQ;
    p.maxSeqKv = t.maxSeqKv;
    p.heads = t.headsQ;
    p.ropeDim = t.ropeDim;
    p.sparseSize = t.sparseSize;
    p.sparseBlockSize = t.sparseBlockSize;
    p.blockSize = t.blockSize;
    p.maxBlocks = t.maxBlocks;
    p.scale = t.scaleValue;
    p.sparseMode = t.sparseMode;
    p.layoutQuery = t.layoutQuery;
    p.layoutKv = t.layoutKv;
    p.usedCoreNum = t.usedCoreNum;
    p.splits = t.splits;
    return p;
}

struct SfaGm {
    GM_ADDR query = nullptr;      // [B,S1,N1,512] / [T,N1,512] QueryT (QUERY_PACKED: [.., N1, 576])
    GM_ADDR key = nullptr;        // [B,S2,1,512] / [T2,1,512] / [blocks,blockSize,1,512] KvT (KV_DEQUANT: int8 [.., 656])
    GM_ADDR value = nullptr;      // shaped like key (in MLA-absorb the same tensor)
    GM_ADDR indices = nullptr;    // int32 [B,S1,1,K] / [T,1,K]
    GM_ADDR blockTable = nullptr; // int32 [B, maxBlocks], PA_BSND only
    GM_ADDR actualSeqQ = nullptr; // int32 [B] or nullptr (BSND: all S1)
    GM_ADDR actualSeqKv = nullptr;// int32 [B] or nullptr (BSND: all S2)
    GM_ADDR queryRope = nullptr;  // [.., N1, 64] QueryT or nullptr (QUERY_PACKED: unused)
    GM_ADDR keyRope = nullptr;    // [.., 1, 64] KvT, laid out like key, or nullptr (KV_SPLIT: [slots, 64] bf16)
    GM_ADDR keyScales = nullptr;  // KV_SPLIT: [slots, 4] fp32; nullptr otherwise
    GM_ADDR out = nullptr;        // [.., N1, 512] OutT
    GM_ADDR workspace = nullptr;  // per core: P::CORE_WORKSPACE bytes (logits, probs, out, [kv, v] slots), then
                                  // the two index lists (SfaCoreWorkspace)
};

// Bytes of one core's workspace: the policy's slots and the two index lists of a K-entry index row.
template <class P>
__aicore__ inline uint64_t SfaCoreWorkspace(const SfaParams& p)
{
    return SfaPlan::CoreWorkspaceBytes(P::CORE_WORKSPACE, p.sparseSize);
}

// The compacted index list of AIV `sub` of `core` (the AIC walks sub 0's).
template <class P>
__aicore__ inline GlobalTensor<int32_t> SfaIndexList(const SfaGm& gm, const SfaParams& p, uint32_t core, uint32_t sub)
{
    GlobalTensor<int32_t> t;
    t.SetGlobalBuffer(reinterpret_cast<__gm__ int32_t*>(gm.workspace + uint64_t(core) * SfaCoreWorkspace<P>(p) +
                                                        P::CORE_WORKSPACE + sub * SfaPlan::IndexListBytes(p.sparseSize)));
    return t;
}

// One query row (token) of one batch, as every role sees it.
struct RowRun {
    uint32_t batch = 0;
    uint32_t row = 0;        // within the batch
    uint64_t flatRow = 0;    // row of the [rows, N1, D] query / output
    uint64_t kvStart = 0;    // flat key row of the batch's key 0 (contiguous layouts)
    uint32_t visible = 0;    // keys the row may see (0 for a BSND row past the batch's query length)
    uint32_t part = 0;       // which part of the row (its tiles t with t % parts == part)
    uint64_t item = 0;       // global (row, part) index = row index * parts + part: the partial slot
};

// Query rows in (batch, row) order, each as `parts` items; BSND rows past a batch's query length are
// included (they output zeros). Item u goes to core u % cores.
class RowWalker {
public:
    __aicore__ inline void Init(const QueryRows* q, const KeyRows* k, const SfaParams& p)
    {
        q_ = q;
        k_ = k;
        batch_ = p.batch;
        sparseMode_ = p.sparseMode;
        bsnd_ = q->Layout() == SeqLayout::BSND;
        Reset();
    }
    __aicore__ inline void Reset()
    {
        b_ = 0;
        i_ = 0;
        part_ = 0;
        loaded_ = false;
        unit_ = 0;
    }
    // Next (row, part) item of `core` (of `cores`).
    __aicore__ inline bool Next(uint32_t core, uint32_t cores, uint32_t parts, RowRun& r)
    {
        while (b_ < batch_) {
            if (!loaded_) {
                qLen_ = q_->Length(b_);
                kLen_ = k_->Length(b_);
                qStart_ = q_->Start(b_);
                kStart_ = k_->Layout() == SeqLayout::PA_BSND ? 0 : k_->Start(b_);
                rows_ = bsnd_ ? q_->SeqMax() : qLen_;
                loaded_ = true;
            }
            if (i_ < rows_) {
                const uint32_t i = i_;
                const uint32_t part = part_;
                if (++part_ == parts) {
                    part_ = 0;
                    ++i_;
                }
                const uint64_t item = unit_++;
                if (item % cores != core) continue;
                r.part = part;
                r.item = item;
                r.batch = b_;
                r.row = i;
                r.flatRow = qStart_ + i;
                r.kvStart = kStart_;
                r.visible = i < qLen_ ? VisibleKeys(qLen_, kLen_, i, sparseMode_) : 0;
                return true;
            }
            ++b_;
            i_ = 0;
            loaded_ = false;
        }
        return false;
    }

private:
    const QueryRows* q_ = nullptr;
    const KeyRows* k_ = nullptr;
    uint32_t batch_ = 0, sparseMode_ = 0, b_ = 0, i_ = 0, part_ = 0, rows_ = 0, qLen_ = 0, kLen_ = 0;
    uint64_t qStart_ = 0, kStart_ = 0, unit_ = 0;
    bool bsnd_ = true, loaded_ = false;
};

}  // namespace dsa
