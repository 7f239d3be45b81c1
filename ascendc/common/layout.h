// BSND / TND / PA_BSND row addressing of query-like and key-like tensors, and the block-table lookup.
// Lengths come from actual_seq_lengths_* (GM, read by the scalar unit: one value per batch).
#pragma once

#include "common/arch.h"

namespace dsa {

enum class SeqLayout : uint32_t { BSND = 0, TND = 1, PA_BSND = 2 };

// Query-like rows ([B, S, ...] or [T, ...]): where batch b's rows start and how many are valid.
class QueryRows {
public:
    __aicore__ inline void Init(SeqLayout layout, uint32_t seqMax, GM_ADDR actualSeqLengths)
    {
        layout_ = layout;
        seqMax_ = seqMax;
        hasActual_ = actualSeqLengths != nullptr;
        if (hasActual_) actualGm_.SetGlobalBuffer(reinterpret_cast<__gm__ int32_t*>(actualSeqLengths));
    }
    // Flat row of batch b's row 0.
    __aicore__ inline uint64_t Start(uint32_t b) const
    {
        if (layout_ == SeqLayout::TND) return b == 0 ? 0 : uint64_t(actualGm_.GetValue(b - 1));
        return uint64_t(b) * seqMax_;
    }
    __aicore__ inline uint32_t Length(uint32_t b) const
    {
        if (layout_ == SeqLayout::TND) return uint32_t(actualGm_.GetValue(b)) - uint32_t(Start(b));
        return hasActual_ ? uint32_t(actualGm_.GetValue(b)) : seqMax_;
    }
    __aicore__ inline uint32_t SeqMax() const { return seqMax_; }
    __aicore__ inline SeqLayout Layout() const { return layout_; }

private:
    GlobalTensor<int32_t> actualGm_;  // [B] per-batch lengths (BSND) or prefix sums (TND); may be absent
    SeqLayout layout_ = SeqLayout::BSND;
    uint32_t seqMax_ = 0;             // S of a BSND tensor
    bool hasActual_ = false;
};

// Key-like rows: contiguous (BSND / TND) or paged (PA_BSND through block_table[B, maxBlocks]).
class KeyRows {
public:
    __aicore__ inline void Init(SeqLayout layout, uint32_t seqMax, GM_ADDR actualSeqLengths, GM_ADDR blockTable,
                                uint32_t blockSize, uint32_t maxBlocks)
    {
        layout_ = layout;
        seqMax_ = seqMax;
        blockSize_ = blockSize;
        maxBlocks_ = maxBlocks;
        hasActual_ = actualSeqLengths != nullptr;
        if (hasActual_) actualGm_.SetGlobalBuffer(reinterpret_cast<__gm__ int32_t*>(actualSeqLengths));
        if (blockTable != nullptr) blockTableGm_.SetGlobalBuffer(reinterpret_cast<__gm__ int32_t*>(blockTable));
    }
    __aicore__ inline uint32_t Length(uint32_t b) const
    {
        if (layout_ == SeqLayout::TND) return uint32_t(actualGm_.GetValue(b)) - uint32_t(Start(b));
        if (layout_ == SeqLayout::PA_BSND) return uint32_t(actualGm_.GetValue(b));
        return hasActual_ ? uint32_t(actualGm_.GetValue(b)) : seqMax_;
    }
    // Contiguous layouts: flat row of batch b's key 0.
    __aicore__ inline uint64_t Start(uint32_t b) const
    {
        if (layout_ == SeqLayout::TND) return b == 0 ? 0 : uint64_t(actualGm_.GetValue(b - 1));
        return uint64_t(b) * seqMax_;
    }
    // PA_BSND: batch b's block table row [maxBlocks].
    __aicore__ inline GlobalTensor<int32_t> TableRow(uint32_t b) const { return blockTableGm_[uint64_t(b) * maxBlocks_]; }
    // Longest run of rows from key position pos that is contiguous in memory (capped by want), and the
    // flat row where it starts (for paged keys: block * blockSize + offset).
    __aicore__ inline uint32_t Run(uint32_t b, uint64_t batchStart, uint32_t pos, uint32_t want, uint64_t& flatRow) const
    {
        if (layout_ != SeqLayout::PA_BSND) {
            flatRow = batchStart + pos;
            return want;
        }
        uint32_t blk = pos / blockSize_;
        uint32_t off = pos - blk * blockSize_;
        flatRow = uint64_t(blockTableGm_.GetValue(uint64_t(b) * maxBlocks_ + blk)) * blockSize_ + off;
        return Min(want, blockSize_ - off);
    }
    __aicore__ inline SeqLayout Layout() const { return layout_; }

private:
    GlobalTensor<int32_t> actualGm_;      // [B] lengths (BSND, PA_BSND) or prefix sums (TND); may be absent for BSND
    GlobalTensor<int32_t> blockTableGm_;  // [B, maxBlocks] PA_BSND only
    SeqLayout layout_ = SeqLayout::BSND;
    uint32_t seqMax_ = 0;
    uint32_t blockSize_ = 0;
    uint32_t maxBlocks_ = 0;
    bool hasActual_ = false;
};

// Keys of a batch that query row i (0-based) sees: always the prefix [0, count).
// sparseMode 3 (right-down causal): j <= kLen - qLen + i; sparseMode 0: all kLen keys.
__aicore__ inline uint32_t VisibleKeys(uint32_t qLen, uint32_t kLen, uint32_t i, uint32_t sparseMode)
{
    if (sparseMode == 0) return kLen;
    int64_t last = int64_t(kLen) - int64_t(qLen) + int64_t(i) + 1;
    return last <= 0 ? 0u : uint32_t(Min<int64_t>(last, kLen));
}

}  // namespace dsa
