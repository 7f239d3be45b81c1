// AIV role of mla_prolog_quant (see DESIGN.md).
//   Stage2 (tokens round-robin over every AIV of the launch, after the cube's x . [w_dq | w_dkv_kr]):
//     cq = bf16(sum of the K parts) -> bf16(RMSNorm(cq) * gamma_cq) -> int8 per token: q_norm_out,
//     q_norm_scale_out; kv = bf16(sum of the K parts): c_kv -> bf16(RMSNorm(c_kv) * gamma_ckv) -> int8 per
//     tile of 128 -> kv_cache / k_scale_cache at the token's slot; RoPE(k_pe) -> kr_cache at the slot
//   Stage3 (this AI core's heads; its two AIVs take half of the tokens each, ROWS at a time): per head wait
//     Q_READY; dequantise q = bf16(int32 * q_norm_scale[token] * dequant_scale[column]), q_nope -> nope
//     slot, RoPE(q_pe) -> query_rope_out; set NOPE_READY.
// Pipes: MTE2 loads, V, MTE3 stores; each step orders them with transient events (EVENT_ID7).
#pragma once

#include "common/cache_write.h"
#include "common/norm.h"
#include "common/rope.h"
#include "common/row_quant.h"
#include "mla_prolog_quant_common.h"

namespace dsa {

template <HardEvent E>
__aicore__ inline void MlaOrder()
{
    SetFlag<E>(EVENT_ID7);
    WaitFlag<E>(EVENT_ID7);
}

class MlaPrologVector {
    static constexpr uint32_t QL = MlaPlan::QL, KVC = MlaPlan::KVC, KVL = MlaPlan::KVL, ROPE = MlaPlan::ROPE;
    static constexpr uint32_t QHD = MlaPlan::QHD, NOPE = MlaPlan::NOPE, NQ = MlaPlan::NQ;
    static constexpr uint32_t PARTS = MlaPlan::DQ_PARTS;
    static constexpr uint32_t ROWS = 16;      // stage-3 tokens per dequant step
    static constexpr uint32_t ARENA_BYTES = 64 * 1024;  // the larger of the two stages' working sets

public:
    __aicore__ inline void Init(TPipe* pipe, const MlaPrologGm& gm, const MlaPrologParams& p, uint32_t core,
                                uint32_t sub, uint32_t cores)
    {
        gm_ = gm;
        p_ = p;
        core_ = core;
        sub_ = sub;
        cores_ = cores;
        const uint32_t t = p.tokens;
        cqParts_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(gm.workspace + MlaPlan::CqPartsOffset()));
        kvParts_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(gm.workspace + MlaPlan::KvPartsOffset(t)));
        GM_ADDR ws = gm.workspace + MlaPlan::CoreOffset(t) + uint64_t(core) * MlaPlan::CoreBytes(t);
        qSlots_.SetGlobalBuffer(reinterpret_cast<__gm__ int32_t*>(ws));
        ws += MlaPlan::SLOTS * MlaPlan::QSlotBytes(t);
        nopeSlots_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(ws));
        cos_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.cos));
        sin_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.sin));
        dequant_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(gm.dequantScale));
        qNorm_.SetGlobalBuffer(reinterpret_cast<__gm__ int8_t*>(gm.qNormOut));
        qScale_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(gm.qNormScaleOut));
        queryRope_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.queryRopeOut));
        kvCache_.Init(gm.kvCacheOut, gm.cacheIndex, p.slots, KVL);
        kScaleCache_.Init(gm.kScaleCacheOut, gm.cacheIndex, p.slots, KVL / MlaPlan::KV_TILE);
        krCache_.Init(gm.krCacheOut, gm.cacheIndex, p.slots, ROPE);

        pipe->InitBuffer(gammaBuf_, (QL + KVL) * 4);
        pipe->InitBuffer(arenaBuf_, ARENA_BYTES);
        // gamma_cq | gamma_ckv -> fp32, once (staged through the arena).
        gamma_ = gammaBuf_.Get<float>();
        const LocalTensor<bfloat16_t> raw = arenaBuf_.Get<bfloat16_t>();
        GlobalTensor<bfloat16_t> g;
        g.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.gammaCq));
        DataCopy(raw, g, QL);
        g.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.gammaCkv));
        DataCopy(raw[QL], g, KVL);
        MlaOrder<HardEvent::MTE2_V>();
        Cast(gamma_, raw, RoundMode::CAST_NONE, int32_t(QL + KVL));
        MlaOrder<HardEvent::V_MTE2>();
    }

    // Norms, quantisation and cache writes of the tokens assigned to this AIV.
    __aicore__ inline void Stage2()
    {
        const uint32_t aivs = cores_ * 2;
        for (uint32_t tok = core_ * 2 + sub_; tok < p_.tokens; tok += aivs) Token(tok);
    }

    // Dequant + RoPE of this core's heads for half of the tokens, in step with the cube.
    __aicore__ inline void Stage3()
    {
        const uint32_t half = (p_.tokens + 1) / 2;
        r0_ = sub_ == 0 ? 0 : half;
        nr_ = sub_ == 0 ? half : p_.tokens - half;
        uint32_t h0 = 0, h1 = 0;
        SplitRange(NQ, core_, cores_, h0, h1);
        for (uint32_t h = h0; h < h1; ++h) {
            const uint32_t i = h - h0;
            CrossCoreWaitFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE2>(C1V1_MLA_Q_READY);
            for (uint32_t c = 0; c < nr_; c += ROWS) Dequant(h, i % MlaPlan::SLOTS, r0_ + c, Min(ROWS, nr_ - c));
            CrossCoreSetFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE3>(V1C2_MLA_NOPE_READY);
        }
    }

private:
    __aicore__ inline UbCarve Arena() const
    {
        UbCarve c;
        c.base = arenaBuf_.Get<uint8_t>();
        return c;
    }

    // x <- fp32(bf16(x)) (a rounding point of the op); tmp: n bf16 of scratch.
    __aicore__ inline void RoundBf16(const LocalTensor<float>& x, const LocalTensor<bfloat16_t>& tmp, uint32_t n)
    {
        Cast(tmp, x, RoundMode::CAST_RINT, int32_t(n));
        PipeBarrier<PIPE_V>();
        Cast(x, tmp, RoundMode::CAST_NONE, int32_t(n));
        PipeBarrier<PIPE_V>();
    }

    // cq / kv = the token's K parts summed in part order (two parts in UB at a time).
    __aicore__ inline void SumParts(uint32_t tok, const LocalTensor<float>& cq, const LocalTensor<float>& kv,
                                    const LocalTensor<float>& ring)
    {
        const uint32_t t = p_.tokens;
        for (uint32_t p = 0; p < PARTS; ++p) {
            const LocalTensor<float> c = ring[(p % 2) * (QL + KVC)], k = c[QL];
            MlaOrder<HardEvent::V_MTE2>();  // the adds of part p - 2 have read the slot
            DataCopy(c, cqParts_[(uint64_t(p) * t + tok) * QL], QL);
            DataCopy(k, kvParts_[(uint64_t(p) * t + tok) * KVC], KVC);
            MlaOrder<HardEvent::MTE2_V>();
            if (p == 0) {
                Adds(cq, c, 0.0f, int32_t(QL));
                Adds(kv, k, 0.0f, int32_t(KVC));
            } else {
                Add(cq, cq, c, int32_t(QL));
                Add(kv, kv, k, int32_t(KVC));
            }
            PipeBarrier<PIPE_V>();
        }
    }

    __aicore__ inline void Token(uint32_t tok)
    {
        UbCarve a = Arena();
        const LocalTensor<float> ring = a.Take<float>(2 * (QL + KVC));
        const LocalTensor<float> cq = a.Take<float>(QL), kv = a.Take<float>(KVC);
        const LocalTensor<bfloat16_t> csRaw = a.Take<bfloat16_t>(2 * ROPE);
        const LocalTensor<float> cs = a.Take<float>(2 * ROPE), kr = a.Take<float>(ROPE);
        const LocalTensor<float> norm = a.Take<float>(NormScratch::Floats(QL));
        const LocalTensor<uint8_t> quant = a.Take<uint8_t>(RowQuant::ScratchBytes(1, QL));
        const LocalTensor<bfloat16_t> bf = a.Take<bfloat16_t>(QL);
        const LocalTensor<int8_t> qI8 = a.Take<int8_t>(QL), kvI8 = a.Take<int8_t>(KVL);
        const LocalTensor<float> qSc = a.Take<float>(8), kSc = a.Take<float>(8);
        const LocalTensor<bfloat16_t> krB = a.Take<bfloat16_t>(ROPE);

        SumParts(tok, cq, kv, ring);
        DataCopy(csRaw, cos_[uint64_t(tok) * ROPE], ROPE);
        DataCopy(csRaw[ROPE], sin_[uint64_t(tok) * ROPE], ROPE);
        const int64_t slot = kvCache_.Slot(tok);
        MlaOrder<HardEvent::MTE2_V>();
        Cast(cs, csRaw, RoundMode::CAST_NONE, int32_t(2 * ROPE));
        RoundBf16(cq, bf, QL);   // cq = bf16(x @ w_dq)
        RoundBf16(kv, bf, KVC);  // kv = bf16(x @ w_dkv_kr)
        // cq: RMSNorm * gamma, bf16, int8 per token.
        RmsNormRows(cq, cq, gamma_, norm, 1, QL, QL, p_.epsCq);
        RoundBf16(cq, bf, QL);
        RowQuant rq;
        rq.Init(quant, 1, QL);
        rq.Run(qI8, qSc, cq, 1, QL, -127.0f);
        PipeBarrier<PIPE_V>();
        // c_kv: RMSNorm * gamma, bf16, int8 per tile of 128; k_pe: RoPE of the bf16 projection.
        RopeInterleavedRows(kr, ROPE, kv[KVL], ROPE, cs, cs[ROPE], 0, norm, 1, ROPE);
        Cast(krB, kr, RoundMode::CAST_RINT, int32_t(ROPE));
        RmsNormRows(kv, kv, gamma_[QL], norm, 1, KVL, KVC, p_.epsCkv);
        RoundBf16(kv, bf, KVL);
        RowQuant rk;
        rk.Init(quant, KVL / MlaPlan::KV_TILE, MlaPlan::KV_TILE);
        rk.Run(kvI8, kSc, kv, KVL / MlaPlan::KV_TILE, MlaPlan::KV_TILE, -128.0f);
        MlaOrder<HardEvent::V_MTE3>();
        DataCopy(qNorm_[uint64_t(tok) * QL], qI8, QL);
        DataCopyPad(qScale_[tok], qSc, DataCopyExtParams(1, 4, 0, 0, 0));
        kvCache_.Write(slot, kvI8);
        kScaleCache_.Write(slot, kSc);
        krCache_.Write(slot, krB);
        MlaOrder<HardEvent::MTE3_V>();   // the next token's vector work may overwrite the sent rows
        MlaOrder<HardEvent::V_MTE2>();   // the next token's loads may overwrite what the vector read
    }

    // Tokens [c0, c0 + nc) of head h: q slot `slot` -> dequantised bf16; q_nope -> nope slot, RoPE(q_pe) ->
    // query_rope_out[:, h].
    __aicore__ inline void Dequant(uint32_t h, uint32_t slot, uint32_t c0, uint32_t nc)
    {
        const uint32_t t = p_.tokens;
        UbCarve a = Arena();
        const LocalTensor<int32_t> accI = a.Take<int32_t>(ROWS * QHD);
        const LocalTensor<float> acc = a.Take<float>(ROWS * QHD);
        const LocalTensor<bfloat16_t> qB = a.Take<bfloat16_t>(ROWS * QHD);
        const LocalTensor<float> ropeF = a.Take<float>(ROWS * ROPE);
        const LocalTensor<bfloat16_t> ropeB = a.Take<bfloat16_t>(ROWS * ROPE);
        const LocalTensor<float> ropeScr = a.Take<float>(RopeScratch::Floats(ROWS, ROPE));
        const LocalTensor<bfloat16_t> csRaw = a.Take<bfloat16_t>(2 * ROWS * ROPE);
        const LocalTensor<float> cs = a.Take<float>(2 * ROWS * ROPE);
        const LocalTensor<float> dq = a.Take<float>(QHD);
        const LocalTensor<float> sc = a.Take<float>(ROWS), bc = a.Take<float>(ROWS * 8);
        const uint8_t rowBlocks = uint8_t(QHD / 8);

        DataCopy(accI, qSlots_[slot * uint64_t(t) * QHD + uint64_t(c0) * QHD], nc * QHD);
        DataCopy(dq, dequant_[uint64_t(h) * QHD], QHD);
        DataCopy(csRaw, cos_[uint64_t(c0) * ROPE], nc * ROPE);
        DataCopy(csRaw[ROWS * ROPE], sin_[uint64_t(c0) * ROPE], nc * ROPE);
        DataCopyPad(sc, qScale_[c0], DataCopyExtParams(1, nc * 4, 0, 0, 0), DataCopyPadExtParams<float>(false, 0, 0, 0.0f));
        MlaOrder<HardEvent::MTE2_V>();
        Cast(cs, csRaw, RoundMode::CAST_NONE, int32_t(nc * ROPE));
        Cast(cs[ROWS * ROPE], csRaw[ROWS * ROPE], RoundMode::CAST_NONE, int32_t(nc * ROPE));
        Brcb(bc, sc, uint8_t(CeilDiv(nc, 8u)), BrcbRepeatParams(1, 8));
        Cast(acc, accI, RoundMode::CAST_RINT, int32_t(nc * QHD));  // |acc| may exceed 2^24: round to nearest
        PipeBarrier<PIPE_V>();
        // q = (acc * q_norm_scale[token]) * dequant_scale[column]: 64-column strips, tokens as repeats.
        for (uint32_t c = 0; c < QHD; c += 64)
            Mul(acc[c], acc[c], bc, uint64_t(64), uint8_t(nc), BinaryRepeatParams(1, 1, 0, rowBlocks, rowBlocks, 1));
        PipeBarrier<PIPE_V>();
        for (uint32_t c = 0; c < QHD; c += 64)
            Mul(acc[c], acc[c], dq[c], uint64_t(64), uint8_t(nc), BinaryRepeatParams(1, 1, 1, rowBlocks, rowBlocks, 0));
        PipeBarrier<PIPE_V>();
        Cast(qB, acc, RoundMode::CAST_RINT, int32_t(nc * QHD));
        PipeBarrier<PIPE_V>();
        Cast(acc, qB, RoundMode::CAST_NONE, int32_t(nc * QHD));
        PipeBarrier<PIPE_V>();
        RopeInterleavedRows(ropeF, ROPE, acc[NOPE], QHD, cs, cs[ROWS * ROPE], ROPE, ropeScr, nc, ROPE);
        Cast(ropeB, ropeF, RoundMode::CAST_RINT, int32_t(nc * ROPE));
        MlaOrder<HardEvent::V_MTE3>();
        // q_nope rows (the first 128 of 192 values) -> the nope slot; rotated q_pe -> query_rope_out[:, h].
        DataCopy(nopeSlots_[slot * uint64_t(t) * NOPE + uint64_t(c0) * NOPE], qB,
                 DataCopyParams(uint16_t(nc), uint16_t(NOPE * 2 / BLOCK_BYTES), uint16_t(ROPE * 2 / BLOCK_BYTES), 0));
        DataCopy(queryRope_[(uint64_t(c0) * NQ + h) * ROPE], ropeB,
                 DataCopyParams(uint16_t(nc), uint16_t(ROPE * 2 / BLOCK_BYTES), 0,
                                uint16_t((NQ - 1) * ROPE * 2 / BLOCK_BYTES)));
        MlaOrder<HardEvent::MTE3_V>();
        MlaOrder<HardEvent::V_MTE2>();
    }

    MlaPrologGm gm_;
    MlaPrologParams p_;
    uint32_t core_ = 0, sub_ = 0, cores_ = 1, r0_ = 0, nr_ = 0;
    GlobalTensor<float> cqParts_, kvParts_, dequant_, qScale_;
    GlobalTensor<int32_t> qSlots_;
    GlobalTensor<bfloat16_t> nopeSlots_, cos_, sin_, queryRope_;
    GlobalTensor<int8_t> qNorm_;
    CacheWriter<int8_t> kvCache_;
    CacheWriter<float> kScaleCache_;
    CacheWriter<bfloat16_t> krCache_;
    TBuf<TPosition::VECCALC> gammaBuf_, arenaBuf_;
    LocalTensor<float> gamma_;
};

}  // namespace dsa
