// KV antiquant on the vector unit: packed int8 cache rows (OPS.md section 4: bytes [0, 512) int8 nope,
// [512, 640) 64 bf16 rope, [640, 656) four fp32 scales, one per 128 nope values), or the same three
// fields from three row-aligned tensors (OPS.md section 5: nope [slots, 512] int8, rope [slots, 64]
// bf16, scales [slots, 4] fp32, staged into the packed UB layout), -> bf16 rows
// [nope * scale | rope] (576 values, or the 512 nope values only) in a GM workspace tile the cube reads.
// nope = bf16_rint(fp32(int8) * scale): int8 -> half and half -> fp32 are exact, so this is the golden's
// rounding. Rows are staged ROWS at a time: GM -> UB by DataCopyPad (a 656-byte row takes 672 B of UB),
// dequantised, UB -> GM. Pipes: MTE2 (rows in), V, MTE3 (rows out); the class orders them itself with
// the events below (pre-set by Init, drained by Drain).
#pragma once

#include "common/arch.h"

namespace dsa {

// Where a cache's rows come from: one packed tensor, or nope / rope / scales apart.
struct KvRowSource {
    GlobalTensor<int8_t> packed;      // [slots, 656] bytes; unused when split
    GlobalTensor<int8_t> nope;        // split: [slots, 512]
    GlobalTensor<int16_t> rope;       // split: [slots, 64] bf16 bits
    GlobalTensor<float> scales;       // split: [slots, 4]
    bool split = false;
};

class KvAntiquant {
public:
    static constexpr uint32_t NOPE = 512;
    static constexpr uint32_t ROPE = 64;
    static constexpr uint32_t TILE = 128;                  // nope values per scale
    static constexpr uint32_t ROW_BYTES = NOPE + ROPE * 2 + (NOPE / TILE) * 4;  // 656
    static constexpr uint32_t ROW_UB = (ROW_BYTES + BLOCK_BYTES - 1) / BLOCK_BYTES * BLOCK_BYTES;  // 672
    static constexpr uint32_t ROWS = 2;                    // rows per stage
    // Scratch (bytes): raw rows, half nope, fp32 nope, bf16 output rows, 8 broadcast scale blocks per row.
    static constexpr uint32_t RAW_BYTES = ROWS * ROW_UB;
    static constexpr uint32_t HALF_BYTES = ROWS * NOPE * 2;
    static constexpr uint32_t FLOAT_BYTES = ROWS * NOPE * 4;
    static constexpr uint32_t OUT_BYTES = ROWS * (NOPE + ROPE) * 2;
    static constexpr uint32_t SCALE_BYTES = ROWS * 8 * BLOCK_BYTES;
    static constexpr uint32_t SCRATCH_BYTES = RAW_BYTES + HALF_BYTES + FLOAT_BYTES + OUT_BYTES + SCALE_BYTES;
    static constexpr event_t EV_RAW = EVENT_ID2;  // V_MTE2: raw rows consumed
    static constexpr event_t EV_OUT = EVENT_ID2;  // MTE3_V: output rows sent

    // scratch: SCRATCH_BYTES of UB (32 B aligned). withRope: output rows of 576 (K~) or 512 (V~) values.
    __aicore__ inline void Init(const LocalTensor<uint8_t>& scratch)
    {
        raw_ = scratch;
        half_ = scratch[RAW_BYTES].ReinterpretCast<half>();
        float_ = scratch[RAW_BYTES + HALF_BYTES].ReinterpretCast<float>();
        out_ = scratch[RAW_BYTES + HALF_BYTES + FLOAT_BYTES].ReinterpretCast<bfloat16_t>();
        scale_ = scratch[RAW_BYTES + HALF_BYTES + FLOAT_BYTES + OUT_BYTES].ReinterpretCast<float>();
        SetFlag<HardEvent::V_MTE2>(EV_RAW);
        SetFlag<HardEvent::MTE3_V>(EV_OUT);
    }
    __aicore__ inline void Drain()
    {
        WaitFlag<HardEvent::V_MTE2>(EV_RAW);
        WaitFlag<HardEvent::MTE3_V>(EV_OUT);
    }

    // Start a tile: dequantised rows go to dstGm (row r at r * (withRope ? 576 : 512)).
    __aicore__ inline void Begin(const KvRowSource& src, const GlobalTensor<bfloat16_t>& dstGm, bool withRope)
    {
        src_ = src;
        dstGm_ = dstGm;
        width_ = withRope ? NOPE + ROPE : NOPE;
        staged_ = 0;
    }

    // Rows [flatRow, flatRow + n) of the packed cache (contiguous in GM) -> tile rows [tileRow, tileRow + n).
    __aicore__ inline void Add(uint64_t flatRow, uint32_t n, uint32_t tileRow)
    {
        while (n > 0) {
            if (staged_ == 0) {
                WaitFlag<HardEvent::V_MTE2>(EV_RAW);
                firstRow_ = tileRow;
            } else if (tileRow != firstRow_ + staged_) {
                Flush();
                continue;
            }
            const uint32_t take = Min(n, ROWS - staged_);
            const LocalTensor<uint8_t> row = raw_[staged_ * ROW_UB];
            if (!src_.split) {
                DataCopyPad(row.ReinterpretCast<int8_t>(), src_.packed[flatRow * ROW_BYTES],
                            DataCopyExtParams(take, ROW_BYTES, 0, 0), DataCopyPadExtParams<int8_t>(false, 0, 0, 0));
            } else {  // into the packed UB layout: each field's rows ROW_UB apart (dst gaps in 32 B units)
                DataCopyPad(row.ReinterpretCast<int8_t>(), src_.nope[flatRow * NOPE],
                            DataCopyExtParams(take, NOPE, 0, (ROW_UB - NOPE) / BLOCK_BYTES),
                            DataCopyPadExtParams<int8_t>(false, 0, 0, 0));
                if (width_ > NOPE)
                    DataCopyPad(row[NOPE].ReinterpretCast<int16_t>(), src_.rope[flatRow * ROPE],
                                DataCopyExtParams(take, ROPE * 2, 0, (ROW_UB - ROPE * 2) / BLOCK_BYTES),
                                DataCopyPadExtParams<int16_t>(false, 0, 0, 0));
                DataCopyPad(row[NOPE + ROPE * 2].ReinterpretCast<float>(), src_.scales[flatRow * (NOPE / TILE)],
                            DataCopyExtParams(take, (NOPE / TILE) * 4, 0, (ROW_UB - BLOCK_BYTES) / BLOCK_BYTES),
                            DataCopyPadExtParams<float>(false, 0, 0, 0.0f));
            }
            staged_ += take;
            flatRow += take;
            tileRow += take;
            n -= take;
            if (staged_ == ROWS) Flush();
        }
    }

    // Dequantise and send the staged rows.
    __aicore__ inline void Flush()
    {
        if (staged_ == 0) return;
        const uint32_t rows = staged_;
        SetFlag<HardEvent::MTE2_V>(EVENT_ID0);
        WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
        for (uint32_t r = 0; r < rows; ++r)
            Cast(half_[r * NOPE], raw_[r * ROW_UB].ReinterpretCast<int8_t>(), RoundMode::CAST_NONE, NOPE);
        for (uint32_t r = 0; r < rows; ++r)  // the row's 4 scales (one 32 B block) -> 8 blocks of one value each
            Brcb(scale_[r * 64], raw_[r * ROW_UB + NOPE + ROPE * 2].ReinterpretCast<float>(), 1, BrcbRepeatParams(1, 8));
        PipeBarrier<PIPE_V>();
        Cast(float_, half_, RoundMode::CAST_NONE, rows * NOPE);
        PipeBarrier<PIPE_V>();
        for (uint32_t r = 0; r < rows; ++r)
            for (uint32_t t = 0; t < NOPE / TILE; ++t)
                Mul(float_[r * NOPE + t * TILE], float_[r * NOPE + t * TILE], scale_[r * 64 + t * 8], uint64_t(64), 2,
                    BinaryRepeatParams(1, 1, 0, 8, 8, 0));
        PipeBarrier<PIPE_V>();
        WaitFlag<HardEvent::MTE3_V>(EV_OUT);
        for (uint32_t r = 0; r < rows; ++r) {
            Cast(out_[r * width_], float_[r * NOPE], RoundMode::CAST_RINT, NOPE);
            if (width_ > NOPE)  // bf16 rope bits, moved as int16
                Adds(out_[r * width_ + NOPE].ReinterpretCast<int16_t>(),
                     raw_[r * ROW_UB + NOPE].ReinterpretCast<int16_t>(), int16_t(0), int32_t(ROPE));
        }
        SetFlag<HardEvent::V_MTE2>(EV_RAW);
        SetFlag<HardEvent::V_MTE3>(EVENT_ID0);
        WaitFlag<HardEvent::V_MTE3>(EVENT_ID0);
        DataCopy(dstGm_[uint64_t(firstRow_) * width_], out_, rows * width_);
        SetFlag<HardEvent::MTE3_V>(EV_OUT);
        staged_ = 0;
    }

private:
    KvRowSource src_;                  // the cache rows
    GlobalTensor<bfloat16_t> dstGm_;   // workspace tile [64, width]
    LocalTensor<uint8_t> raw_;         // [ROWS, 672] bytes
    LocalTensor<half> half_;           // [ROWS, 512]
    LocalTensor<float> float_;         // [ROWS, 512]
    LocalTensor<bfloat16_t> out_;      // [ROWS, width]
    LocalTensor<float> scale_;         // [ROWS, 8 blocks of 8]
    uint32_t width_ = NOPE + ROPE, staged_ = 0, firstRow_ = 0;
};

}  // namespace dsa
