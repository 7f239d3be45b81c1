// AIV role of mla_prolog_quant (see DESIGN.md). Per token block:
//   Stage2 (tokens spread over every AIV of the launch, after the cube's x @ [w_dq | w_dkv_kr]):
//     cq = bf16(RMSNorm(cq) * gamma_cq) -> int8 per token: q_norm_out, q_norm_scale_out;
//     c_kv = bf16(RMSNorm(c_kv) * gamma_ckv) -> int8 per tile of 128: kv_cache / k_scale_cache at the
//     token's slot; RoPE(k_pe) -> kr_cache at the slot (one DataCopy per row and cache)
//   Stage3 (this AI core's heads; the two AIVs take half of the block's tokens each): per head wait
//     Q_READY, dequantise q = bf16(int32 * q_norm_scale[token] * dequant_scale[column]), q_nope -> nope
//     slot, RoPE(q_pe) -> query_rope_out, set NOPE_READY.
// Pipes: MTE2 loads, V, MTE3 stores; each step orders them with transient events (EVENT_ID7).
#pragma once

#include "common/norm.h"
#include "common/rope.h"
#include "mla_prolog_quant_common.h"
#include "mla_row_quant.h"

namespace dsa {

template <HardEvent E>
__aicore__ inline void MlaOrder()
{
    SetFlag<E>(EVENT_ID7);
    WaitFlag<E>(EVENT_ID7);
}

class MlaPrologVector {
    static constexpr uint32_t HALF_ROWS = MlaPlan::TOKEN_BLOCK / 2;  // stage-3 rows of one AIV
    static constexpr uint32_t QL = MlaPlan::QL, KVC = MlaPlan::KVC, KVL = MlaPlan::KVL, ROPE = MlaPlan::ROPE;
    static constexpr uint32_t QHD = MlaPlan::QHD, NOPE = MlaPlan::NOPE, NQ = MlaPlan::NQ;

public:
    __aicore__ inline void Init(TPipe* pipe, const MlaPrologGm& gm, const MlaPrologParams& p, uint32_t core,
                                uint32_t sub, uint32_t cores)
    {
        p_ = p;
        core_ = core;
        sub_ = sub;
        cores_ = cores;
        const uint64_t t = p.tokens;
        cos_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.cos), t * ROPE);
        sin_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.sin), t * ROPE);
        cacheIndex_.SetGlobalBuffer(reinterpret_cast<__gm__ int64_t*>(gm.cacheIndex), t);
        gammaCq_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.gammaCq), QL);
        gammaCkv_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.gammaCkv), KVL);
        dequant_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(gm.dequantScale), uint64_t(NQ) * QHD);
        qNorm_.SetGlobalBuffer(reinterpret_cast<__gm__ int8_t*>(gm.qNormOut), t * QL);
        qScale_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(gm.qNormScaleOut), t);
        queryRope_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.queryRopeOut), t * NQ * ROPE);
        kvCache_.SetGlobalBuffer(reinterpret_cast<__gm__ int8_t*>(gm.kvCacheOut));
        krCache_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.krCacheOut));
        kScale_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(gm.kScaleCacheOut));
        cqRaw_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.workspace), MlaPlan::CQ_RAW_BYTES / 2);
        kvRaw_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.workspace + MlaPlan::CQ_RAW_BYTES),
                               MlaPlan::KV_RAW_BYTES / 2);
        GM_ADDR coreWs = gm.workspace + MlaPlan::CQ_RAW_BYTES + MlaPlan::KV_RAW_BYTES + core * MlaPlan::CORE_WS_BYTES;
        qSlots_.SetGlobalBuffer(reinterpret_cast<__gm__ int32_t*>(coreWs), MlaPlan::Q_SLOTS * MlaPlan::Q_SLOT_ELEMS);
        nopeSlots_.SetGlobalBuffer(
            reinterpret_cast<__gm__ bfloat16_t*>(coreWs + MlaPlan::Q_SLOTS * MlaPlan::Q_SLOT_ELEMS * 4),
            MlaPlan::Q_SLOTS * MlaPlan::NOPE_SLOT_ELEMS);

        // Stage 2 buffers (one token at a time).
        pipe->InitBuffer(rawBuf_, (QL + KVC + 2 * ROPE) * 2);
        pipe->InitBuffer(gammaBuf_, (QL + KVL) * 4);
        pipe->InitBuffer(rowBuf_, (QL + KVC + 2 * ROPE + ROPE) * 4);
        pipe->InitBuffer(normBuf_, NormScratch::Floats(QL) * 4);
        pipe->InitBuffer(quantBuf_, RowQuantScratch::Bytes(QL));
        pipe->InitBuffer(outBuf_, QL + KVL + 32 + 32 + ROPE * 2);
        // Stage 3 buffers (HALF_ROWS tokens of one head).
        pipe->InitBuffer(accIBuf_, HALF_ROWS * QHD * 4);
        pipe->InitBuffer(accFBuf_, HALF_ROWS * QHD * 4);
        pipe->InitBuffer(qBBuf_, HALF_ROWS * QHD * 2);
        pipe->InitBuffer(ropeFBuf_, HALF_ROWS * ROPE * 4);
        pipe->InitBuffer(ropeBBuf_, HALF_ROWS * ROPE * 2);
        pipe->InitBuffer(ropeScrBuf_, RopeScratch::Floats(HALF_ROWS, ROPE) * 4);
        pipe->InitBuffer(csRawBuf_, 2 * HALF_ROWS * ROPE * 2);
        pipe->InitBuffer(csBuf_, 2 * HALF_ROWS * ROPE * 4);
        pipe->InitBuffer(dqBuf_, QHD * 4);
        pipe->InitBuffer(rowScaleBuf_, HALF_ROWS * 4 + HALF_ROWS * 32);

        // gamma_cq, gamma_ckv -> fp32, once.
        LocalTensor<bfloat16_t> raw = rawBuf_.Get<bfloat16_t>();
        gamma_ = gammaBuf_.Get<float>();
        DataCopy(raw, gammaCq_, QL);
        DataCopy(raw[QL], gammaCkv_, KVL);
        MlaOrder<HardEvent::MTE2_V>();
        Cast(gamma_, raw, RoundMode::CAST_NONE, int32_t(QL + KVL));
        MlaOrder<HardEvent::V_MTE2>();
    }

    // Norms, quantisation and cache writes of the block's tokens assigned to this AIV.
    __aicore__ inline void Stage2(uint32_t blk)
    {
        const uint32_t m = Rows(blk);
        const uint32_t aivs = cores_ * 2, self = core_ * 2 + sub_;
        for (uint32_t i = self; i < m; i += aivs) Token(blk, i);
    }

    // Dequant + RoPE of this core's heads for half of the block's tokens, in step with the cube.
    __aicore__ inline void Stage3(uint32_t blk)
    {
        const uint32_t m = Rows(blk);
        const uint32_t half = (m + 1) / 2;
        const uint32_t r0 = sub_ == 0 ? 0 : half;
        const uint32_t nr = sub_ == 0 ? half : m - half;
        const uint64_t tok0 = uint64_t(blk) * MlaPlan::TOKEN_BLOCK + r0;
        if (nr > 0) LoadRowConstants(tok0, nr);
        uint32_t h0 = 0, h1 = 0;
        SplitRange(NQ, core_, cores_, h0, h1);
        for (uint32_t h = h0; h < h1; ++h) {
            const uint32_t slot = heads_++ % MlaPlan::Q_SLOTS;
            CrossCoreWaitFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE2>(C1V1_MLA_Q_READY);
            if (nr > 0) Head(h, slot, r0, nr, tok0);
            CrossCoreSetFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE3>(V1C2_MLA_NOPE_READY);
        }
    }

private:
    __aicore__ inline uint32_t Rows(uint32_t blk) const
    {
        return Min(MlaPlan::TOKEN_BLOCK, p_.tokens - blk * MlaPlan::TOKEN_BLOCK);
    }

    __aicore__ inline void Token(uint32_t blk, uint32_t i)
    {
        const uint64_t tok = uint64_t(blk) * MlaPlan::TOKEN_BLOCK + i;
        const LocalTensor<bfloat16_t> raw = rawBuf_.Get<bfloat16_t>();  // cq | kv | cos | sin
        const LocalTensor<float> row = rowBuf_.Get<float>();            // cq | kv | cos | sin | k_pe rotated
        const LocalTensor<float> cq = row, kv = row[QL], cs = row[QL + KVC], kr = row[QL + KVC + 2 * ROPE];
        const LocalTensor<uint8_t> out = outBuf_.Get<uint8_t>();
        const LocalTensor<int8_t> qI8 = out.ReinterpretCast<int8_t>(), kvI8 = out[QL].ReinterpretCast<int8_t>();
        const LocalTensor<float> qSc = out[QL + KVL].ReinterpretCast<float>();
        const LocalTensor<float> kSc = out[QL + KVL + 32].ReinterpretCast<float>();
        const LocalTensor<bfloat16_t> krB = out[QL + KVL + 64].ReinterpretCast<bfloat16_t>();
        const LocalTensor<float> norm = normBuf_.Get<float>();
        const LocalTensor<uint8_t> quant = quantBuf_.Get<uint8_t>();

        DataCopy(raw, cqRaw_[uint64_t(i) * QL], QL);
        DataCopy(raw[QL], kvRaw_[uint64_t(i) * KVC], KVC);
        DataCopy(raw[QL + KVC], cos_[tok * ROPE], ROPE);
        DataCopy(raw[QL + KVC + ROPE], sin_[tok * ROPE], ROPE);
        const int64_t slot = cacheIndex_.GetValue(tok);
        MlaOrder<HardEvent::MTE2_V>();
        Cast(row, raw, RoundMode::CAST_NONE, int32_t(QL + KVC + 2 * ROPE));
        PipeBarrier<PIPE_V>();
        // cq: RMSNorm * gamma, bf16, int8 per token.
        RmsNormRows(cq, cq, gamma_, norm, 1, QL, QL, p_.epsCq);
        RoundBf16(cq, QL);
        QuantGroups(qI8, qSc, cq, 1, QL, -127.0f, quant);
        // c_kv: RMSNorm * gamma, bf16, int8 per tile of 128; k_pe: RoPE of the bf16 projection.
        RmsNormRows(kv, kv, gamma_[QL], norm, 1, KVL, KVC, p_.epsCkv);
        RoundBf16(kv, KVL);
        QuantGroups(kvI8, kSc, kv, KVL / MlaPlan::KV_TILE, MlaPlan::KV_TILE, -128.0f, quant);
        RopeInterleavedRows(kr, ROPE, kv[KVL], ROPE, cs, cs[ROPE], 0, norm, 1, ROPE);
        Cast(krB, kr, RoundMode::CAST_RINT, int32_t(ROPE));
        MlaOrder<HardEvent::V_MTE3>();
        DataCopy(qNorm_[tok * QL], qI8, QL);
        DataCopyPad(qScale_[tok], qSc, DataCopyExtParams(1, 4, 0, 0, 0));
        DataCopy(kvCache_[uint64_t(slot) * KVL], kvI8, KVL);
        DataCopyPad(kScale_[uint64_t(slot) * (KVL / MlaPlan::KV_TILE)], kSc,
                    DataCopyExtParams(1, (KVL / MlaPlan::KV_TILE) * 4, 0, 0, 0));
        DataCopy(krCache_[uint64_t(slot) * ROPE], krB, ROPE);
        MlaOrder<HardEvent::MTE3_V>();   // the next token's vector work may overwrite the sent rows
        MlaOrder<HardEvent::V_MTE2>();   // the next token's loads may overwrite what the vector read
    }

    // x <- fp32(bf16(x)) (a rounding point of the op), x: n fp32 values.
    __aicore__ inline void RoundBf16(const LocalTensor<float>& x, uint32_t n)
    {
        const LocalTensor<bfloat16_t> b = quantBuf_.Get<bfloat16_t>();
        Cast(b, x, RoundMode::CAST_RINT, int32_t(n));
        PipeBarrier<PIPE_V>();
        Cast(x, b, RoundMode::CAST_NONE, int32_t(n));
        PipeBarrier<PIPE_V>();
    }

    // cos / sin of the rows' tokens -> fp32; q_norm_scale of the rows broadcast to one block per row.
    __aicore__ inline void LoadRowConstants(uint64_t tok0, uint32_t nr)
    {
        const LocalTensor<bfloat16_t> csRaw = csRawBuf_.Get<bfloat16_t>();
        const LocalTensor<float> cs = csBuf_.Get<float>();
        const LocalTensor<float> sc = rowScaleBuf_.Get<float>(), bc = sc[HALF_ROWS];
        DataCopy(csRaw, cos_[tok0 * ROPE], nr * ROPE);
        DataCopy(csRaw[HALF_ROWS * ROPE], sin_[tok0 * ROPE], nr * ROPE);
        DataCopyPad(sc, qScale_[tok0], DataCopyExtParams(1, nr * 4, 0, 0, 0), DataCopyPadExtParams<float>(false, 0, 0, 0.0f));
        MlaOrder<HardEvent::MTE2_V>();
        Cast(cs, csRaw, RoundMode::CAST_NONE, int32_t(nr * ROPE));
        Cast(cs[HALF_ROWS * ROPE], csRaw[HALF_ROWS * ROPE], RoundMode::CAST_NONE, int32_t(nr * ROPE));
        Brcb(bc, sc, uint8_t(CeilDiv(nr, 8u)), BrcbRepeatParams(1, 8));
        PipeBarrier<PIPE_V>();
    }

    __aicore__ inline void Head(uint32_t h, uint32_t slot, uint32_t r0, uint32_t nr, uint64_t tok0)
    {
        const LocalTensor<int32_t> accI = accIBuf_.Get<int32_t>();
        const LocalTensor<float> acc = accFBuf_.Get<float>();
        const LocalTensor<bfloat16_t> qB = qBBuf_.Get<bfloat16_t>();
        const LocalTensor<float> ropeF = ropeFBuf_.Get<float>();
        const LocalTensor<bfloat16_t> ropeB = ropeBBuf_.Get<bfloat16_t>();
        const LocalTensor<float> cs = csBuf_.Get<float>();
        const LocalTensor<float> dq = dqBuf_.Get<float>();
        const LocalTensor<float> bcRows = rowScaleBuf_.Get<float>()[HALF_ROWS];
        const uint8_t rowBlocks = uint8_t(QHD / 8);

        DataCopy(accI, qSlots_[slot * MlaPlan::Q_SLOT_ELEMS + uint64_t(r0) * QHD], nr * QHD);
        DataCopy(dq, dequant_[uint64_t(h) * QHD], QHD);
        MlaOrder<HardEvent::MTE2_V>();
        Cast(acc, accI, RoundMode::CAST_RINT, int32_t(nr * QHD));
        PipeBarrier<PIPE_V>();
        // q = (acc * q_norm_scale[row]) * dequant_scale[column]: 64-column strips, rows as repeats.
        for (uint32_t c = 0; c < QHD; c += 64)
            Mul(acc[c], acc[c], bcRows, uint64_t(64), uint8_t(nr), BinaryRepeatParams(1, 1, 0, rowBlocks, rowBlocks, 1));
        PipeBarrier<PIPE_V>();
        for (uint32_t c = 0; c < QHD; c += 64)
            Mul(acc[c], acc[c], dq[c], uint64_t(64), uint8_t(nr), BinaryRepeatParams(1, 1, 1, rowBlocks, rowBlocks, 0));
        PipeBarrier<PIPE_V>();
        Cast(qB, acc, RoundMode::CAST_RINT, int32_t(nr * QHD));
        PipeBarrier<PIPE_V>();
        Cast(acc, qB, RoundMode::CAST_NONE, int32_t(nr * QHD));
        PipeBarrier<PIPE_V>();
        RopeInterleavedRows(ropeF, ROPE, acc[NOPE], QHD, cs, cs[HALF_ROWS * ROPE], ROPE,
                            ropeScrBuf_.Get<float>(), nr, ROPE);
        Cast(ropeB, ropeF, RoundMode::CAST_RINT, int32_t(nr * ROPE));
        MlaOrder<HardEvent::V_MTE3>();
        // q_nope rows (the first 128 of 192 values) -> the nope slot; rotated q_pe -> query_rope_out[:, h].
        DataCopy(nopeSlots_[slot * MlaPlan::NOPE_SLOT_ELEMS + uint64_t(r0) * NOPE], qB,
                 DataCopyParams(uint16_t(nr), uint16_t(NOPE * 2 / BLOCK_BYTES), uint16_t(ROPE * 2 / BLOCK_BYTES), 0));
        DataCopy(queryRope_[(tok0 * NQ + h) * ROPE], ropeB,
                 DataCopyParams(uint16_t(nr), uint16_t(ROPE * 2 / BLOCK_BYTES), 0,
                                uint16_t((NQ - 1) * ROPE * 2 / BLOCK_BYTES)));
        MlaOrder<HardEvent::MTE3_V>();
        MlaOrder<HardEvent::V_MTE2>();
    }

    MlaPrologParams p_;
    uint32_t core_ = 0, sub_ = 0, cores_ = 1, heads_ = 0;
    GlobalTensor<bfloat16_t> cos_, sin_, gammaCq_, gammaCkv_, queryRope_, krCache_, cqRaw_, kvRaw_, nopeSlots_;
    GlobalTensor<int64_t> cacheIndex_;
    GlobalTensor<float> dequant_, qScale_, kScale_;
    GlobalTensor<int8_t> qNorm_, kvCache_;
    GlobalTensor<int32_t> qSlots_;
    TBuf<TPosition::VECCALC> rawBuf_, gammaBuf_, rowBuf_, normBuf_, quantBuf_, outBuf_;
    TBuf<TPosition::VECCALC> accIBuf_, accFBuf_, qBBuf_, ropeFBuf_, ropeBBuf_, ropeScrBuf_, csRawBuf_, csBuf_, dqBuf_,
        rowScaleBuf_;
    LocalTensor<float> gamma_;
};

}  // namespace dsa
