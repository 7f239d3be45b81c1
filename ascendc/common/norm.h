// Row normalisations on the vector unit, fp32 in UB (OPS.md sections 6 and 7):
//   RMSNorm:   y = x / sqrt(mean(x^2) + eps) * gamma
//   LayerNorm: y = (x - mean) / sqrt(var + eps) * gamma + beta    (biased variance)
// Each works on `rows` rows of `d` fp32 values (d a multiple of 64, rows `stride` values apart, y may be
// x) with gamma / beta as fp32 [d] in UB. The per-row statistic is reduced by ReduceSum, finished on a
// one-block stat, broadcast to a 256 B block by Brcb and applied by a repeat-form Div / Sub whose src1
// has block and repeat stride 0: no scalar reads of tensor data. The division by d and by the square
// root are real divisions (the goldens' order: mean = sum / d; x / sqrt(.) * gamma).
// Everything runs on PIPE_V; the caller orders its copies in and out around the call.
#pragma once

#include "common/arch.h"

namespace dsa {

// Scratch layout (fp32 values) used by both norms.
struct NormScratch {
    static constexpr uint32_t STAT = 8;    // one block: the row statistic (element 0) and the divisor
    static constexpr uint32_t BCAST = 64;  // one repeat: the statistic broadcast
    // fp32 values of scratch for rows of d values: squares / centred row, ReduceSum work space, stat, bcast.
    __aicore__ static constexpr uint32_t Floats(uint32_t d) { return d + Align(CeilDiv(d, 64u) * 2, 8u) + 2 * STAT + BCAST; }
};

namespace norm_detail {

// The working views carved from one scratch tensor of NormScratch::Floats(d) fp32 values.
struct Views {
    LocalTensor<float> sq, work, stat, div, bc;
    __aicore__ inline Views(const LocalTensor<float>& scratch, uint32_t d)
    {
        const uint32_t workFloats = Align(CeilDiv(d, 64u) * 2, 8u);
        sq = scratch;
        work = scratch[d];
        stat = scratch[d + workFloats];
        div = scratch[d + workFloats + NormScratch::STAT];
        bc = scratch[d + workFloats + 2 * NormScratch::STAT];
    }
};

// y[0, d) = x[0, d) op bc (bc: one value broadcast over a repeat), op = Div or Sub.
template <bool IS_DIV>
__aicore__ inline void ApplyStat(const LocalTensor<float>& y, const LocalTensor<float>& x, const LocalTensor<float>& bc,
                                 uint32_t d)
{
    const BinaryRepeatParams bcast(1, 1, 0, 8, 8, 0);
    for (uint32_t c = 0; c < d; c += 64 * 255) {
        const uint32_t reps = Min(255u, (d - c) / 64);
        if constexpr (IS_DIV) {
            Div(y[c], x[c], bc, uint64_t(64), uint8_t(reps), bcast);
        } else {
            Sub(y[c], x[c], bc, uint64_t(64), uint8_t(reps), bcast);
        }
    }
}

// stat[0] = sum(src[0, d)) / d (+ eps, square-rooted when ROOT), broadcast into bc[0, 64).
template <bool ROOT>
__aicore__ inline void RowStat(const Views& v, const LocalTensor<float>& src, uint32_t d, float eps)
{
    ReduceSum(v.stat, src, v.work, int32_t(d));
    PipeBarrier<PIPE_V>();
    Div(v.stat, v.stat, v.div, 1);
    if constexpr (ROOT) {
        PipeBarrier<PIPE_V>();
        Adds(v.stat, v.stat, eps, 1);
        PipeBarrier<PIPE_V>();
        Sqrt(v.stat, v.stat, 1);
    }
    PipeBarrier<PIPE_V>();
    Brcb(v.bc, v.stat, 1, BrcbRepeatParams(1, 8));
    PipeBarrier<PIPE_V>();
}

}  // namespace norm_detail

// RMSNorm of rows x[r * stride, + d) into y (same layout; y may be x). scratch: NormScratch::Floats(d) fp32.
__aicore__ inline void RmsNormRows(const LocalTensor<float>& y, const LocalTensor<float>& x,
                                   const LocalTensor<float>& gamma, const LocalTensor<float>& scratch, uint32_t rows,
                                   uint32_t d, uint32_t stride, float eps)
{
    const norm_detail::Views v(scratch, d);
    Duplicate(v.div, float(d), int32_t(NormScratch::STAT));
    for (uint32_t r = 0; r < rows; ++r) {
        const LocalTensor<float> xr = x[r * stride];
        const LocalTensor<float> yr = y[r * stride];
        PipeBarrier<PIPE_V>();
        Mul(v.sq, xr, xr, int32_t(d));
        PipeBarrier<PIPE_V>();
        norm_detail::RowStat<true>(v, v.sq, d, eps);
        norm_detail::ApplyStat<true>(yr, xr, v.bc, d);
        PipeBarrier<PIPE_V>();
        Mul(yr, yr, gamma, int32_t(d));
    }
    PipeBarrier<PIPE_V>();
}

// LayerNorm of rows x[r * stride, + d) into y (y may be x). scratch: NormScratch::Floats(d) fp32.
__aicore__ inline void LayerNormRows(const LocalTensor<float>& y, const LocalTensor<float>& x,
                                     const LocalTensor<float>& gamma, const LocalTensor<float>& beta,
                                     const LocalTensor<float>& scratch, uint32_t rows, uint32_t d, uint32_t stride,
                                     float eps)
{
    const norm_detail::Views v(scratch, d);
    Duplicate(v.div, float(d), int32_t(NormScratch::STAT));
    for (uint32_t r = 0; r < rows; ++r) {
        const LocalTensor<float> xr = x[r * stride];
        const LocalTensor<float> yr = y[r * stride];
        PipeBarrier<PIPE_V>();
        norm_detail::RowStat<false>(v, xr, d, 0.0f);  // mean
        norm_detail::ApplyStat<false>(yr, xr, v.bc, d);  // centred row
        PipeBarrier<PIPE_V>();
        Mul(v.sq, yr, yr, int32_t(d));
        PipeBarrier<PIPE_V>();
        norm_detail::RowStat<true>(v, v.sq, d, eps);  // sqrt(var + eps)
        norm_detail::ApplyStat<true>(yr, yr, v.bc, d);
        PipeBarrier<PIPE_V>();
        Mul(yr, yr, gamma, int32_t(d));
        PipeBarrier<PIPE_V>();
        Add(yr, yr, beta, int32_t(d));
    }
    PipeBarrier<PIPE_V>();
}

}  // namespace dsa
