// Index-selected key rows: walk one query row's sparse indices into tiles of key positions, and DMA the
// selected rows of a dense or paged cache into L1 (NZ) - one copy per contiguous run, no scalar copies.
//
// A sparse index i addresses the sparseBlockSize keys [i * s, i * s + s); the walk stops at the first
// negative entry (or after K entries), skips entries whose block starts at or past `visible` (the causal
// threshold and the batch's kv length) and clips a block that straddles it. Duplicates are kept. The
// AIC (which gathers) and the AIVs (which only need the tile sizes) run the same walk on the same GM
// indices, so they agree on every tile without exchanging anything.
#pragma once

#include "common/layout.h"

namespace dsa {

// One contiguous run of selected key positions (within the batch): [pos, pos + count).
struct KeyRun {
    uint32_t pos = 0;
    uint32_t count = 0;
};

class SparseCursor {
public:
    // indices: this query row's K int32 entries (GM); visible: keys the row may see.
    __aicore__ inline void Init(const GlobalTensor<int32_t>& indices, uint64_t offset, uint32_t entries,
                                uint32_t sparseBlockSize, uint32_t visible)
    {
        indices_ = indices;
        offset_ = offset;
        entries_ = entries;
        blockSize_ = sparseBlockSize;
        visible_ = visible;
        entry_ = 0;
        inBlock_ = 0;
        done_ = visible == 0;
    }
    __aicore__ inline bool Done() const { return done_; }

    // Next run of at most `room` positions; false when the row has no more selected keys.
    __aicore__ inline bool NextRun(uint32_t room, KeyRun& run)
    {
        while (!done_ && entry_ < entries_) {
            const int64_t idx = indices_.GetValue(offset_ + entry_);
            if (idx < 0) break;
            const int64_t start = idx * int64_t(blockSize_);
            if (start >= int64_t(visible_)) {  // past the threshold: skip, later entries may still be visible
                ++entry_;
                inBlock_ = 0;
                continue;
            }
            const uint32_t len = uint32_t(Min<int64_t>(int64_t(blockSize_), int64_t(visible_) - start));
            run.pos = uint32_t(start) + inBlock_;
            run.count = Min(len - inBlock_, room);
            inBlock_ += run.count;
            if (inBlock_ == len) {
                ++entry_;
                inBlock_ = 0;
            }
            return true;
        }
        done_ = true;
        return false;
    }

    // Fills up to `tile` positions; calls visit(run, rowInTile) per run; returns the positions taken.
    template <class Visit>
    __aicore__ inline uint32_t NextTile(uint32_t tile, Visit&& visit)
    {
        uint32_t filled = 0;
        KeyRun run;
        while (filled < tile && NextRun(tile - filled, run)) {
            visit(run, filled);
            filled += run.count;
        }
        return filled;
    }

private:
    GlobalTensor<int32_t> indices_;  // [rows, K] int32
    uint64_t offset_ = 0;            // first entry of this row
    uint32_t entries_ = 0, blockSize_ = 1, visible_ = 0;
    uint32_t entry_ = 0, inBlock_ = 0;
    bool done_ = true;
};

// Rows [pos, pos + count) of batch b's key-like tensor ([rows, cols] per token, one head) into an NZ
// tile of L1 whose 16-element column bands are `bandStride` rows apart, starting at tile row `row`.
// Paged caches break a run at block ends (KeyRows::Run). Scratch: none. Pipe: MTE2.
template <class T>
__aicore__ inline void GatherRowsNz(const LocalTensor<T>& tileL1, const GlobalTensor<T>& srcGm, uint32_t cols,
                                    uint32_t bandStride, const KeyRows& keys, uint32_t batch, uint64_t batchStart,
                                    const KeyRun& run, uint32_t row)
{
    constexpr uint32_t C0 = BLOCK_BYTES / sizeof(T);
    for (uint32_t done = 0; done < run.count;) {
        uint64_t flatRow = 0;
        const uint32_t n = keys.Run(batch, batchStart, run.pos + done, run.count - done, flatRow);
        Nd2NzParams nd(1, n, cols, 0, cols, bandStride, 1, 0);
        DataCopy(tileL1[(row + done) * C0], srcGm[flatRow * cols], nd);
        done += n;
    }
}

}  // namespace dsa
