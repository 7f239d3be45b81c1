// Online (flash) softmax over key tiles on the vector unit, for up to ROWS_MAX rows (heads) of one query
// token. Per tile of TILE = 64 fp32 logits per row (one 256 B repeat per row):
//   m' = max(m, max_j scale * s_j);  p_j = exp(scale * s_j - m');  factor = exp(m - m');  l = l * factor + sum_j p_j
// and the caller rescales its output accumulator by `factor` while adding P.V~ (RescaleAdd). At the
// end Finalize divides by l. The running max starts at LOWEST (finite, so exp(LOWEST - m') = 0 without
// inf arithmetic), the sum at 0; a row that never sees a tile is the caller's (it writes zeros).
// Every routine runs on PIPE_V and orders its own steps with PipeBarrier<PIPE_V>; callers order the
// other pipes (MTE2 -> V before Update, V -> MTE3 after it).
#pragma once

#include "common/arch.h"

namespace dsa {

class OnlineSoftmax {
public:
    static constexpr uint32_t TILE = REPEAT_BYTES / sizeof(float);  // logits per row and tile
    static constexpr uint32_t ROWS_MAX = 64;                          // rows per vector core
    static constexpr float LOWEST = -3.0e38f;
    // Scratch the caller hands over (bytes): 5 row vectors and one [ROWS_MAX, 8] broadcast block.
    static constexpr uint32_t ROW_BYTES = ROWS_MAX * sizeof(float);
    static constexpr uint32_t SCRATCH_BYTES = 5 * ROW_BYTES + ROWS_MAX * 8 * sizeof(float);

    // scratch: SCRATCH_BYTES of UB, 32 B aligned.
    __aicore__ inline void Init(const LocalTensor<float>& scratch)
    {
        constexpr uint32_t R = ROWS_MAX;
        max_ = scratch;
        sum_ = scratch[R];
        tileMax_ = scratch[2 * R];
        tileSum_ = scratch[3 * R];
        factor_ = scratch[4 * R];
        bcast_ = scratch[5 * R];
    }

    __aicore__ inline void Reset(uint32_t rows)
    {
        rows_ = rows;
        if (rows == 0) return;
        Duplicate(max_, LOWEST, int32_t(rows));
        Duplicate(sum_, 0.0f, int32_t(rows));
        PipeBarrier<PIPE_V>();
    }

    // logits [rows, TILE] fp32 (row stride TILE) -> unnormalised probabilities in place; columns from
    // `valid` on become 0. Updates max, sum and factor; leaves factor broadcast per row for RescaleAdd.
    __aicore__ inline void Update(const LocalTensor<float>& logits, uint32_t valid, float scale)
    {
        const uint32_t rows = rows_;
        if (rows == 0) return;
        const uint8_t rowBlocks = uint8_t(TILE * sizeof(float) / BLOCK_BYTES);
        Muls(logits, logits, scale, int32_t(rows * TILE));
        PipeBarrier<PIPE_V>();
        if (valid < TILE) {
            uint64_t mask[2] = {~0ULL << valid, 0};
            Duplicate(logits, LOWEST, mask, uint8_t(rows), 1, rowBlocks);
            PipeBarrier<PIPE_V>();
        }
        WholeReduceMax(tileMax_, logits, int32_t(TILE), uint8_t(rows), 1, 1, rowBlocks, ReduceOrder::ORDER_ONLY_VALUE);
        PipeBarrier<PIPE_V>();
        Max(tileMax_, tileMax_, max_, int32_t(rows));          // m'
        PipeBarrier<PIPE_V>();
        Sub(factor_, max_, tileMax_, int32_t(rows));           // m - m'
        Adds(max_, tileMax_, 0.0f, int32_t(rows));             // m = m'
        PipeBarrier<PIPE_V>();
        Exp(factor_, factor_, int32_t(rows));
        Brcb(bcast_, tileMax_, uint8_t(CeilDiv(rows, 8u)), BrcbRepeatParams(1, 8));
        PipeBarrier<PIPE_V>();
        Sub(logits, logits, bcast_, uint64_t(TILE), uint8_t(rows), BinaryRepeatParams(1, 1, 0, rowBlocks, rowBlocks, 1));
        PipeBarrier<PIPE_V>();
        Exp(logits, logits, int32_t(rows * TILE));
        PipeBarrier<PIPE_V>();
        WholeReduceSum(tileSum_, logits, int32_t(TILE), uint8_t(rows), 1, 1, rowBlocks);
        Mul(sum_, sum_, factor_, int32_t(rows));
        PipeBarrier<PIPE_V>();
        Add(sum_, sum_, tileSum_, int32_t(rows));
        Brcb(bcast_, factor_, uint8_t(CeilDiv(rows, 8u)), BrcbRepeatParams(1, 8));
        PipeBarrier<PIPE_V>();
    }

    // One FusedMulAdd pass (a rescale and an add in one): acc[r, :] = factor[r] * acc[r, :] + tile[r - row0, :]
    // for rows [row0, row0 + n) of acc [rows, cols] and tile [n, cols] (cols a multiple of TILE, <= 255 * 8).
    __aicore__ inline void RescaleAdd(const LocalTensor<float>& acc, uint32_t row0, uint32_t n,
                                      const LocalTensor<float>& tile, uint32_t cols)
    {
        if (n == 0) return;
        const uint8_t rowBlocks = uint8_t(cols * sizeof(float) / BLOCK_BYTES);
        const BinaryRepeatParams rp(1, 0, 1, rowBlocks, 1, rowBlocks);  // dst, src0 = factor block, src1
        for (uint32_t c = 0; c < cols; c += TILE)
            FusedMulAdd(acc[row0 * cols + c], bcast_[row0 * 8], tile[c], uint64_t(TILE), uint8_t(n), rp);
    }

    // acc[r, :] /= l[r]. Scratch: the broadcast block.
    __aicore__ inline void Finalize(const LocalTensor<float>& acc, uint32_t cols)
    {
        if (rows_ == 0) return;
        Brcb(bcast_, sum_, uint8_t(CeilDiv(rows_, 8u)), BrcbRepeatParams(1, 8));
        PipeBarrier<PIPE_V>();
        RowOp<true>(acc, cols);
    }

    // The running max m and sum l of each row ([ROWS_MAX] fp32, rows valid).
    __aicore__ inline const LocalTensor<float>& RowMax() const { return max_; }
    __aicore__ inline const LocalTensor<float>& RowSum() const { return sum_; }

private:
    template <bool DIV>
    __aicore__ inline void RowOp(const LocalTensor<float>& acc, uint32_t cols)
    {
        if (rows_ == 0) return;
        const uint8_t rowBlocks = uint8_t(cols * sizeof(float) / BLOCK_BYTES);
        const BinaryRepeatParams rp(1, 1, 0, rowBlocks, rowBlocks, 1);
        for (uint32_t c = 0; c < cols; c += TILE) {
            if constexpr (DIV) Div(acc[c], acc[c], bcast_, uint64_t(TILE), uint8_t(rows_), rp);
            else Mul(acc[c], acc[c], bcast_, uint64_t(TILE), uint8_t(rows_), rp);
        }
        PipeBarrier<PIPE_V>();
    }

    LocalTensor<float> max_, sum_, tileMax_, tileSum_, factor_;  // [ROWS_MAX] each
    LocalTensor<float> bcast_;                                    // [ROWS_MAX, 8]: one 32 B block per row
    uint32_t rows_ = 0;
};

}  // namespace dsa
