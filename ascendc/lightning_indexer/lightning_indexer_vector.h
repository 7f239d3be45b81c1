// AIV role of the indexer (stage V1): per query row it owns, the weighted head-sum of a score tile,
// the key dequant scale (int8), the visibility mask, and the running top-k (topk.h); at the end of a
// part it writes the row's indices (unsplit unit) or its partial list (split unit), and after the
// barrier it merges the partial lists of the split units its core starts (V2).
//
// UB plan (bytes; ROWS = 2 query rows per AIV: rows sub, sub + 2 of a 4-row group):
//   inQue      2 x one row's slot: 64 heads x 128 keys fp32 (bf16/fp16)    64 KB
//              or 128 keys fp32 (int8: the cube summed the heads)          1 KB
//   listPool   80 KB | 84 KB: main phase 3 lists of (k + MERGE_BLOCKS * 512) pairs (2 running + 1 merge
//              target, rotated); merge phase: two 2k-pair lists and one k-pair list (the same bytes)
//   pending    int8 only (MERGE_BLOCKS = 3): ROWS x 3 sorted 512-pair blocks awaiting one 4-way merge  24 KB
//   block      ROWS x 512 fp32 raw scores of the current sort block       4 KB
//   ramp, blockIndex  512 int32 each                                      4 KB
//   sortA, sortB  2048 x 4 B each: Sort32/MrgSort scratch (512 pairs), then Extract values / indices  16 KB
//   weights    raw (ROWS x 64 WeightT), int8 q-scale raw, fp32, tmp, broadcast ROWS x 64 x 8 fp32   ~6 KB
//   weightRow  int8 only: ROWS rows of W~ (256 fp16 each) on their way to GM    1 KB
//   keyScale   int8 only: 128 fp16 raw + 128 fp32                     768 B
#pragma once

#include "lightning_indexer_common.h"

namespace dsa {

template <class P>
class IndexerVector {
    using WeightT = typename P::WeightT;
    static constexpr bool MATDUCE = P::CUBE_HEAD_SUM;
    static constexpr uint32_t HEADS = IndexerPlan::HEADS;
    static constexpr uint32_t TILE = IndexerPlan::KEY_TILE;
    static constexpr uint32_t ROWS = IndexerPlan::GROUP_ROWS / 2;
    static constexpr uint32_t BLOCK = IndexerPlan::SORT_BLOCK;
    static constexpr uint32_t KMAX = IndexerPlan::MAX_SPARSE;
    static constexpr uint32_t IN_BYTES = (MATDUCE ? 1 : HEADS) * TILE * sizeof(float);
    static constexpr uint32_t QUERY_ROWS_MAX = IndexerPlan::GROUP_ROWS * HEADS;
    static constexpr uint32_t W_ROW_BYTES = MATDUCE ? ROWS * QUERY_ROWS_MAX * sizeof(half) : 0;
    static constexpr uint32_t MERGE_BLOCKS = P::MERGE_BLOCKS;
    static_assert(MERGE_BLOCKS >= 1 && MERGE_BLOCKS <= 3, "MrgSort merges at most 4 runs: the list and 3 blocks");
    static constexpr uint32_t LIST_BYTES = (KMAX + MERGE_BLOCKS * BLOCK) * 8;  // main-phase list slot
    static constexpr uint32_t V2_POOL_BYTES = 2 * (2 * KMAX * 8) + KMAX * 8;  // merge phase: 2 x 2k + k pairs
    static constexpr uint32_t POOL_BYTES = Max(3 * LIST_BYTES, V2_POOL_BYTES);
    // Sorted blocks waiting for their merge (one block: sortA itself, merged at once).
    static constexpr uint32_t PENDING_BYTES = MERGE_BLOCKS > 1 ? ROWS * MERGE_BLOCKS * BLOCK * 8 : 0;
    static constexpr uint32_t BLOCK_BYTES_ROWS = ROWS * BLOCK * sizeof(float);
    static constexpr uint32_t SORT_BYTES = KMAX * sizeof(float);
    static constexpr uint32_t W_RAW_BYTES = Align<uint32_t>(ROWS * HEADS * sizeof(WeightT), REPEAT_BYTES);
    static constexpr uint32_t W_F_BYTES = ROWS * HEADS * sizeof(float);
    static constexpr uint32_t W_B_BYTES = ROWS * HEADS * 8 * sizeof(float);
    static constexpr uint32_t KS_RAW_BYTES = P::QUANT ? TILE * sizeof(half) : 0;
    static constexpr uint32_t KS_F_BYTES = P::QUANT ? TILE * sizeof(float) : 0;
    static_assert(3 * LIST_BYTES <= POOL_BYTES, "main-phase lists exceed the pool");
    static_assert(BLOCK * 8 <= SORT_BYTES, "sort scratch must hold a block of pairs");
    static_assert(2 * IN_BYTES + W_ROW_BYTES + POOL_BYTES + PENDING_BYTES + BLOCK_BYTES_ROWS + 2 * BLOCK * 4 + 2 * SORT_BYTES +
                          2 * W_RAW_BYTES + 2 * W_F_BYTES + W_B_BYTES + KS_RAW_BYTES + KS_F_BYTES <=
                      UB_USABLE_BYTES,
                  "UB plan exceeds 184 KB");

public:
    __aicore__ inline void InitParams(const IndexerParams& p, const IndexerGm& gm, const KeyRows* keys, uint32_t core,
                                      uint32_t sub)
    {
        p_ = p;
        keys_ = keys;
        core_ = core;
        sub_ = sub;
        weightsGm_.SetGlobalBuffer(reinterpret_cast<__gm__ WeightT*>(gm.weights));
        if constexpr (P::QUANT) {
            queryScaleGm_.SetGlobalBuffer(reinterpret_cast<__gm__ half*>(gm.queryScale));
            keyScaleGm_.SetGlobalBuffer(reinterpret_cast<__gm__ half*>(gm.keyScale));
        }
        outGm_.SetGlobalBuffer(reinterpret_cast<__gm__ int32_t*>(gm.sparseIndices));
        GM_ADDR coreWs = gm.workspace + uint64_t(core) * p.coreWorkspaceBytes;
        scoreGm_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(coreWs),
                                 IndexerPlan::SCORE_SLOTS * p.scoreSlotBytes / sizeof(float));
        if constexpr (MATDUCE)
            weightSlotGm_.SetGlobalBuffer(reinterpret_cast<__gm__ half*>(coreWs + WeightSlotOffset(p)),
                                          p.weightSlotBytes / sizeof(half));
        partialGm_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(gm.workspace),
                                   uint64_t(p.usedCoreNum) * p.coreWorkspaceBytes / sizeof(float));
    }

    __aicore__ inline void InitBuffers(TPipe* pipe)
    {
        pipe->InitBuffer(inQue_, 2, IN_BYTES);
        if constexpr (P::QUANT) {
            pipe->InitBuffer(keyScaleRawBuf_, KS_RAW_BYTES);
            pipe->InitBuffer(keyScaleBuf_, KS_F_BYTES);
            keyScaleRaw_ = keyScaleRawBuf_.Get<half>();
            keyScale_ = keyScaleBuf_.Get<float>();
        }
        if constexpr (MATDUCE) {
            pipe->InitBuffer(weightRowBuf_, W_ROW_BYTES);
            weightRow_ = weightRowBuf_.Get<half>();
        }
        pipe->InitBuffer(poolBuf_, POOL_BYTES);
        if constexpr (MERGE_BLOCKS > 1) {
            pipe->InitBuffer(pendingBuf_, PENDING_BYTES);
            pending_ = pendingBuf_.Get<float>();
        }
        pipe->InitBuffer(blockBuf_, BLOCK_BYTES_ROWS);
        pipe->InitBuffer(rampBuf_, BLOCK * sizeof(int32_t));
        pipe->InitBuffer(blockIndexBuf_, BLOCK * sizeof(int32_t));
        pipe->InitBuffer(sortABuf_, SORT_BYTES);
        pipe->InitBuffer(sortBBuf_, SORT_BYTES);
        pipe->InitBuffer(weightRawBuf_, W_RAW_BYTES);
        pipe->InitBuffer(queryScaleRawBuf_, W_RAW_BYTES);
        pipe->InitBuffer(weightBuf_, W_F_BYTES);
        pipe->InitBuffer(weightTmpBuf_, W_F_BYTES);
        pipe->InitBuffer(weightBrcbBuf_, W_B_BYTES);
        pool_ = poolBuf_.Get<float>();
        block_ = blockBuf_.Get<float>();
        ramp_ = rampBuf_.Get<int32_t>();
        blockIndex_ = blockIndexBuf_.Get<int32_t>();
        sortA_ = sortABuf_.Get<float>();
        sortB_ = sortBBuf_.Get<float>();
        weightRaw_ = weightRawBuf_.Get<WeightT>();
        queryScaleRaw_ = queryScaleRawBuf_.Get<half>();
        weight_ = weightBuf_.Get<float>();
        weightTmp_ = weightTmpBuf_.Get<float>();
        weightBrcb_ = weightBrcbBuf_.Get<float>();
        MakeRamp(ramp_, BLOCK);
    }

    // Start this core's part of unit u (its tiles from `firstTile`): weights of the owned rows, empty lists.
    __aicore__ inline void BeginPart(const WorkUnit& u)
    {
        unit_ = u;
        owned_ = 0;
        for (uint32_t g = sub_; g < u.rows; g += 2) {
            vis_[owned_] = VisibleKeys(u.qLen, u.kLen, u.row0 + g, p_.sparseMode);
            row_[owned_] = g;
            ++owned_;
        }
        listOf_[0] = 0;
        listOf_[1] = 1;
        spare_ = 2;
        if (owned_ == 0) return;
        SetFlag<HardEvent::V_MTE2>(EVENT_ID0);  // the previous unit's weights were read by the vector
        WaitFlag<HardEvent::V_MTE2>(EVENT_ID0);
        for (uint32_t j = 0; j < owned_; ++j) {
            const uint64_t row = u.qFlat + row_[j];
            DataCopy(weightRaw_[j * HEADS], weightsGm_[row * HEADS], HEADS);
            if constexpr (P::QUANT) DataCopy(queryScaleRaw_[j * HEADS], queryScaleGm_[row * HEADS], HEADS);
        }
        SetFlag<HardEvent::MTE2_V>(EVENT_ID0);
        WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
        const uint32_t n = owned_ * HEADS;
        Cast(weight_, weightRaw_, RoundMode::CAST_NONE, n);
        if constexpr (P::QUANT) {
            // w~ = fp16(w * q_scale) (OPS.md section 2): the fp32 product of two fp16 is exact, one rounding.
            Cast(weightTmp_, queryScaleRaw_, RoundMode::CAST_NONE, n);
            PipeBarrier<PIPE_V>();
            Mul(weight_, weight_, weightTmp_, int32_t(n));
            PipeBarrier<PIPE_V>();
            LocalTensor<half> rounded = weightTmp_.template ReinterpretCast<half>();
            Cast(rounded, weight_, RoundMode::CAST_RINT, n);
            PipeBarrier<PIPE_V>();
            Cast(weight_, rounded, RoundMode::CAST_NONE, n);
        }
        PipeBarrier<PIPE_V>();
        if constexpr (MATDUCE) {
            WriteWeightRows(u);
        } else {
            // One 32 B block per head holding its weight 8 times: the src1 of the per-head Mul.
            Brcb(weightBrcb_, weight_, uint8_t(n / 8), BrcbRepeatParams(1, 8));
        }
        // A list starts as one (-inf, -) pair and grows by a sort block per merge up to k pairs, so early
        // merges move only what they hold; EndPart pads the rest.
        for (uint32_t j = 0; j < owned_; ++j) {
            FillRange(List(j), 0, PAIR_FLOATS, -INFINITY_F);
            filled_[j] = 1;
            pendingCount_[j] = 0;
        }
        PipeBarrier<PIPE_V>();
    }

    // One tile (the scheduler has waited for its slot): scores of the owned rows into the sort block.
    __aicore__ inline void ProcessTile(const TileRun& run)
    {
        const uint32_t seg = run.tileInPart % IndexerPlan::SORT_TILES;
        if constexpr (P::QUANT) {
            if (owned_ > 0) LoadKeyScale(run);
        }
        uint32_t cols[ROWS] = {};
        // Both rows' slot reads are issued before either is computed (the queue holds 2 buffers).
        for (uint32_t j = 0; j < owned_; ++j) {
            cols[j] = vis_[j] > run.keyStart ? Min(TILE, vis_[j] - run.keyStart) : 0u;
            if (cols[j] > 0) LoadScores(run.slot, row_[j]);
        }
        for (uint32_t j = 0; j < owned_; ++j) {
            LocalTensor<float> dst = block_[j * BLOCK + seg * TILE];
            if (cols[j] > 0) HeadSum(dst, j);
            FillRange(dst, cols[j], TILE, -INFINITY_F);  // keys the row cannot see (and a short tile's tail)
            PipeBarrier<PIPE_V>();
        }
        if (seg == IndexerPlan::SORT_TILES - 1 || run.lastOfPart) FlushBlock(run, seg + 1);
    }

    // End of this core's part: the final indices of an unsplit unit, or the partial lists of a split one.
    __aicore__ inline void EndPart(bool split, uint32_t partialSlot)
    {
        for (uint32_t j = 0; j < owned_; ++j) {
            MergePending(j);
            FillRange(List(j), filled_[j] * PAIR_FLOATS, p_.sparseAlloc * PAIR_FLOATS, -INFINITY_F);
            PipeBarrier<PIPE_V>();
            if (split) {
                WritePartial(List(j), core_, partialSlot, row_[j]);
            } else {
                WriteRow(List(j), unit_.qFlat + row_[j], Min(vis_[j], p_.sparseCount));
            }
        }
    }

    // After the barrier: merge the partial lists of split unit u (parts on cores [first, last]).
    __aicore__ inline void MergeUnit(const WorkUnit& u, const TileSplit& split)
    {
        const uint32_t k = p_.sparseCount;
        const uint32_t first = split.FirstCore(u), last = split.LastCore(u);
        LocalTensor<float> merged[2] = {pool_, pool_[2 * KMAX * PAIR_FLOATS]};
        LocalTensor<float> incoming = pool_[4 * KMAX * PAIR_FLOATS];
        for (uint32_t g = sub_; g < u.rows; g += 2) {
            uint32_t cur = 0;
            for (uint32_t c = first; c <= last; ++c) {
                LocalTensor<float> dst = c == first ? merged[cur] : incoming;
                SetFlag<HardEvent::V_MTE2>(EVENT_ID0);
                WaitFlag<HardEvent::V_MTE2>(EVENT_ID0);
                DataCopy(dst, partialGm_[PartialOffset(c, split.PartialSlot(u, c), g)], p_.sparseAlloc * PAIR_FLOATS);
                SetFlag<HardEvent::MTE2_V>(EVENT_ID0);
                WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
                if (c == first) continue;
                // Earlier parts hold smaller key indices: as list 1 they win ties.
                MergeSorted(merged[cur ^ 1], merged[cur], k, incoming, k);
                cur ^= 1;
            }
            const uint32_t vis = VisibleKeys(u.qLen, u.kLen, u.row0 + g, p_.sparseMode);
            WriteRow(merged[cur], u.qFlat + g, Min(vis, k));
        }
    }

    // Rows no unit writes (BSND padding rows, groups that see no key): all -1.
    __aicore__ inline void FillRows(uint64_t flatRow, uint32_t count)
    {
        LocalTensor<int32_t> minusOne = sortB_.template ReinterpretCast<int32_t>();
        Duplicate(minusOne, int32_t(-1), int32_t(p_.sparseAlloc));
        SetFlag<HardEvent::V_MTE3>(EVENT_ID0);
        WaitFlag<HardEvent::V_MTE3>(EVENT_ID0);
        for (uint32_t r = 0; r < count; ++r)
            DataCopyPad(outGm_[(flatRow + r) * p_.sparseCount], minusOne,
                        DataCopyExtParams(1, p_.sparseCount * sizeof(int32_t), 0, 0, 0));
        SetFlag<HardEvent::MTE3_V>(EVENT_ID0);
        WaitFlag<HardEvent::MTE3_V>(EVENT_ID0);
    }

private:
    static constexpr float INFINITY_F = __builtin_huge_valf();

    __aicore__ inline LocalTensor<float> List(uint32_t j) { return pool_[listOf_[j] * (LIST_BYTES / sizeof(float))]; }

    // fp16 key dequant scales of the tile's keys (paged keys: one copy per block run), as fp32.
    __aicore__ inline void LoadKeyScale(const TileRun& run)
    {
        SetFlag<HardEvent::V_MTE2>(EVENT_ID1);
        WaitFlag<HardEvent::V_MTE2>(EVENT_ID1);
        for (uint32_t done = 0; done < run.keys;) {
            uint64_t flatRow = 0;
            uint32_t n = keys_->Run(run.unit.batch, run.unit.kStart, run.keyStart + done, run.keys - done, flatRow);
            DataCopyPad(keyScaleRaw_[done], keyScaleGm_[flatRow], DataCopyExtParams(1, n * sizeof(half), 0, 0, 0),
                        DataCopyPadExtParams<half>(false, 0, 0, half(0)));
            done += n;
        }
        SetFlag<HardEvent::MTE2_V>(EVENT_ID1);
        WaitFlag<HardEvent::MTE2_V>(EVENT_ID1);
        Cast(keyScale_, keyScaleRaw_, RoundMode::CAST_NONE, TILE);  // columns past run.keys are masked later
        PipeBarrier<PIPE_V>();
    }

    // Mat-Duce: row g of W~ ([rows, rows*64] fp16, zero outside the row's own 64 heads) to GM for the cube.
    __aicore__ inline void WriteWeightRows(const WorkUnit& u)
    {
        const uint32_t width = u.rows * HEADS;
        for (uint32_t j = 0; j < owned_; ++j) {
            LocalTensor<half> rowUb = weightRow_[j * QUERY_ROWS_MAX];
            Duplicate(rowUb, half(0.0f), int32_t(width));
            PipeBarrier<PIPE_V>();
            Cast(rowUb[row_[j] * HEADS], weight_[j * HEADS], RoundMode::CAST_RINT, HEADS);  // exact: w~ is fp16
        }
        SetFlag<HardEvent::V_MTE3>(EVENT_ID1);
        WaitFlag<HardEvent::V_MTE3>(EVENT_ID1);
        for (uint32_t j = 0; j < owned_; ++j)
            DataCopy(weightSlotGm_[uint64_t(row_[j]) * width], weightRow_[j * QUERY_ROWS_MAX], width);
        SetFlag<HardEvent::MTE3_V>(EVENT_ID1);
        WaitFlag<HardEvent::MTE3_V>(EVENT_ID1);
    }

    // Row g of score slot `slot` (64 x TILE fp32, or TILE fp32 with Mat-Duce) GM -> inQue.
    __aicore__ inline void LoadScores(uint32_t slot, uint32_t g)
    {
        const uint64_t slotElems = p_.scoreSlotBytes / sizeof(float);
        constexpr uint32_t rowElems = IN_BYTES / sizeof(float);
        LocalTensor<float> in = inQue_.template AllocTensor<float>();
        DataCopy(in, scoreGm_[slot * slotElems + uint64_t(g) * rowElems], rowElems);
        inQue_.EnQue(in);
    }

    // dst[0, TILE) = sum_h w[h] * score[h, :] of the next queued row (owned row j); with Mat-Duce the cube
    // did the sum and only the key dequant scale is applied.
    __aicore__ inline void HeadSum(const LocalTensor<float>& dst, uint32_t j)
    {
        LocalTensor<float> work = inQue_.template DeQue<float>();
        if constexpr (MATDUCE) {
            Mul(dst, work, keyScale_, int32_t(TILE));
            PipeBarrier<PIPE_V>();
            inQue_.FreeTensor(work);
            return;
        }
        // score[h, :] *= w[h]: one repeat of 64 columns per head, the weight block broadcast (src1 stride 0).
        constexpr uint8_t rowBlocks = TILE * sizeof(float) / BLOCK_BYTES;
        for (uint32_t c = 0; c < TILE; c += 64)
            Mul(work[c], work[c], weightBrcb_[j * HEADS * 8], uint64_t(64), uint8_t(HEADS),
                BinaryRepeatParams(1, 1, 0, rowBlocks, rowBlocks, 1));
        PipeBarrier<PIPE_V>();
        for (uint32_t h = HEADS / 2; h >= 2; h /= 2) {
            Add(work, work, work[h * TILE], int32_t(h * TILE));
            PipeBarrier<PIPE_V>();
        }
        Add(dst, work, work[TILE], int32_t(TILE));
        PipeBarrier<PIPE_V>();
        inQue_.FreeTensor(work);
    }

    // Sort the block (tiles [0, segs) filled) of every owned row that sees a key in it; merge into its list.
    __aicore__ inline void FlushBlock(const TileRun& run, uint32_t segs)
    {
        const uint32_t base = run.partKeyStart + (run.tileInPart / IndexerPlan::SORT_TILES) * BLOCK;
        Adds(blockIndex_, ramp_, int32_t(base), int32_t(BLOCK));
        PipeBarrier<PIPE_V>();
        for (uint32_t j = 0; j < owned_; ++j) {
            if (vis_[j] <= base) continue;  // the row sees nothing in this block
            LocalTensor<float> scores = block_[j * BLOCK];
            FillRange(scores, segs * TILE, BLOCK, -INFINITY_F);
            PipeBarrier<PIPE_V>();
            SortBlock512(Pending(j, pendingCount_[j]), sortB_, scores, blockIndex_.template ReinterpretCast<uint32_t>());
            if (++pendingCount_[j] == MERGE_BLOCKS) MergePending(j);
        }
    }

    __aicore__ inline LocalTensor<float> Pending(uint32_t j, uint32_t b)
    {
        if constexpr (MERGE_BLOCKS > 1) return pending_[(j * MERGE_BLOCKS + b) * BLOCK * PAIR_FLOATS];
        return sortA_;
    }

    // Merge the row's sorted pending blocks into its running list (one MrgSort of up to 4 runs).
    __aicore__ inline void MergePending(uint32_t j)
    {
        const uint32_t count = pendingCount_[j];
        if (count == 0) return;
        LocalTensor<float> runs[4] = {List(j), Pending(j, 0), Pending(j, count > 1 ? 1 : 0), Pending(j, count > 2 ? 2 : 0)};
        const uint16_t lens[4] = {uint16_t(filled_[j]), uint16_t(BLOCK), uint16_t(BLOCK), uint16_t(BLOCK)};
        LocalTensor<float> target = pool_[spare_ * (LIST_BYTES / sizeof(float))];
        MergeRuns(target, runs, lens, count + 1);
        filled_[j] = Min(p_.sparseCount, filled_[j] + count * BLOCK);
        pendingCount_[j] = 0;
        uint32_t old = listOf_[j];
        listOf_[j] = spare_;
        spare_ = old;
    }

    __aicore__ inline uint64_t PartialOffset(uint32_t core, uint32_t slot, uint32_t g) const
    {
        uint64_t bytes = uint64_t(core) * p_.coreWorkspaceBytes + IndexerPlan::SCORE_SLOTS * p_.scoreSlotBytes +
                         (uint64_t(slot) * IndexerPlan::GROUP_ROWS + g) * p_.partialRowBytes;
        return bytes / sizeof(float);
    }

    __aicore__ inline void WritePartial(const LocalTensor<float>& list, uint32_t core, uint32_t slot, uint32_t g)
    {
        SetFlag<HardEvent::V_MTE3>(EVENT_ID0);
        WaitFlag<HardEvent::V_MTE3>(EVENT_ID0);
        DataCopy(partialGm_[PartialOffset(core, slot, g)], list, p_.sparseAlloc * PAIR_FLOATS);
        SetFlag<HardEvent::MTE3_V>(EVENT_ID0);
        WaitFlag<HardEvent::MTE3_V>(EVENT_ID0);
    }

    __aicore__ inline void WriteRow(const LocalTensor<float>& list, uint64_t flatRow, uint32_t valid)
    {
        LocalTensor<int32_t> index = sortB_.template ReinterpretCast<int32_t>();
        ExtractTopk(index, sortA_, list, valid, p_.sparseAlloc);
        SetFlag<HardEvent::V_MTE3>(EVENT_ID0);
        WaitFlag<HardEvent::V_MTE3>(EVENT_ID0);
        DataCopyPad(outGm_[flatRow * p_.sparseCount], index,
                    DataCopyExtParams(1, p_.sparseCount * sizeof(int32_t), 0, 0, 0));
        SetFlag<HardEvent::MTE3_V>(EVENT_ID0);
        WaitFlag<HardEvent::MTE3_V>(EVENT_ID0);
    }

    IndexerParams p_;
    const KeyRows* keys_ = nullptr;
    uint32_t core_ = 0, sub_ = 0;
    GlobalTensor<WeightT> weightsGm_;   // [rows, 64]
    GlobalTensor<half> queryScaleGm_;   // int8: [rows, 64]
    GlobalTensor<half> keyScaleGm_;     // int8: [key rows]
    GlobalTensor<int32_t> outGm_;       // [rows, sparseCount]
    GlobalTensor<float> scoreGm_;       // this core's score slots
    GlobalTensor<half> weightSlotGm_;   // Mat-Duce: this core's W~ slot [rows, rows*64]
    GlobalTensor<float> partialGm_;     // the whole workspace, for every core's partial lists
    TQue<TPosition::VECIN, 2> inQue_;
    TBuf<TPosition::VECCALC> pendingBuf_, weightRowBuf_, keyScaleRawBuf_, keyScaleBuf_, poolBuf_, blockBuf_, rampBuf_, blockIndexBuf_,
        sortABuf_, sortBBuf_, weightRawBuf_, queryScaleRawBuf_, weightBuf_, weightTmpBuf_, weightBrcbBuf_;
    LocalTensor<float> pending_, keyScale_, pool_, block_, sortA_, sortB_, weight_, weightTmp_, weightBrcb_;
    LocalTensor<half> keyScaleRaw_, queryScaleRaw_, weightRow_;
    LocalTensor<WeightT> weightRaw_;
    LocalTensor<int32_t> ramp_, blockIndex_;
    WorkUnit unit_;
    uint32_t owned_ = 0;
    uint32_t vis_[ROWS] = {};
    uint32_t row_[ROWS] = {};
    uint32_t filled_[ROWS] = {};
    uint32_t pendingCount_[ROWS] = {};  // sorted blocks of a row waiting for their merge  // pairs of a running list that hold merged (score, index) pairs
    uint32_t listOf_[2] = {0, 1};
    uint32_t spare_ = 2;
};

}  // namespace dsa
