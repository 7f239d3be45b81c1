// RoPE on the vector unit, fp32 in UB, on rows that share one cos / sin row (the heads of one token,
// csStride 0) or have their own (one token per row, csStride values apart):
//   half-split:  x = [a | b] (rope/2 each) -> y = x * cos + rotate_half(x) * sin
//                = [a * cos_lo - b * sin_lo | b * cos_hi + a * sin_hi]
//   interleaved (MLA, OPS.md section 6): the input pairs (x0, x1), (x2, x3), ... are first de-interleaved
//                to [x0, x2, ... | x1, x3, ...] by GatherMask, then rotated half-split; the output stays in
//                the half-split order.
// The indexer (OPS.md section 7) rotates the first rope dims of 128-value rows half-split; the other dims
// are left as they are. Rows are the repeats of the vector instructions (cos / sin read with repeat stride
// csStride), so one call per 255 rows; products are formed in fp32 then added / subtracted, in the goldens' order.
// All on PIPE_V; dst may be the source rows (every product is formed before dst is written).
#pragma once

#include "common/arch.h"

namespace dsa {

struct RopeScratch {
    // fp32 values of scratch for `rows` rows of a rope part of `rope` values (at most 64).
    __aicore__ static constexpr uint32_t Floats(uint32_t rows, uint32_t rope) { return 3 * Min(rows, 255u) * rope; }
};

namespace rope_detail {

// dst rows r (stride dstStride values) = rotate of a / b rows (stride abStride values, half = rope/2 values
// each): [a*cos_lo - b*sin_lo | b*cos_hi + a*sin_hi]. prod: 2 * rows * rope fp32 of scratch.
__aicore__ inline void Rotate(const LocalTensor<float>& dst, uint32_t dstStride, const LocalTensor<float>& a,
                              const LocalTensor<float>& b, uint32_t abStride, const LocalTensor<float>& cos,
                              const LocalTensor<float>& sin, uint32_t csStride, const LocalTensor<float>& prod,
                              uint32_t rows, uint32_t rope)
{
    const uint32_t half = rope / 2;
    const uint32_t part = rows * half;  // one product [rows, half], rows half apart
    const LocalTensor<float> aCos = prod, bSin = prod[part], bCos = prod[2 * part], aSin = prod[3 * part];
    const uint8_t hb = uint8_t(half / 8), ab = uint8_t(abStride / 8), db = uint8_t(dstStride / 8);
    const uint8_t cb = uint8_t(csStride / 8);
    const uint8_t reps = uint8_t(rows);
    Mul(aCos, a, cos, uint64_t(half), reps, BinaryRepeatParams(1, 1, 1, hb, ab, cb));
    Mul(bSin, b, sin, uint64_t(half), reps, BinaryRepeatParams(1, 1, 1, hb, ab, cb));
    Mul(bCos, b, cos[half], uint64_t(half), reps, BinaryRepeatParams(1, 1, 1, hb, ab, cb));
    Mul(aSin, a, sin[half], uint64_t(half), reps, BinaryRepeatParams(1, 1, 1, hb, ab, cb));
    PipeBarrier<PIPE_V>();
    Sub(dst, aCos, bSin, uint64_t(half), reps, BinaryRepeatParams(1, 1, 1, db, hb, hb));
    Add(dst[half], bCos, aSin, uint64_t(half), reps, BinaryRepeatParams(1, 1, 1, db, hb, hb));
    PipeBarrier<PIPE_V>();
}

}  // namespace rope_detail

// Half-split RoPE of the first `rope` values (rope / 2 a multiple of 8, at most 64) of `rows` rows:
// src row r at src[r * srcStride], dst row r at dst[r * dstStride] (strides multiples of 8 values, at most
// 2040). cos / sin: fp32, row r's at r * csStride (0: one row for all). scratch: RopeScratch::Floats(rows, rope) fp32. Values of a row past
// `rope` are not touched.
__aicore__ inline void RopeHalfRows(const LocalTensor<float>& dst, uint32_t dstStride, const LocalTensor<float>& src,
                                    uint32_t srcStride, const LocalTensor<float>& cos, const LocalTensor<float>& sin,
                                    uint32_t csStride, const LocalTensor<float>& scratch, uint32_t rows, uint32_t rope)
{
    for (uint32_t r0 = 0; r0 < rows; r0 += 255) {
        const uint32_t n = Min(255u, rows - r0);
        rope_detail::Rotate(dst[r0 * dstStride], dstStride, src[r0 * srcStride], src[r0 * srcStride + rope / 2],
                            srcStride, cos[r0 * csStride], sin[r0 * csStride], csStride, scratch, n, rope);
    }
}

// Interleaved-input RoPE (MLA) of `rope` = 64 values per row: src row r at src[r * srcStride] holds the
// pairs (x0, x1), ...; dst row r at dst[r * dstStride] gets the half-split rotation of [evens | odds].
// scratch: RopeScratch::Floats(rows, rope) fp32.
__aicore__ inline void RopeInterleavedRows(const LocalTensor<float>& dst, uint32_t dstStride,
                                           const LocalTensor<float>& src, uint32_t srcStride,
                                           const LocalTensor<float>& cos, const LocalTensor<float>& sin,
                                           uint32_t csStride, const LocalTensor<float>& scratch, uint32_t rows,
                                           uint32_t rope)
{
    const uint32_t half = rope / 2;
    for (uint32_t r0 = 0; r0 < rows; r0 += 255) {
        const uint32_t n = Min(255u, rows - r0);
        const LocalTensor<float> even = scratch[4 * n * half], odd = scratch[5 * n * half];
        uint64_t kept = 0;
        // One repeat = one row's 64 values; pattern 1 keeps the even positions, 2 the odd ones.
        GatherMask(even, src[r0 * srcStride], uint8_t(1), true, rope, GatherMaskParams(1, uint16_t(n), uint16_t(srcStride / 8), 0), kept);
        GatherMask(odd, src[r0 * srcStride], uint8_t(2), true, rope, GatherMaskParams(1, uint16_t(n), uint16_t(srcStride / 8), 0), kept);
        PipeBarrier<PIPE_V>();
        rope_detail::Rotate(dst[r0 * dstStride], dstStride, even, odd, half, cos[r0 * csStride], sin[r0 * csStride],
                            csStride, scratch, n, rope);
    }
}

}  // namespace dsa
