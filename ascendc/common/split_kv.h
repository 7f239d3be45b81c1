// Per-core work ranges over (batch, query-row group) units whose key ranges are cut into tiles.
// Every core walks the same unit sequence from the actual lengths (read at run time), so the AIC and
// its AIVs agree on the tile order without exchanging anything, and a unit whose tiles straddle two
// cores' ranges is "split": each part keeps a partial top-k, merged after a barrier by the first part's core.
#pragma once

#include "common/layout.h"

namespace dsa {

struct WorkUnit {
    uint32_t batch = 0;
    uint32_t row0 = 0;       // first query row (within the batch) of the group
    uint32_t rows = 0;       // rows in the group (<= groupRows)
    uint32_t qLen = 0;       // valid query rows of the batch
    uint32_t kLen = 0;       // valid keys of the batch
    uint64_t qFlat = 0;      // flat query row of row0
    uint64_t kStart = 0;     // flat key row of the batch's key 0 (contiguous layouts)
    uint32_t visMax = 0;     // keys the group's last row sees (the group's widest row)
    uint32_t tiles = 0;      // key tiles covering visMax
    uint64_t tileBegin = 0;  // global index of the unit's first tile
};

class UnitWalker {
public:
    __aicore__ inline void Init(const QueryRows* q, const KeyRows* k, uint32_t batch, uint32_t groupRows,
                                uint32_t keyTile, uint32_t sparseMode)
    {
        q_ = q;
        k_ = k;
        batch_ = batch;
        groupRows_ = groupRows;
        keyTile_ = keyTile;
        sparseMode_ = sparseMode;
        Reset();
    }
    __aicore__ inline void Reset()
    {
        b_ = 0;
        nextRow_ = 0;
        tiles_ = 0;
        batchLoaded_ = false;
    }
    // Next unit in (batch, group) order; batches without query rows yield nothing.
    __aicore__ inline bool Next(WorkUnit& u)
    {
        while (b_ < batch_) {
            if (!batchLoaded_) {
                qLen_ = q_->Length(b_);
                kLen_ = k_->Length(b_);
                qStart_ = q_->Start(b_);
                kStart_ = k_->Layout() == SeqLayout::PA_BSND ? 0 : k_->Start(b_);
                batchLoaded_ = true;
            }
            if (nextRow_ < qLen_) {
                u.batch = b_;
                u.row0 = nextRow_;
                u.rows = Min(groupRows_, qLen_ - nextRow_);
                u.qLen = qLen_;
                u.kLen = kLen_;
                u.qFlat = qStart_ + nextRow_;
                u.kStart = kStart_;
                u.visMax = VisibleKeys(qLen_, kLen_, u.row0 + u.rows - 1, sparseMode_);
                u.tiles = CeilDiv(u.visMax, keyTile_);
                u.tileBegin = tiles_;
                tiles_ += u.tiles;
                nextRow_ += u.rows;
                return true;
            }
            ++b_;
            nextRow_ = 0;
            batchLoaded_ = false;
        }
        return false;
    }
    __aicore__ inline uint32_t Batch() const { return batch_; }

private:
    const QueryRows* q_ = nullptr;
    const KeyRows* k_ = nullptr;
    uint32_t batch_ = 0, groupRows_ = 0, keyTile_ = 0, sparseMode_ = 0;
    uint32_t b_ = 0, nextRow_ = 0, qLen_ = 0, kLen_ = 0;
    uint64_t qStart_ = 0, kStart_ = 0, tiles_ = 0;
    bool batchLoaded_ = false;
};

// Contiguous global tile ranges per core: [core * quota, (core + 1) * quota), quota >= minPartTiles.
class TileSplit {
public:
    __aicore__ inline void Init(uint64_t totalTiles, uint32_t coreNum, uint32_t minPartTiles)
    {
        total_ = totalTiles;
        quota_ = Max<uint64_t>(CeilDiv<uint64_t>(totalTiles, coreNum), minPartTiles);
    }
    __aicore__ inline uint64_t Lo(uint32_t core) const { return Min<uint64_t>(total_, uint64_t(core) * quota_); }
    __aicore__ inline uint64_t Hi(uint32_t core) const { return Min<uint64_t>(total_, uint64_t(core + 1) * quota_); }
    __aicore__ inline uint32_t CoreOf(uint64_t tile) const { return uint32_t(tile / quota_); }
    // The unit's part on `core`: local tiles [first, last); false when the core holds none of it.
    __aicore__ inline bool Part(const WorkUnit& u, uint32_t core, uint32_t& first, uint32_t& last) const
    {
        uint64_t lo = Lo(core), hi = Hi(core);
        uint64_t b = u.tileBegin, e = u.tileBegin + u.tiles;
        if (u.tiles == 0 || e <= lo || b >= hi) return false;
        first = uint32_t(Max(b, lo) - b);
        last = uint32_t(Min(e, hi) - b);
        return true;
    }
    __aicore__ inline bool IsSplit(const WorkUnit& u) const
    {
        return u.tiles > 0 && CoreOf(u.tileBegin) != CoreOf(u.tileBegin + u.tiles - 1);
    }
    __aicore__ inline uint32_t FirstCore(const WorkUnit& u) const { return CoreOf(u.tileBegin); }
    __aicore__ inline uint32_t LastCore(const WorkUnit& u) const { return CoreOf(u.tileBegin + u.tiles - 1); }
    // Partial-result slot of a split unit on `core`: 0 if it is the core's first unit, else 1 (its last).
    __aicore__ inline uint32_t PartialSlot(const WorkUnit& u, uint32_t core) const
    {
        return u.tileBegin <= Lo(core) ? 0u : 1u;
    }

private:
    uint64_t total_ = 0;
    uint64_t quota_ = 1;
};

}  // namespace dsa
