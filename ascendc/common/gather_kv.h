// Index-selected key rows: compact one query row's sparse indices on the vector unit, walk the compacted list
// into tiles of key positions, and DMA the selected rows of a dense or paged cache into L1 (NZ) - one copy
// per contiguous run, no scalar copies.
//
// A sparse index i addresses the sparseBlockSize keys [i * s, i * s + s); the list ends at the first
// negative entry (or after K entries), entries whose block starts at or past `visible` (the causal
// threshold and the batch's kv length) are dropped and a block that straddles it is clipped. Duplicates are
// kept. An AIV compacts (IndexCompactor), the AIC and the AIVs walk the same GM list (CompactCursor), so
// they agree on every tile.
#pragma once

#include "common/layout.h"

namespace dsa {

// One contiguous run of selected key positions (within the batch): [pos, pos + count).
struct KeyRun {
    uint32_t pos = 0;
    uint32_t count = 0;
};

// One query row's index list, compacted on the vector unit (AIV): the entries the row attends to - those
// before the first negative one whose block starts before `visible` - in index order, and the key
// positions they address (blocks clipped at `visible`). Per chunk of <= CHUNK entries: DataCopyPad the
// int32 row into UB, Cast to fp32 (exact: |index| < 2^24 matters, larger ones are past any threshold),
// CompareScalar (< 0) + Select(iota, K) + ReduceMin give the first negative entry F, CompareScalar(iota < F)
// + Select(index, thr) + CompareScalar(< thr) with thr = ceil(visible / s) the kept entries' bit mask, and
// GatherMask (counter mode) compacts them. The one scalar read per chunk is F (and the position sum when
// s > 1); the list goes to GM as [header: entries, positions, 6 spare][entries...], which the AIC and the
// AIVs then walk with a CompactCursor. Pipes: MTE2, V, S (the reads), MTE3 (the list out).
// Where a paged cache's block table row is, for the compaction to turn positions into flat cache rows.
struct PagedRows {
    GlobalTensor<int32_t> table;  // the batch's block table row [blocks]
    uint32_t blocks = 0;          // 0: no translation (contiguous cache, or a row longer than one chunk)
    uint32_t blockSize = 0;
};

class IndexCompactor {
public:
    static constexpr uint32_t CHUNK = 2048;     // entries per pass (K may be larger: several passes)
    static constexpr uint32_t HEADER = 8;       // int32 words before the entries (32 bytes)
    static constexpr uint32_t MASK_BYTES = CHUNK / 8;
    // Scratch: raw int32, fp32 copy, iota, select result, ReduceMin work, 3 masks, the compacted chunk, min out.
    static constexpr uint32_t OUT_BYTES = HEADER * 4 + CHUNK * 4;  // header block + a chunk's entries
    static constexpr uint32_t SCRATCH_BYTES = 6 * CHUNK * 4 + OUT_BYTES + 3 * MASK_BYTES + BLOCK_BYTES;
    static constexpr int32_t FLAT_ROWS = 1;  // header word 2: the entries are flat cache rows (PagedRows)
    // GM bytes of one list for K entries.
    __aicore__ static inline uint64_t ListBytes(uint32_t entries)
    {
        return (uint64_t(HEADER) + (uint64_t(entries) + 7) / 8 * 8) * 4;
    }

    // scratch: SCRATCH_BYTES of UB, free while Compact runs (its previous vector users are done).
    __aicore__ inline void Init(const LocalTensor<uint8_t>& scratch)
    {
        raw_ = scratch.ReinterpretCast<int32_t>();
        val_ = scratch[CHUNK * 4].ReinterpretCast<float>();
        iota_ = scratch[2 * CHUNK * 4].ReinterpretCast<float>();
        sel_ = scratch[3 * CHUNK * 4].ReinterpretCast<float>();
        work_ = scratch[4 * CHUNK * 4].ReinterpretCast<float>();
        out_ = scratch[5 * CHUNK * 4].ReinterpretCast<int32_t>();  // header block + the chunk's entries
        negMask_ = scratch[5 * CHUNK * 4 + OUT_BYTES];
        prefMask_ = scratch[5 * CHUNK * 4 + OUT_BYTES + MASK_BYTES];
        keepMask_ = scratch[5 * CHUNK * 4 + OUT_BYTES + 2 * MASK_BYTES];
        minOut_ = scratch[5 * CHUNK * 4 + OUT_BYTES + 3 * MASK_BYTES].ReinterpretCast<float>();
        table_ = scratch[5 * CHUNK * 4 + OUT_BYTES + 3 * MASK_BYTES + BLOCK_BYTES].ReinterpretCast<int32_t>();
    }

    // The row's `entries` indices at indicesGm[offset..] -> listGm; returns the kept entries, `positions` the
    // key positions they address.
    __aicore__ inline uint32_t Compact(const GlobalTensor<int32_t>& indicesGm, uint64_t offset, uint32_t entries,
                                       uint32_t sparseBlockSize, uint32_t visible, const GlobalTensor<int32_t>& listGm,
                                       uint32_t& positions, const PagedRows& paged = PagedRows())
    {
        // sparse_block_size 1 over a paged cache whose table row fits a chunk: the list holds flat cache rows
        // (block_table[pos / blockSize] * blockSize + pos % blockSize, on the vector unit), so the walkers
        // issue each row's DMA without reading the block table.
        const bool flat = sparseBlockSize == 1 && paged.blocks != 0 && paged.blocks <= CHUNK && visible != 0;
        const float thr = float((uint64_t(visible) + sparseBlockSize - 1) / sparseBlockSize);
        uint32_t kept = 0;
        uint64_t pos = 0;
        SetFlag<HardEvent::V_MTE2>(EVENT_ID4);  // the scratch's earlier vector users are done
        WaitFlag<HardEvent::V_MTE2>(EVENT_ID4);
        SetFlag<HardEvent::V_S>(EVENT_ID4);     // (CreateVecIndex starts with scalar writes)
        WaitFlag<HardEvent::V_S>(EVENT_ID4);
        CreateVecIndex(iota_, 0.0f, (Min(CHUNK, entries) + 63) / 64 * 64);  // chunk-relative entry numbers
        if (flat) DataCopyPad(table_, paged.table, DataCopyExtParams(1, paged.blocks * 4, 0, 0, 0),
                              DataCopyPadExtParams<int32_t>(false, 0, 0, 0));
        for (uint32_t c0 = 0; visible != 0 && c0 < entries; c0 += CHUNK) {
            const uint32_t n = Min(CHUNK, entries - c0);
            const uint32_t npad = (n + 63) / 64 * 64;  // whole fp32 repeats; entries past n are masked by F <= n
            if (c0 != 0) {
                SetFlag<HardEvent::V_MTE2>(EVENT_ID4);
                WaitFlag<HardEvent::V_MTE2>(EVENT_ID4);
            }
            DataCopyPad(raw_, indicesGm[offset + c0], DataCopyExtParams(1, n * 4, 0, 0, 0),
                        DataCopyPadExtParams<int32_t>(false, 0, 0, 0));
            SetFlag<HardEvent::MTE2_V>(EVENT_ID4);
            WaitFlag<HardEvent::MTE2_V>(EVENT_ID4);
            Cast(val_, raw_, RoundMode::CAST_NONE, npad);
            PipeBarrier<PIPE_V>();
            CompareScalar(negMask_, val_, 0.0f, CMPMODE::LT, npad);
            PipeBarrier<PIPE_V>();
            Select(sel_, negMask_, iota_, float(n), SELMODE::VSEL_TENSOR_SCALAR_MODE, npad);
            PipeBarrier<PIPE_V>();
            ReduceMin(minOut_, sel_, work_, int32_t(npad));
            SetFlag<HardEvent::V_S>(EVENT_ID4);
            WaitFlag<HardEvent::V_S>(EVENT_ID4);
            const float first = minOut_.GetValue(0);  // the chunk's first negative entry, n if none
            SetFlag<HardEvent::S_V>(EVENT_ID4);
            WaitFlag<HardEvent::S_V>(EVENT_ID4);
            CompareScalar(prefMask_, iota_, first, CMPMODE::LT, npad);
            PipeBarrier<PIPE_V>();
            Select(sel_, prefMask_, val_, thr, SELMODE::VSEL_TENSOR_SCALAR_MODE, npad);
            PipeBarrier<PIPE_V>();
            CompareScalar(keepMask_, sel_, thr, CMPMODE::LT, npad);
            PipeBarrier<PIPE_V>();
            uint64_t got = 0;
            if (c0 != 0) {  // out_ was sent by the previous chunk's copy
                SetFlag<HardEvent::MTE3_V>(EVENT_ID4);
                WaitFlag<HardEvent::MTE3_V>(EVENT_ID4);
            }
            GatherMask(out_[HEADER], raw_, keepMask_.ReinterpretCast<uint32_t>(), true, npad, GatherMaskParams(1, 1, 8, 0),
                       got);
            if (flat && got != 0) {
                // slot = (block_table[blk] - blk) * blockSize + pos with blk = floor(pos / blockSize): fp32 division
                // of integers < 2^24 by blockSize <= 1024 rounds correctly, so the floor is exact
                const int32_t n = int32_t(got);
                const LocalTensor<int32_t> pos = out_[HEADER];
                const LocalTensor<int32_t> blk = raw_, ids = work_.ReinterpretCast<int32_t>();
                Cast(val_, pos, RoundMode::CAST_NONE, n);
                Duplicate(sel_, float(paged.blockSize), n);
                PipeBarrier<PIPE_V>();
                Div(val_, val_, sel_, n);
                PipeBarrier<PIPE_V>();
                Cast(blk, val_, RoundMode::CAST_FLOOR, n);
                PipeBarrier<PIPE_V>();
                Muls(sel_.ReinterpretCast<int32_t>(), blk, int32_t(4), n);  // byte offsets into the table row
                PipeBarrier<PIPE_V>();
                Gather(ids, table_, sel_.ReinterpretCast<uint32_t>(), 0u, uint32_t(n));
                PipeBarrier<PIPE_V>();
                Sub(ids, ids, blk, n);
                PipeBarrier<PIPE_V>();
                Muls(ids, ids, int32_t(paged.blockSize), n);
                PipeBarrier<PIPE_V>();
                Add(pos, pos, ids, n);
                PipeBarrier<PIPE_V>();
            }
            if (sparseBlockSize > 1 && got != 0) {
                // positions of kept entries: min(s, visible - e * s); the others 0
                Muls(sel_, val_, -float(sparseBlockSize), npad);
                PipeBarrier<PIPE_V>();
                Adds(sel_, sel_, float(visible), npad);
                PipeBarrier<PIPE_V>();
                Mins(sel_, sel_, float(sparseBlockSize), npad);
                PipeBarrier<PIPE_V>();
                Select(sel_, keepMask_, sel_, 0.0f, SELMODE::VSEL_TENSOR_SCALAR_MODE, npad);
                PipeBarrier<PIPE_V>();
                ReduceSum(minOut_, sel_, work_, int32_t(npad));
                SetFlag<HardEvent::V_S>(EVENT_ID4);
                WaitFlag<HardEvent::V_S>(EVENT_ID4);
                pos += uint64_t(minOut_.GetValue(0));
                SetFlag<HardEvent::S_V>(EVENT_ID4);
                WaitFlag<HardEvent::S_V>(EVENT_ID4);
            } else {
                pos += got;
            }
            if (got != 0) {
                SetFlag<HardEvent::V_MTE3>(EVENT_ID4);
                WaitFlag<HardEvent::V_MTE3>(EVENT_ID4);
                DataCopyPad(listGm[HEADER + kept], out_[HEADER], DataCopyExtParams(1, uint32_t(got) * 4, 0, 0, 0));
            }
            kept += uint32_t(got);
            if (first < float(n)) break;  // the list ended in this chunk
        }
        // header: entries, positions
        SetFlag<HardEvent::MTE3_S>(EVENT_ID4);
        WaitFlag<HardEvent::MTE3_S>(EVENT_ID4);
        out_.SetValue(0, int32_t(kept));
        out_.SetValue(1, int32_t(pos));
        out_.SetValue(2, flat ? FLAT_ROWS : 0);
        SetFlag<HardEvent::S_MTE3>(EVENT_ID4);
        WaitFlag<HardEvent::S_MTE3>(EVENT_ID4);
        DataCopyPad(listGm, out_, DataCopyExtParams(1, 3 * 4, 0, 0, 0));
        SetFlag<HardEvent::MTE3_S>(EVENT_ID4);  // the list is in GM before anyone reads it
        WaitFlag<HardEvent::MTE3_S>(EVENT_ID4);
        SetFlag<HardEvent::MTE3_V>(EVENT_ID4);  // the scratch's next vector user waits for the header copy
        WaitFlag<HardEvent::MTE3_V>(EVENT_ID4);
        SetFlag<HardEvent::S_V>(EVENT_ID4);     // ... and for the header's scalar writes
        WaitFlag<HardEvent::S_V>(EVENT_ID4);
        positions = uint32_t(pos);
        return kept;
    }

private:
    LocalTensor<int32_t> raw_, out_, table_;
    LocalTensor<float> val_, iota_, sel_, work_, minOut_;
    LocalTensor<uint8_t> negMask_, prefMask_, keepMask_;
};

// Walk of a compacted index list (IndexCompactor's GM list) into tiles of key positions: one scalar read per
// entry it visits (the DMA descriptor's source), the block clipped at `visible`. With sparse_block_size 1
// a tile is KEY_TILE consecutive entries, so SkipTile moves past another part's tile without reading.
class CompactCursor {
public:
    __aicore__ inline void Init(const GlobalTensor<int32_t>& listGm, uint32_t sparseBlockSize, uint32_t visible)
    {
        list_ = listGm;
        entries_ = uint32_t(listGm.GetValue(0));
        positions_ = uint32_t(listGm.GetValue(1));
        flat_ = listGm.GetValue(2) == IndexCompactor::FLAT_ROWS;
        blockSize_ = sparseBlockSize;
        visible_ = visible;
        entry_ = 0;
        inBlock_ = 0;
    }
    __aicore__ inline uint32_t Positions() const { return positions_; }
    // The list holds flat cache rows (a run's pos is its first flat row, count 1) instead of key positions.
    __aicore__ inline bool FlatRows() const { return flat_; }

    __aicore__ inline bool NextRun(uint32_t room, KeyRun& run)
    {
        if (entry_ >= entries_) return false;
        if (flat_) {
            run.pos = uint32_t(list_.GetValue(IndexCompactor::HEADER + entry_++));
            run.count = 1;
            return true;
        }
        const uint32_t start = uint32_t(list_.GetValue(IndexCompactor::HEADER + entry_)) * blockSize_;
        const uint32_t len = Min(blockSize_, visible_ - start);
        run.pos = start + inBlock_;
        run.count = Min(len - inBlock_, room);
        inBlock_ += run.count;
        if (inBlock_ == len) {
            ++entry_;
            inBlock_ = 0;
        }
        return true;
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

    // The next tile of `tile` positions, visiting only its rows [lo, hi) (with sparse_block_size 1 the
    // other rows' entries are not read); returns the tile's positions.
    template <class Visit>
    __aicore__ inline uint32_t VisitTileRows(uint32_t tile, uint32_t lo, uint32_t hi, Visit&& visit)
    {
        if (blockSize_ != 1) return NextTile(tile, visit);
        const uint32_t first = Min(entry_, entries_);
        const uint32_t n = Min(tile, entries_ - first);
        KeyRun run;
        entry_ = first + Min(lo, n);
        for (uint32_t row = Min(lo, n); row < Min(hi, n);) {
            NextRun(Min(hi, n) - row, run);
            visit(run, row);
            row += run.count;
        }
        entry_ = first + n;
        return n;
    }

    // Past the next tile of `tile` positions without visiting it; returns its positions.
    __aicore__ inline uint32_t SkipTile(uint32_t tile)
    {
        if (blockSize_ != 1) return NextTile(tile, [](const KeyRun&, uint32_t) {});
        const uint32_t n = Min(tile, entries_ - Min(entry_, entries_));
        entry_ += n;
        return n;
    }

private:
    GlobalTensor<int32_t> list_;
    uint32_t entries_ = 0, positions_ = 0, blockSize_ = 1, visible_ = 0, entry_ = 0, inBlock_ = 0;
    bool flat_ = false;
};

// Rows [pos, pos + count) of batch b's key-like tensor ([rows, cols] per token, one head) into an NZ
// tile of L1 whose 16-element column bands are `bandStride` rows apart, starting at tile row `row`.
// Paged caches break a run at block ends (KeyRows::Run). Scratch: none. Pipe: MTE2.
template <class T>
__aicore__ inline void GatherRowsNz(const LocalTensor<T>& tileL1, const GlobalTensor<T>& srcGm, uint32_t cols,
                                    uint32_t bandStride, const KeyRows& keys, uint32_t batch, uint64_t batchStart,
                                    const KeyRun& run, uint32_t row, bool flatRows = false)
{
    constexpr uint32_t C0 = BLOCK_BYTES / sizeof(T);
    if (flatRows) {  // run.pos is already the flat cache row (CompactCursor::FlatRows)
        DataCopy(tileL1[row * C0], srcGm[uint64_t(run.pos) * cols], Nd2NzParams(1, run.count, cols, 0, cols, bandStride, 1, 0));
        return;
    }
    for (uint32_t done = 0; done < run.count;) {
        uint64_t flatRow = 0;
        const uint32_t n = keys.Run(batch, batchStart, run.pos + done, run.count - done, flatRow);
        Nd2NzParams nd(1, n, cols, 0, cols, bandStride, 1, 0);
        DataCopy(tileL1[(row + done) * C0], srcGm[flatRow * cols], nd);
        done += n;
    }
}

}  // namespace dsa
